"""Reading what the log recorded: the rows an event covers, checked against its own hash, as plain data.

Every view -- `status`, `history`, the evaluations a report lists -- is computed from these
recorded rows, never from the tables they were copied to, so no displayed field can differ
from what the log proves. An event whose rows or hash do not check out raises
:class:`~govern.record.chain.LogAltered` instead of being shown. The tables are the query
index and `audit verify` proves them equal to the log; the views do not depend on it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, func, select

from govern.record import chain, rows as rowcodec
from govern.record.tables import EVENT

UTC = _dt.timezone.utc
#: what a view needs of an event: everything its hash covers except the payload text
COLUMNS = (EVENT.c.seq, EVENT.c.version, EVENT.c.kind, EVENT.c.subject, EVENT.c.record_id, EVENT.c.recorded_at,
           EVENT.c.payload_digest, EVENT.c.rows_digest, EVENT.c.rows_json, EVENT.c.prev_hash, EVENT.c.hash)


@dataclass(frozen=True)
class Recorded:
    """One event's rows, verified against the event: table → rows as dicts (encoded values)."""

    seq: int
    kind: str
    subject: str
    record_id: int | None
    tables: dict[str, list[dict[str, Any]]]

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])

    def one(self, table: str, key: Any = None) -> dict[str, Any]:
        """The row of ``table`` (with id ``key``); LogAltered if the event did not record it."""
        for row in self.rows(table):
            if key is None or row.get("id") == key:
                return row
        raise chain.LogAltered(f"event {self.seq} does not record the {table} row it is about"
                               + (f" ({key})" if key is not None else ""))


def recorded(event: Any) -> Recorded:
    problem = chain.self_problem(event)
    if problem is not None:
        raise chain.LogAltered(problem)
    try:
        tables = {name: part.as_dicts() for name, part in rowcodec.parse(event.rows_json).items()}
    except ValueError as exc:
        raise chain.LogAltered(f"event {event.seq} has malformed rows: {exc}") from None
    return Recorded(event.seq, event.kind, event.subject, event.record_id, tables)


def events(conn: Connection, *where: Any, order: Any = EVENT.c.seq) -> Iterable[Recorded]:
    for event in conn.execution_options(yield_per=1000).execute(select(*COLUMNS).where(*where).order_by(order)):
        yield recorded(event)


def latest_evaluations(conn: Connection) -> Iterable[Recorded]:
    """The newest evaluation event of each use case, by use case id (an index range per use case)."""
    latest = (select(EVENT.c.subject, func.max(EVENT.c.seq).label("seq")).where(EVENT.c.kind == "evaluation")
              .group_by(EVENT.c.subject).subquery("latest"))
    query = select(*COLUMNS).join(latest, latest.c.seq == EVENT.c.seq).order_by(EVENT.c.subject)
    for event in conn.execute(query):
        yield recorded(event)


def timestamp(text: str) -> _dt.datetime:
    value = _dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def date(text: str | None) -> _dt.date | None:
    return None if text is None else _dt.date.fromisoformat(text)


def registry(row: dict[str, Any]) -> dict[str, Any]:
    return {"digest": row["digest"], "name": row.get("name"), "version": row.get("version")}
