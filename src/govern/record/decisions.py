"""Writing decisions into the store: registries, the evaluation, its normalised results and its event.

One decision (``govern check``) and four thousand (a portfolio's nightly run) go through the
same code, set by set: the registries are looked up with one query per table, the new rows
of each table are inserted by one statement (``INSERT ... RETURNING`` over all of them, in
order), and the events are appended in memory and written at the end
(:class:`govern.record.log.Appender`). What each decision's event records is exactly what a
one-by-one recording would have written: the rows as they stand after *its* write (a use
case evaluated twice in a batch records its own evaluation as the latest each time), and a
policy version's first registration as its own event just before the first evaluation under
it. Statements are built once per batch, not per decision: SQLAlchemy's per-statement cost
is what a batch saves besides the commits.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, func, insert, select, update

from govern.record import chain
from govern.record.recorded import evaluation_view
from govern.record.rows import Written, text_digest
from govern.record.tables import APPROVAL, CHECK, EVALUATION, GATE, MODEL, POLICY, SIGNOFF_RESULT, USE_CASE

if TYPE_CHECKING:
    from govern.evaluate.results import Decision
    from govern.record.log import Appender

UTC = _dt.timezone.utc
PASSING = ("passed", "warned", "waived")  # mirrors govern.evaluate.results.PASSING without importing it
#: bound parameters per IN (...) lookup: well under SQLite's and PostgreSQL's limits
CHUNK = 500
RESULT_TABLES = (GATE, CHECK, SIGNOFF_RESULT, APPROVAL)


def furthest_stage(gates: list[tuple[str, str]]) -> str | None:
    """The last gate of the leading run of passing gates (in plan order): where the model may go."""
    last = None
    for gate, status in gates:
        if status not in PASSING:
            break
        last = gate
    return last


def write_decisions(conn: Connection, decisions: Sequence["Decision"],
                    validities: Sequence[Mapping[tuple[str, str], str]], at: _dt.datetime,
                    log: "Appender") -> list[int]:
    """Write ``decisions`` (with each one's sign-off validity) in the caller's write transaction; their ids.

    The events are appended to ``log``; the caller flushes it before committing.
    """
    data = [d.to_dict() for d in decisions]
    cases = _use_cases(conn, decisions, at)
    models = register(conn, MODEL, [(d.model_digest, {"name": _text((x["model"] or {}).get("name")),
                                                       "version": _text((x["model"] or {}).get("version"))})
                                     for d, x in zip(decisions, data)], at)
    policies = register(conn, POLICY, [(d.policy["digest"], {"name": d.policy["name"], "version": d.policy["version"]})
                                        for d in decisions], at)
    evaluations = []
    for d, x in zip(decisions, data):
        evaluations.append({
            "use_case_id": d.use_case_id, "model_version_id": models.rows[d.model_digest]["id"],
            "policy_version_id": policies.rows[d.policy["digest"]]["id"], "decision_digest": d.digest,
            "use_case_digest": d.use_case_digest, "evidence_digest": d.evidence_digest,
            "plan_digest": d.plan_digest, "tier": d.tier, "target": d.target, "allowed": d.allowed,
            "furthest_stage": furthest_stage([(g.id, g.status) for g in d.gates]), "as_of": d.as_of,
            "recorded_at": at, "govern_version": d.govern_version, "decision_json": chain.payload_text(x)})
    ids = insert_ordered(conn, EVALUATION, evaluations)
    latest = {d.use_case_id: eid for d, eid in zip(decisions, ids)}
    conn.execute(update(USE_CASE).where(USE_CASE.c.id == bindparam("b_id"))
                 .values(latest_evaluation_id=bindparam("b_latest")),
                 [{"b_id": uc, "b_latest": eid} for uc, eid in latest.items()])
    results = _insert_results(conn, [(eid, x["gates"], v) for eid, x, v in zip(ids, data, validities)])
    announced: set[str] = set()
    for d, case, evaluation, eid in zip(decisions, cases, evaluations, ids):
        policy_row = policies.rows[d.policy["digest"]]
        if d.policy["digest"] in policies.new and d.policy["digest"] not in announced:
            announced.add(d.policy["digest"])
            policy_event(log, policy_row, at)
        rows = Written()
        rows.add(USE_CASE, {**case, "latest_evaluation_id": eid})
        rows.add(MODEL, models.rows[d.model_digest])
        rows.add(POLICY, policy_row)
        rows.add(EVALUATION, {**evaluation, "id": eid})
        for table in RESULT_TABLES:
            rows.add_many(table, results[table.name].get(eid, ()))
        log.append("evaluation", d.use_case_id, {
            "record": "evaluation", "id": eid, "decision_digest": d.digest,
            "decision_sha256": text_digest(evaluation["decision_json"]), "tier": d.tier,
            "target": d.target, "allowed": d.allowed, "furthest_stage": evaluation["furthest_stage"],
            "as_of": d.as_of.isoformat(), "model_digest": d.model_digest,
            "policy_digest": d.policy["digest"], "view": evaluation_view(rows.dicts, eid)},
            at, record_id=eid, rows=rows)
    return ids


def policy_event(log: "Appender", row: Mapping[str, Any], at: _dt.datetime) -> int:
    """The event that registers a policy version (its first decision, or `Store.register_policy`)."""
    rows = Written()
    rows.add(POLICY, row)
    return log.append("policy", row["name"], {
        "record": "policy_version", "id": row["id"], "name": row["name"], "version": row["version"],
        "digest": row["digest"]}, at, record_id=row["id"], rows=rows)


def _existing(conn: Connection, column: Any, keys: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    keys = list(dict.fromkeys(keys))
    found: dict[Any, dict[str, Any]] = {}
    for i in range(0, len(keys), CHUNK):
        for row in conn.execute(select(column.table).where(column.in_(keys[i:i + CHUNK]))):
            found[row._mapping[column.name]] = dict(row._mapping)
    return found


def _use_cases(conn: Connection, decisions: Sequence["Decision"], at: _dt.datetime) -> list[dict[str, Any]]:
    """Each decision's use case row as it stands after that decision's write (created or renamed as needed)."""
    current = _existing(conn, USE_CASE.c.id, (d.use_case_id for d in decisions))
    created, renamed, out = [], {}, []
    for d in decisions:
        row = current.get(d.use_case_id)
        if row is None:
            row = current[d.use_case_id] = {"id": d.use_case_id, "name": d.use_case_name, "created_at": at,
                                            "latest_evaluation_id": None}
            created.append(dict(row))
        elif row["name"] != d.use_case_name and d.use_case_name != d.use_case_id:  # a signed record knows only the id
            row = current[d.use_case_id] = {**row, "name": d.use_case_name}
            renamed[d.use_case_id] = d.use_case_name
        out.append(row)
    if created:
        conn.execute(insert(USE_CASE), created)
    if renamed:
        conn.execute(update(USE_CASE).where(USE_CASE.c.id == bindparam("b_id")).values(name=bindparam("b_name")),
                     [{"b_id": k, "b_name": v} for k, v in renamed.items()])
    return out


class Registered:
    """Registry rows by digest, and which of them this write inserted."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.new: set[str] = set()


def register(conn: Connection, table: Any, wanted: list[tuple[str, dict[str, Any]]], at: _dt.datetime) -> Registered:
    """digest → its registry row (model or policy version), inserting the new ones with their first values."""
    out = Registered()
    out.rows = _existing(conn, table.c.digest, (digest for digest, _ in wanted))
    fresh: dict[str, dict[str, Any]] = {}
    for digest, values in wanted:
        if digest not in out.rows and digest not in fresh:
            fresh[digest] = {"digest": digest, "created_at": at, **values}
    if fresh:
        for row_id, (digest, values) in zip(insert_ordered(conn, table, list(fresh.values())), fresh.items()):
            out.rows[digest] = {**values, "id": row_id}
        out.new = set(fresh)
    return out


def _insert_results(conn: Connection, evaluations: list[tuple[int, list[dict[str, Any]], Mapping[tuple[str, str], str]]]
                    ) -> dict[str, dict[int, list[Mapping[str, Any]]]]:
    """Insert the gate, check, sign-off and approval rows of every evaluation: table → evaluation id → rows as stored."""
    pending: dict[str, list[dict[str, Any]]] = {t.name: [] for t in RESULT_TABLES}
    for evaluation_id, gates, validity in evaluations:
        for position, gate in enumerate(gates):
            pending[GATE.name].append({"evaluation_id": evaluation_id, "position": position, "gate": gate["id"],
                                       "status": gate["status"]})
            for c in gate["checks"]:
                waiver = c.get("waiver") or {}
                pending[CHECK.name].append({
                    "evaluation_id": evaluation_id, "gate": gate["id"], "check_id": c["id"], "kind": c["kind"],
                    "status": c["status"], "enforcement": c["enforcement"], "waiver_approver": waiver.get("approver"),
                    "waiver_expires": _date(waiver.get("expires"))})
            for s in gate["signoffs"]:
                counted = [a for a in s["approvals"] if a.get("decision", "approve") == "approve"]
                pending[SIGNOFF_RESULT.name].append({
                    "evaluation_id": evaluation_id, "gate": s["gate"], "role": s["role"], "required": s["required"],
                    "approved": len(counted), "status": s["status"]})
                for a in s["approvals"]:
                    signed_at = as_utc(_dt.datetime.fromisoformat(a["signed_at"]))
                    pending[APPROVAL.name].append({
                        "evaluation_id": evaluation_id, "gate": s["gate"], "role": s["role"], "signer": a["signer"],
                        "decision": a.get("decision", "approve"), "signed_at": signed_at,
                        "expires": _expiry(a, signed_at, validity.get((s["gate"], s["role"]))),
                        "key_fingerprint": a.get("key_fingerprint")})
    out: dict[str, dict[int, list[Mapping[str, Any]]]] = {}
    for table in RESULT_TABLES:
        grouped: dict[int, list[Mapping[str, Any]]] = {}
        if pending[table.name]:  # every column is written explicitly: with its id, this is the stored row
            for row_id, row in zip(insert_ordered(conn, table, pending[table.name]), pending[table.name]):
                grouped.setdefault(row["evaluation_id"], []).append({**row, "id": row_id})
        out[table.name] = grouped
    return out


def insert_ordered(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with one executemany; their generated ids, in the order given.

    Not ``INSERT ... RETURNING`` with ``sort_by_parameter_order``: SQLAlchemy can keep that order
    on SQLite only by sending the rows one statement each. Inside :func:`engine.write` no
    other transaction inserts (``BEGIN IMMEDIATE`` / the advisory lock), and both SQLite's
    rowids and PostgreSQL's sequences increase in insertion order, so the ids above the
    previous maximum are ours, in order; anything else is refused rather than guessed.
    """
    before = conn.execute(select(func.max(table.c.id))).scalar() or 0
    conn.execute(insert(table), rows)
    ids = [int(i) for i in conn.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id)).scalars()]
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: inserted {len(rows)} rows but found {len(ids)} new ids")
    return ids


def _expiry(approval: Mapping[str, Any], signed_at: _dt.datetime, valid_for: str | None) -> _dt.date | None:
    """The last day an approval counts: the evaluator's own ``expires`` if it gave one, else signed day + valid_for."""
    if approval.get("expires"):
        return _date(approval["expires"])
    if not valid_for:
        return None
    from govern.policy.model import parse_duration

    return signed_at.date() + parse_duration(valid_for)


def as_utc(value: _dt.datetime) -> _dt.datetime:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _date(value: Any) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
