"""Reading what the log recorded, each event checked against its own hash first, as plain data.

Every view -- `status`, `history`, the evaluations a report lists -- is computed from what the
events recorded, never from the tables their rows were copied to, so no displayed field can
differ from what the log proves. An event whose digests or hash do not check out raises
:class:`~govern.record.chain.LogAltered` instead of being shown.

An evaluation event carries, in its payload, :func:`evaluation_view`: the few fields the
views show (verdict, stage, model and policy, sign-off results, approvals, waivers), derived
from its rows by the same function when it is written, and re-derived and compared by `audit
verify`. The inventory then reads about 1 KB per use case instead of every row of its latest
evaluation. Events written before the tree (version 1) have no view; theirs is derived from
the rows recorded at the upgrade.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sqlalchemy import Connection, case, func, literal, select

from govern.record import chain, rows as rowcodec
from govern.record.tables import EVENT

UTC = _dt.timezone.utc
Rows = Callable[[str], list[dict[str, Any]]]


def _columns(full: bool) -> tuple:
    rows = EVENT.c.rows_json if full else case((EVENT.c.version == 1, EVENT.c.rows_json), else_=literal("")).label(
        "rows_json")
    return (EVENT.c.seq, EVENT.c.version, EVENT.c.kind, EVENT.c.subject, EVENT.c.record_id, EVENT.c.recorded_at,
            EVENT.c.payload_digest, EVENT.c.payload_json, EVENT.c.rows_digest, rows, EVENT.c.prev_hash,
            EVENT.c.hash)


@dataclass
class Recorded:
    """One event, checked: its payload, and its rows as dicts of encoded values (converted on use)."""

    seq: int
    version: int
    kind: str
    subject: str
    record_id: int | None
    payload: dict[str, Any]
    rows_json: str
    _parts: dict[str, rowcodec.RecordedTable] | None = None
    _dicts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        found = self._dicts.get(table)
        if found is None:
            try:
                if self._parts is None:
                    self._parts = rowcodec.parse(self.rows_json, check=False)
                part = self._parts.get(table)
                found = self._dicts[table] = part.as_dicts() if part is not None else []
            except ValueError as exc:
                raise chain.LogAltered(f"event {self.seq} has malformed rows: {exc}") from None
        return found

    def one(self, table: str, key: Any = None) -> dict[str, Any]:
        """The row of ``table`` (with id ``key``); LogAltered if the event did not record it."""
        return one(self.rows(table), table, key, self.seq)

    def view(self) -> dict[str, Any]:
        """What the views show of an evaluation event (see :func:`evaluation_view`)."""
        view = self.payload.get("view")
        if self.version >= 2:
            if not isinstance(view, dict):
                raise chain.LogAltered(f"evaluation event {self.seq} has no view in its payload")
            return view
        return evaluation_view(self.rows, self.record_id, self.seq)


def one(rows: list[dict[str, Any]], table: str, key: Any = None, seq: int | None = None) -> dict[str, Any]:
    for row in rows:
        if key is None or row.get("id") == key:
            return row
    raise chain.LogAltered(f"event {seq} does not record the {table} row it is about"
                           + (f" ({key})" if key is not None else ""))


def recorded(event: Any) -> Recorded:
    """An event row (as :func:`events` selects it) → :class:`Recorded`, or LogAltered."""
    raw = event.payload_json.encode("utf-8")
    if chain.sha256_text(raw) != event.payload_digest:
        raise chain.LogAltered(f"event {event.seq} was altered: its payload does not match its payload digest")
    if event.rows_json and chain.sha256_text(event.rows_json.encode("utf-8")) != event.rows_digest:
        raise chain.LogAltered(f"event {event.seq} was altered: its rows do not match its rows digest")
    if event.version == 2 and chain.sha256_text(chain.leaf_data(event)) != event.hash:
        raise chain.LogAltered(f"event {event.seq} was altered: its hash no longer matches its content")
    if event.version not in (1, 2):
        raise chain.LogAltered(f"event {event.seq} was altered: unknown version {event.version!r}")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise chain.LogAltered(f"event {event.seq} was altered: its payload is not JSON") from None
    return Recorded(event.seq, event.version, event.kind, event.subject, event.record_id,
                    payload if isinstance(payload, dict) else {}, event.rows_json)


def events(conn: Connection, *where: Any, rows: bool = False) -> Iterable[Recorded]:
    """Events matching ``where`` in log order; ``rows`` fetches every event's rows (else only version 1's)."""
    query = select(*_columns(rows)).where(*where).order_by(EVENT.c.seq)
    for event in conn.execution_options(yield_per=1000).execute(query):
        yield recorded(event)


def latest_evaluations(conn: Connection) -> Iterable[Recorded]:
    """The newest evaluation event of each use case, by use case id.

    Found in the log itself (the ``(kind, subject, seq)`` index), not through
    ``use_case.latest_evaluation_id``: a table edit can neither hide a use case nor turn
    the clock back to an older decision.
    """
    latest = (select(EVENT.c.subject, func.max(EVENT.c.seq).label("seq")).where(EVENT.c.kind == "evaluation")
              .group_by(EVENT.c.subject).subquery("latest"))
    query = select(*_columns(False)).join(latest, latest.c.seq == EVENT.c.seq).order_by(EVENT.c.subject)
    for event in conn.execute(query):
        yield recorded(event)


def evaluation_view(rows: Rows, evaluation_id: int | None, seq: int | None = None) -> dict[str, Any]:
    """The fields the views show of one evaluation, from the rows its event recorded (encoded values).

    The writer puts this in the event's payload; `audit verify` re-derives it from the rows
    and compares, so the payload can never say something the rows do not.
    """
    e = one(rows("evaluation"), "evaluation", evaluation_id, seq)
    case_row = next((c for c in rows("use_case") if c.get("id") == e["use_case_id"]), None)
    by_id = lambda table: sorted(rows(table), key=lambda r: r["id"])  # noqa: E731
    return {
        "use_case": {"id": e["use_case_id"], "name": case_row["name"] if case_row else e["use_case_id"]},
        "evaluation": {k: e[k] for k in ("id", "tier", "target", "allowed", "furthest_stage", "as_of", "recorded_at",
                                         "decision_digest")},
        "model": registry(one(rows("model_version"), "model_version", e["model_version_id"], seq)),
        "policy": registry(one(rows("policy_version"), "policy_version", e["policy_version_id"], seq)),
        "signoffs": [{k: s[k] for k in ("gate", "role", "required", "approved", "status")}
                     for s in by_id("signoff_result")],
        "approvals": [{k: a[k] for k in ("gate", "role", "signer", "decision", "signed_at", "expires",
                                         "key_fingerprint")} for a in by_id("approval")],
        "waivers": [{"gate": c["gate"], "check_id": c["check_id"], "approver": c["waiver_approver"],
                     "expires": c["waiver_expires"]} for c in by_id("check_result") if c["status"] == "waived"],
    }


def timestamp(text: str) -> _dt.datetime:
    value = _dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def date(text: str | None) -> _dt.date | None:
    return None if text is None else _dt.date.fromisoformat(text)


def registry(row: dict[str, Any]) -> dict[str, Any]:
    return {"digest": row["digest"], "name": row.get("name"), "version": row.get("version")}
