"""The store API: record decisions and signed records, read them back, verify the audit chain.

Every write is one transaction that also appends its audit event(s), serialised by
:func:`govern.record.engine.write`, so a crash (even SIGKILL) leaves the whole record and its
event, or neither. Queries use SQLAlchemy Core on the SQLModel tables: the inventory views
read thousands of rows and ORM objects would only slow them down.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from govern.record import chain
from govern.record.config import redact, resolve_url, store_error
from govern.record.engine import make_engine, read, write
from govern.record.tables import (
    APPROVAL, CHECK, EVALUATION, EVENT, GATE, MODEL, POLICY, SIGNED_TABLES, SIGNOFF_RESULT, USE_CASE,
)

if TYPE_CHECKING:
    from govern.evaluate.results import Decision
    from govern.policy.pack import Policy
    from govern.sign.records import SignedRecord

UTC = _dt.timezone.utc
PASSING = ("passed", "warned", "waived")  # mirrors govern.evaluate.results.PASSING without importing it



def now() -> _dt.datetime:
    return _dt.datetime.now(UTC)


def as_utc(value: _dt.datetime) -> _dt.datetime:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def furthest_stage(gates: list[tuple[str, str]]) -> str | None:
    """The last gate of the leading run of passing gates (in plan order): where the model may go."""
    last = None
    for gate, status in gates:
        if status not in PASSING:
            break
        last = gate
    return last


@dataclass(frozen=True)
class EvaluationSummary:
    id: int
    use_case_id: str
    tier: str
    target: str
    allowed: bool
    furthest_stage: str | None
    as_of: _dt.date
    recorded_at: _dt.datetime
    decision_digest: str
    model: dict[str, Any]  # digest, name, version
    policy: dict[str, Any]  # digest, name, version

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "use_case": self.use_case_id, "tier": self.tier, "target": self.target,
                "allowed": self.allowed, "furthest_stage": self.furthest_stage, "as_of": self.as_of.isoformat(),
                "recorded_at": self.recorded_at.isoformat(), "decision_digest": self.decision_digest,
                "model": self.model, "policy": self.policy}


class Store:
    """An open store. Create with :meth:`open`; close (or use as a context manager) when done."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, cwd: Path | None = None) -> "Store":
        """Resolve the URL, create the SQLite folder if needed and migrate to head; StoreError if impossible."""
        from govern.record.migrate import upgrade

        resolved = resolve_url(url, cwd)
        if resolved.startswith("sqlite:///") and resolved != "sqlite:///:memory:":
            folder = Path(resolved.removeprefix("sqlite:///")).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise store_error(f"cannot create the store folder {folder}: {exc.strerror or exc}") from None
        try:
            engine = make_engine(resolved)
        except ImportError as exc:  # the PostgreSQL driver is an optional extra
            raise store_error(f"cannot open {redact(resolved)}: the PostgreSQL driver is not installed ({exc})",
                              "pip install 'govern[postgres]' (psycopg 3)") from None
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise store_error(f"cannot open the govern store at {redact(resolved)}: {_reason(exc)}") from None
        return cls(engine, resolved)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def record_decision(self, decision: "Decision", *, policy: "Policy | None" = None,
                        recorded_at: _dt.datetime | None = None) -> int:
        """Store a decision with its normalised results; registers use case, model and policy versions.

        ``policy`` (optional) supplies each sign-off's ``valid_for`` so the inventory can say when
        an approval expires; approvals that already carry an ``expires`` date use it instead.
        """
        if decision.replay:  # a replay answers "what would it have been"; the record holds only what was
            from govern.errors import Diagnostic, InputError

            raise InputError(Diagnostic("replay-recorded", "a replayed decision (--as-of) is never recorded",
                                        hint="evaluate at today's date to record; replay with --no-record"))
        data = decision.to_dict()
        validity = _validity(policy, decision.tier) if policy is not None else {}
        try:
            with write(self.engine) as conn:
                return self._record(conn, decision, data, validity, as_utc(recorded_at or now()))
        except SQLAlchemyError as exc:
            raise store_error(f"decision not recorded in {redact(self.url)}: {_reason(exc)}") from None

    def _record(self, conn: Connection, decision: "Decision", data: dict[str, Any],
                validity: Mapping[tuple[str, str], str], at: _dt.datetime) -> int:
        _ensure_use_case(conn, decision.use_case_id, decision.use_case_name, at)
        model = data["model"] or {}
        model_id = _registered(conn, MODEL, decision.model_digest, at,
                               name=_text(model.get("name")), version=_text(model.get("version")))
        policy_id = _register_policy(conn, decision.policy, at)
        gates = [(g.id, g.status) for g in decision.gates]
        stage = furthest_stage(gates)
        decision_json = chain.payload_text(data)
        evaluation_id = conn.execute(insert(EVALUATION).values(
            use_case_id=decision.use_case_id, model_version_id=model_id, policy_version_id=policy_id,
            decision_digest=decision.digest, use_case_digest=decision.use_case_digest,
            evidence_digest=decision.evidence_digest, plan_digest=decision.plan_digest, tier=decision.tier,
            target=decision.target, allowed=decision.allowed, furthest_stage=stage, as_of=decision.as_of,
            recorded_at=at, govern_version=decision.govern_version, decision_json=decision_json,
        ).returning(EVALUATION.c.id)).scalar_one()
        _insert_results(conn, evaluation_id, data["gates"], validity)
        conn.execute(update(USE_CASE).where(USE_CASE.c.id == decision.use_case_id)
                     .values(latest_evaluation_id=evaluation_id))
        append_event(conn, "evaluation", decision.use_case_id, {
            "record": "evaluation", "id": evaluation_id, "decision_digest": decision.digest,
            "decision_sha256": chain.sha256_text(decision_json.encode("utf-8")), "tier": decision.tier,
            "target": decision.target, "allowed": decision.allowed, "furthest_stage": stage,
            "as_of": decision.as_of.isoformat(), "model_digest": decision.model_digest,
            "policy_digest": decision.policy["digest"]}, at)
        return evaluation_id

    def register_policy(self, name: str, version: str, digest: str) -> int:
        """Register a policy version (idempotent); the first registration appends a `policy` event."""
        try:
            with write(self.engine) as conn:
                return _register_policy(conn, {"name": name, "version": version, "digest": digest}, now())
        except SQLAlchemyError as exc:
            raise store_error(f"policy not registered in {redact(self.url)}: {_reason(exc)}") from None

    def record_report(self, use_case_id: str, decision_digest: str, pdf_sha256: str, name: str,
                      evaluation_id: int | None = None) -> int:
        """Append a `report` event naming a rendered PDF by its sha256, so a report handed to an
        auditor years later can be matched to the chain (the PDF itself is not stored)."""
        try:
            with write(self.engine) as conn:
                return append_event(conn, "report", use_case_id, {
                    "decision_digest": decision_digest, "pdf_sha256": pdf_sha256, "file": name,
                    "evaluation": evaluation_id}, now())
        except SQLAlchemyError as exc:
            raise store_error(f"report not recorded in {redact(self.url)}: {_reason(exc)}") from None

    def add_signed(self, record: "SignedRecord", *, recorded_at: _dt.datetime | None = None) -> int:
        """Store a signed sign-off or waiver exactly as signed; adding the same record again returns its id."""
        from govern.record.signed import columns_of

        table = SIGNED_TABLES[record.kind]
        canonical = record.signed_bytes()
        columns = columns_of(record)  # raises InputError for a malformed payload: nothing is written
        payload_digest = chain.sha256_text(canonical)
        at = as_utc(recorded_at or now())
        try:
            with write(self.engine) as conn:
                existing = conn.execute(select(table.c.id).where(
                    table.c.payload_digest == payload_digest, table.c.signature == record.signature)).scalar()
                if existing is not None:
                    return int(existing)
                _ensure_use_case(conn, columns["use_case_id"], columns["use_case_id"], at)
                row_id = conn.execute(insert(table).values(
                    **columns, signature=record.signature, payload_digest=payload_digest,
                    canonical_payload=canonical.decode("utf-8"), recorded_at=at).returning(table.c.id)).scalar_one()
                append_event(conn, record.kind, columns["use_case_id"], {
                    "record": record.kind, "id": row_id, "payload": record.payload, "signature": record.signature,
                    "payload_digest": payload_digest}, at)
                return int(row_id)
        except SQLAlchemyError as exc:
            raise store_error(f"{record.kind} not recorded in {redact(self.url)}: {_reason(exc)}") from None

    # -- reading -----------------------------------------------------------------------------
    def signed_records(self, kind: str, use_case_id: str, **where: str) -> list[tuple[int, "SignedRecord"]]:
        """(row id, the record exactly as signed) for one use case, filtered by column equality."""
        from govern.sign.records import SignedRecord

        table = SIGNED_TABLES[kind]
        query = select(table.c.id, table.c.canonical_payload, table.c.signature).where(
            table.c.use_case_id == use_case_id, *(table.c[k] == v for k, v in where.items())).order_by(table.c.id)
        with read(self.engine) as conn:
            rows = conn.execute(query).all()
        return [(row.id, SignedRecord(kind, json.loads(row.canonical_payload), row.signature,  # type: ignore[arg-type]
                                      source=f"store:{kind}/{row.id}")) for row in rows]

    def evaluations(self, use_case_id: str | None = None) -> list[EvaluationSummary]:
        """Every recorded evaluation (of one use case), oldest first."""
        query = summary_query()
        if use_case_id is not None:
            query = query.where(EVALUATION.c.use_case_id == use_case_id)
        with read(self.engine) as conn:
            return [summary_of(row) for row in conn.execute(query.order_by(EVALUATION.c.id))]

    def latest_decisions(self) -> dict[str, EvaluationSummary]:
        """use case id → its most recently recorded evaluation."""
        with read(self.engine) as conn:
            rows = conn.execute(summary_query().join(USE_CASE, USE_CASE.c.latest_evaluation_id == EVALUATION.c.id)
                                .order_by(EVALUATION.c.use_case_id))
            return {row.use_case_id: summary_of(row) for row in rows}

    def decision(self, evaluation_id: int) -> dict[str, Any]:
        """The full decision JSON of one evaluation (as :meth:`Decision.to_dict` wrote it)."""
        with read(self.engine) as conn:
            text_ = conn.execute(select(EVALUATION.c.decision_json).where(EVALUATION.c.id == evaluation_id)).scalar()
        if text_ is None:
            raise KeyError(evaluation_id)
        return json.loads(text_)

    # -- the audit trail ---------------------------------------------------------------------
    def verify_chain(self) -> chain.ChainReport:
        from govern.record.audit import verify_store

        with read(self.engine) as conn:
            return verify_store(conn)

    def export_events(self) -> Iterator[dict[str, Any]]:
        """Every event in order, payload parsed: one JSON object per line of ``audit export``."""
        with read(self.engine) as conn:
            for row in conn.execution_options(yield_per=2000).execute(select(EVENT).order_by(EVENT.c.seq)):
                yield {"seq": row.seq, "kind": row.kind, "subject": row.subject, "recorded_at": row.recorded_at,
                       "payload_digest": row.payload_digest, "payload": json.loads(row.payload_json),
                       "prev_hash": row.prev_hash, "hash": row.hash}


