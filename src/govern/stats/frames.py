"""A CSV or Parquet evidence path → a pandas DataFrame, or an EvidenceError naming file and line.

Evidence files come from outside the repository and are untrusted: only text CSV (optionally
gzipped) and Parquet are accepted, never pickle or any format that can execute code on load,
sizes are capped before reading, and every failure becomes a diagnostic a user can act on
instead of a pandas traceback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from govern.errors import Diagnostic, EvidenceError, Span, did_you_mean

SUFFIXES = (".csv", ".csv.gz", ".parquet")
_LINE = re.compile(r"\bline (\d+)\b")


def _fail(code: str, message: str, path: Path, *, line: int = 0, hint: str | None = None) -> EvidenceError:
    return EvidenceError(Diagnostic(code, message, Span(str(path), line, 1 if line else 0), hint))


def _format(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise _fail("evidence-format", f"{path.name}: unsupported table format", path,
                hint="tables must be .csv, .csv.gz or .parquet (pickle and other executable formats are refused)")


def _check_columns(frame_columns: Sequence[str], wanted: Sequence[str] | None, path: Path) -> None:
    if wanted is None:
        return
    missing = [c for c in wanted if c not in frame_columns]
    if missing:
        hint = did_you_mean(missing[0], [str(c) for c in frame_columns]) or \
            f"available columns: {', '.join(map(str, frame_columns))}"
        raise _fail("evidence-column-missing", f"{path.name} has no column(s) {', '.join(missing)}", path, hint=hint)


def _read_csv(path: Path, columns: Sequence[str] | None) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0, compression="infer")
    except pd.errors.EmptyDataError:
        raise _fail("evidence-empty", f"{path.name} is empty", path) from None
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError, ValueError) as exc:
        raise _malformed(path, exc) from None
    _check_columns(list(header.columns), columns, path)
    try:
        return pd.read_csv(path, usecols=list(columns) if columns is not None else None, compression="infer",
                           low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError, ValueError) as exc:
        raise _malformed(path, exc) from None


def _malformed(path: Path, exc: BaseException) -> EvidenceError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = _LINE.search(str(exc))
    line = int(match.group(1)) if match else 0
    if isinstance(exc, UnicodeDecodeError):
        return _fail("evidence-unreadable", f"{path.name} is not UTF-8 text: {text}", path,
                     hint="save the CSV as UTF-8")
    return _fail("evidence-malformed", f"{path.name} is not a well-formed CSV: {text}", path, line=line,
                 hint="every row must have as many fields as the header; quote fields containing commas")


def _read_parquet(path: Path, columns: Sequence[str] | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema_names = pq.read_schema(path).names
        _check_columns(schema_names, columns, path)
        table = pq.read_table(path, columns=list(columns) if columns is not None else None)
    except EvidenceError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail("evidence-malformed", f"{path.name} is not a readable Parquet file: {text}", path) from None
    return table.to_pandas()


def read_table(path: Path, *, max_bytes: int = 2_000_000_000, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a .csv, .csv.gz or .parquet evidence table, refusing anything else.

    ``max_bytes`` caps the file's size on disk (for .csv.gz, the compressed size). A file with a
    header but no rows is an error: a check on zero rows cannot pass.
    """
    path = Path(path)
    kind = _format(path)
    if not path.exists():
        raise _fail("evidence-missing", f"evidence file {path.name} does not exist", path)
    if not path.is_file():
        raise _fail("evidence-not-a-file", f"{path.name} is not a regular file", path)
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail("evidence-too-large", f"{path.name} is {size} bytes, above the {max_bytes}-byte limit", path,
                    hint="sample the table or raise the limit in the check's parameters")
    if size == 0:
        raise _fail("evidence-empty", f"{path.name} is empty", path)
    frame = _read_parquet(path, columns) if kind == ".parquet" else _read_csv(path, columns)
    if len(frame.columns) == 0:
        raise _fail("evidence-empty", f"{path.name} has no columns", path)
    if len(frame) == 0:
        raise _fail("evidence-empty", f"{path.name} has a header but no rows", path)
    return frame
