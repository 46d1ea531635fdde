"""The canonical content of a stored row: what an audit event says it wrote, column by column.

Every audit event carries ``rows_json``: for each table it wrote (or, for an evaluation, the
registry rows it stands on), the column names and each row's values, canonically encoded.
The event's hash covers its digest, so `govern audit verify` can recompute every stored row
from the log and name the first one that differs -- table, key and column -- and the views
can display what the log proves rather than what a table says.

The columns are read from the table definition, never listed by hand: a column added to a
table is covered the moment it exists, and a writer that forgets to record it fails
verification (a test writes every table and edits every column). Encoding is by column
type, so rows read back from SQLite or PostgreSQL compare equal to the values written:
timestamps as UTC ISO text, dates as ISO dates, long ``Text`` columns (a decision's JSON,
a signed payload) as the sha256 of their exact text, binary as hex.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, String, Table, Text
from sqlalchemy.types import TypeDecorator


UTC = _dt.timezone.utc


def encode(column_type: Any, value: Any) -> Any:
    """A column value as the JSON the log records (None stays None)."""
    return None if value is None else encoder(column_type)(value)


def encoder(column_type: Any) -> Callable[[Any], Any]:
    """The encoding of one column type, chosen once per column (recording encodes every value of every row)."""
    while isinstance(column_type, TypeDecorator):  # e.g. SQLModel's AutoString: encode as what it stores
        column_type = column_type.impl_instance
    if isinstance(column_type, DateTime):
        return _timestamp
    if isinstance(column_type, Date):
        return _date
    if isinstance(column_type, Boolean):
        return bool
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, Text):  # before String: Text is a String
        return _text_digest
    if isinstance(column_type, String):
        return str
    if isinstance(column_type, LargeBinary):
        return lambda value: bytes(value).hex()
    raise TypeError(f"no canonical encoding for column type {column_type!r}: add one to govern.record.rows.encoder")


def _timestamp(value: Any) -> str:
    if isinstance(value, str):  # a driver that hands back text
        value = _dt.datetime.fromisoformat(value)
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, _dt.date) else _dt.date.fromisoformat(str(value)).isoformat()


def _text_digest(value: Any) -> str:
    return text_digest(str(value))


@lru_cache(maxsize=8)
def text_digest(text: str) -> str:
    """``sha256:`` of a long text column's exact UTF-8 bytes. Remembered for a few texts: an evaluation's
    event names its decision JSON's digest, and its recorded row digests the same ~10-30 KB again."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def _plan(table: Table) -> tuple[tuple[str, Callable[[Any], Any], bool], ...]:
    return tuple((c.name, encoder(c.type), c.default is not None or c.server_default is not None)
                 for c in table.columns)


@lru_cache(maxsize=None)
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def columns_of(table: Table) -> list[str]:
    return list(_columns(table))


def key_names(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def values_of(table: Table, row: Mapping[str, Any]) -> list[Any]:
    """A row (as written, or as read back) → its encoded values in column order.

    A column missing from ``row`` is recorded as NULL, which is what the database stores for
    it -- unless the column has a default, where NULL would be a lie: that is refused.
    """
    if type(row) is not dict:  # a driver's row mapping: its lookups are slower than a dict's
        row = dict(row)
    out = []
    for name, enc, has_default in _plan(table):
        if name in row:
            value = row[name]
            out.append(None if value is None else enc(value))
        elif has_default:
            raise ValueError(f"{table.name}.{name} has a default: write it explicitly so the log records it")
        else:
            out.append(None)
    return out


def key_of(table: Table, values: Sequence[Any], columns: Sequence[str] | None = None) -> Any:
    """The primary key of an encoded row: the value, or a tuple for a composite key."""
    names = list(columns) if columns is not None else columns_of(table)
    key = tuple(values[names.index(k)] for k in key_names(table))
    return key[0] if len(key) == 1 else key


class Written:
    """The rows one event covers, gathered while the transaction writes them."""

    def __init__(self) -> None:
        self.tables: dict[str, tuple[Table, list[list[Any]]]] = {}

    def add(self, table: Table, row: Mapping[str, Any]) -> None:
        self.tables.setdefault(table.name, (table, []))[1].append(values_of(table, row))

    def add_many(self, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def dicts(self, name: str) -> list[dict[str, Any]]:
        """The rows recorded for table ``name`` as dicts of encoded values (as a reader of the event sees them)."""
        table, rows = self.tables.get(name, (None, []))
        return [dict(zip(_columns(table), row)) for row in rows] if table is not None else []

    def to_data(self) -> dict[str, Any]:
        return {name: {"columns": _columns(table), "rows": rows} for name, (table, rows) in self.tables.items()}

    def to_json(self) -> str:
        """``canonical_json`` of :meth:`to_data`: the values are already plain JSON (text, integers, booleans,
        null), for which :func:`json.dumps` with sorted keys writes the same bytes without the generic walk."""
        return _CANONICAL.encode(self.to_data())


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                              check_circular=False)  # scalars in fresh lists: no cycle to guard against


EMPTY = "{}"


@dataclass(frozen=True)
class RecordedTable:
    """One table's part of an event's ``rows_json``."""

    name: str
    columns: list[str]
    rows: list[list[Any]]

    def as_dicts(self) -> list[dict[str, Any]]:
        """ValueError if a row does not have one value per column."""
        try:
            return [dict(zip(self.columns, row, strict=True)) for row in self.rows]
        except (TypeError, ValueError):
            raise ValueError(f"the rows of table {self.name} are malformed") from None


def parse(rows_json: str, *, check: bool = True) -> dict[str, RecordedTable]:
    """``rows_json`` → table name → its recorded rows. ValueError if it is not what a writer writes.

    ``check=False`` leaves the row-by-row shape to :meth:`RecordedTable.as_dicts` (the views
    convert only the tables they show).
    """
    data = json.loads(rows_json)
    if not isinstance(data, dict):
        raise ValueError("rows are not a JSON object")
    out = {}
    for name, part in data.items():
        if (not isinstance(part, dict) or not isinstance(part.get("columns"), list)
                or not isinstance(part.get("rows"), list)
                or (check and any(not isinstance(r, list) or len(r) != len(part["columns"]) for r in part["rows"]))):
            raise ValueError(f"the rows of table {name} are malformed")
        out[name] = RecordedTable(name, part["columns"], part["rows"])
    return out


def first_difference(columns: Sequence[str], expected: Sequence[Any], actual: Sequence[Any]) -> str | None:
    """The first column whose encoded values differ, or None."""
    for name, want, got in zip(columns, expected, actual):
        if want != got or type(want) is not type(got):
            return name
    return None


def show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