# -- helpers (module level: used inside one write transaction) ----------------------------------
def append_event(conn: Connection, kind: str, subject: str, payload: Any, at: _dt.datetime) -> int:
    """Append one event; the caller holds the chain lock (see :func:`govern.record.engine.write`)."""
    head = conn.execute(select(EVENT.c.seq, EVENT.c.hash).order_by(EVENT.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, chain.GENESIS)
    text_ = chain.payload_text(payload)
    payload_digest = chain.sha256_text(text_.encode("utf-8"))
    recorded_at = at.astimezone(UTC).isoformat()
    conn.execute(insert(EVENT).values(
        seq=seq, kind=kind, subject=subject, payload_digest=payload_digest, payload_json=text_, prev_hash=prev,
        hash=chain.event_hash(seq, kind, subject, json.loads(text_), payload_digest, prev, recorded_at),
        recorded_at=recorded_at))
    return seq


def _ensure_use_case(conn: Connection, use_case_id: str, name: str, at: _dt.datetime) -> None:
    current = conn.execute(select(USE_CASE.c.name).where(USE_CASE.c.id == use_case_id)).first()
    if current is None:
        conn.execute(insert(USE_CASE).values(id=use_case_id, name=name, created_at=at))
    elif current.name != name and name != use_case_id:  # a signed record knows only the id
        conn.execute(update(USE_CASE).where(USE_CASE.c.id == use_case_id).values(name=name))


def _registered(conn: Connection, table: Any, digest: str, at: _dt.datetime, **values: Any) -> int:
    found = conn.execute(select(table.c.id).where(table.c.digest == digest)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(table).values(digest=digest, created_at=at, **values)
                            .returning(table.c.id)).scalar_one())


