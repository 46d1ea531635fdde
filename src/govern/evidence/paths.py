"""A bundle-relative path string → an absolute path confined to the bundle root.

Evidence paths come from untrusted manifests, model cards and policies. A path that is
absolute, climbs with ``..``, or reaches outside through a symlink could make govern
hash or parse files the bundle's author does not control (``/etc/passwd``, another
team's evidence), so all of them are refused with ``evidence-path-escape``.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from govern.errors import Diagnostic, Span

_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:|[\\/]{2})")


def normalise(relative: str) -> str | None:
    """Posix form without ``.`` segments, or None if the text is not a safe relative path."""
    if not isinstance(relative, str) or not relative or "\x00" in relative or "\\" in relative:
        return None
    if relative.startswith("/") or _WINDOWS_ABS.match(relative):
        return None
    parts = [p for p in PurePosixPath(relative).parts if p != "."]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def confine(root: Path, relative: str, *, span: Span | None = None) -> tuple[Path | None, Diagnostic | None]:
    """(resolved path inside ``root``, None) or (None, the diagnostic explaining the refusal).

    ``root`` must already be resolved. The target need not exist; symlinks on the way are
    resolved and the final location must still be inside the root.
    """
    where = span or Span(str(relative))
    norm = normalise(relative)
    if norm is None:
        reason = _reason(relative)
        return None, Diagnostic("evidence-path-escape", f"path `{relative}` {reason}", where,
                                "evidence paths are relative to the bundle root, use `/`, and never `..`")
    target = (root / norm).resolve(strict=False)
    if not target.is_relative_to(root):
        return None, Diagnostic("evidence-path-escape",
                                f"path `{relative}` resolves outside the bundle (to {target}) through a symlink",
                                where, "evidence must be copied into the bundle, not linked from outside")
    return target, None


def _reason(relative: object) -> str:
    if not isinstance(relative, str) or not relative:
        return "is empty"
    if "\x00" in relative:
        return "contains a NUL byte"
    if "\\" in relative:
        return "contains a backslash"
    if relative.startswith("/") or _WINDOWS_ABS.match(relative):
        return "is absolute"
    if any(p == ".." for p in PurePosixPath(relative).parts):
        return "climbs out with `..`"
    return "is not a file path"
