"""An evidence file (or plain path) → its bytes or UTF-8 text, within a size cap.

Evidence is untrusted: every reader goes through here so that size limits, empty-file
and encoding errors are reported the same way (an :class:`InputError` naming the file)
and nothing ever reads an unbounded file into memory.
"""

from __future__ import annotations

import stat
from pathlib import Path

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.files import EvidenceFile, limit_for
from govern.load.safe_yaml import decode_utf8

Source = EvidenceFile | Path


def describe(source: Source, role: str, display: str | None = None) -> tuple[Path, str, int]:
    """(absolute path, name shown in diagnostics, byte limit); the limit is the *reader's* role's."""
    if isinstance(source, EvidenceFile):
        return source.abs_path, display or source.path, limit_for(role)
    path = Path(source)
    return path, display or path.as_posix(), limit_for(role)


def read_bytes(source: Source, role: str, *, allow_empty: bool = False,
               display: str | None = None) -> tuple[bytes, str]:
    """Bytes of the file and its display name; reads at most limit + 1 bytes, whatever stat says."""
    path, name, limit = describe(source, role, display)
    try:
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            # a FIFO or device would block or never end; only regular files are evidence
            raise InputError(Diagnostic("evidence-not-a-file", f"{name} is not a regular file", Span(name)))
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(Diagnostic("evidence-missing", f"evidence file {name} does not exist", Span(name))) from None
    except IsADirectoryError:
        raise InputError(Diagnostic("evidence-not-a-file", f"{name} is a directory, expected a file",
                                    Span(name))) from None
    except OSError as exc:
        raise InputError(Diagnostic("evidence-unreadable", f"cannot read {name}: {exc.strerror or exc}",
                                    Span(name))) from None
    if len(raw) > limit:
        raise InputError(Diagnostic(
            "evidence-too-large", f"{name} is larger than the {limit}-byte limit for {role} files", Span(name),
            hint="evidence readers cap file sizes; split the file or keep bulk data under data/"))
    if not raw.strip() and not allow_empty:
        raise InputError(Diagnostic("evidence-empty", f"{name} is empty", Span(name)))
    return raw, name


def read_text(source: Source, role: str, *, allow_empty: bool = False,
              display: str | None = None) -> tuple[str, str]:
    """UTF-8 text (BOM and CRLF normalised) and display name."""
    raw, name = read_bytes(source, role, allow_empty=allow_empty, display=display)
    return decode_utf8(raw, name), name