def _register_policy(conn: Connection, policy: Mapping[str, str], at: _dt.datetime) -> int:
    found = conn.execute(select(POLICY.c.id).where(POLICY.c.digest == policy["digest"])).scalar()
    if found is not None:
        return int(found)
    policy_id = _registered(conn, POLICY, policy["digest"], at, name=policy["name"], version=policy["version"])
    append_event(conn, "policy", policy["name"], {
        "record": "policy_version", "id": policy_id, "name": policy["name"], "version": policy["version"],
        "digest": policy["digest"]}, at)
    return policy_id


def _insert_results(conn: Connection, evaluation_id: int, gates: list[dict[str, Any]],
                    validity: Mapping[tuple[str, str], str]) -> None:
    gate_rows, check_rows, signoff_rows, approval_rows = [], [], [], []
    for position, gate in enumerate(gates):
        gate_rows.append({"evaluation_id": evaluation_id, "position": position, "gate": gate["id"],
                          "status": gate["status"]})
        for c in gate["checks"]:
            waiver = c.get("waiver") or {}
            check_rows.append({"evaluation_id": evaluation_id, "gate": gate["id"], "check_id": c["id"],
                               "kind": c["kind"], "status": c["status"], "enforcement": c["enforcement"],
                               "waiver_approver": waiver.get("approver"),
                               "waiver_expires": _date(waiver.get("expires"))})
        for s in gate["signoffs"]:
            counted = [a for a in s["approvals"] if a.get("decision", "approve") == "approve"]
            signoff_rows.append({"evaluation_id": evaluation_id, "gate": s["gate"], "role": s["role"],
                                 "required": s["required"], "approved": len(counted), "status": s["status"]})
            for a in s["approvals"]:
                signed_at = as_utc(_dt.datetime.fromisoformat(a["signed_at"]))
                approval_rows.append({
                    "evaluation_id": evaluation_id, "gate": s["gate"], "role": s["role"], "signer": a["signer"],
                    "decision": a.get("decision", "approve"), "signed_at": signed_at,
                    "expires": _expiry(a, signed_at, validity.get((s["gate"], s["role"]))),
                    "key_fingerprint": a.get("key_fingerprint")})
    for table, rows in ((GATE, gate_rows), (CHECK, check_rows), (SIGNOFF_RESULT, signoff_rows),
                        (APPROVAL, approval_rows)):
        if rows:
            conn.execute(insert(table), rows)


def _expiry(approval: Mapping[str, Any], signed_at: _dt.datetime, valid_for: str | None) -> _dt.date | None:
    """The last day an approval counts: the evaluator's own ``expires`` if it gave one, else signed day + valid_for."""
    if approval.get("expires"):
        return _date(approval["expires"])
    if not valid_for:
        return None
    from govern.policy.model import parse_duration

    return signed_at.date() + parse_duration(valid_for)


def _validity(policy: "Policy", tier: str) -> dict[tuple[str, str], str]:
    template = policy.templates.get(tier)
    if template is None:
        return {}
    return {(stage.id, s.role): s.valid_for for stage in template.stages for s in stage.gate.signoffs if s.valid_for}


def _date(value: Any) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def summary_query() -> Any:
    return (select(EVALUATION.c.id, EVALUATION.c.use_case_id, EVALUATION.c.tier, EVALUATION.c.target,
                   EVALUATION.c.allowed, EVALUATION.c.furthest_stage, EVALUATION.c.as_of, EVALUATION.c.recorded_at,
                   EVALUATION.c.decision_digest, MODEL.c.digest.label("model_digest"),
                   MODEL.c.name.label("model_name"), MODEL.c.version.label("model_version"),
                   POLICY.c.digest.label("policy_digest"), POLICY.c.name.label("policy_name"),
                   POLICY.c.version.label("policy_version"))
            .join(MODEL, MODEL.c.id == EVALUATION.c.model_version_id)
            .join(POLICY, POLICY.c.id == EVALUATION.c.policy_version_id))


def summary_of(row: Any) -> EvaluationSummary:
    return EvaluationSummary(
        row.id, row.use_case_id, row.tier, row.target, bool(row.allowed), row.furthest_stage, row.as_of,
        as_utc(row.recorded_at), row.decision_digest,
        {"digest": row.model_digest, "name": row.model_name, "version": row.model_version},
        {"digest": row.policy_digest, "name": row.policy_name, "version": row.policy_version})


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


__all__ = ["Store", "EvaluationSummary", "furthest_stage", "append_event"]
