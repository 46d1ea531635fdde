"""The inventory (`govern status`) and a use case's approval history (`govern history`), as data.

Both read the normalised rows written with each evaluation, never the decision JSON, and run
in one read transaction each, so a view is a consistent snapshot even while CI records.
The inventory is four set-based queries driven by ``use_case.latest_evaluation_id`` (index
lookups per use case), independent of how many evaluations each has (benchmarks/bench_status.py).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from govern.record.engine import read
from govern.record.store import as_utc, summary_of, summary_query
from govern.record.tables import (APPROVAL, CHECK, EVALUATION, EVENT, MODEL, POLICY, REGISTRATION, SIGNOFF,
                                  SIGNOFF_RESULT, USE_CASE, WAIVER)

if TYPE_CHECKING:
    from govern.record.store import Store


@dataclass
class InventoryItem:
    use_case_id: str
    name: str
    tier: str
    model: dict[str, Any]
    policy: dict[str, Any]
    furthest_stage: str | None
    target: str
    allowed: bool
    recorded_at: _dt.datetime
    evaluation_id: int
    pending: list[dict[str, Any]] = field(default_factory=list)
    expiring_approvals: list[dict[str, Any]] = field(default_factory=list)
    expiring_waivers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case_id, "name": self.name, "tier": self.tier, "model": self.model,
                "policy": self.policy, "furthest_stage": self.furthest_stage,
                "last_decision": {"evaluation": self.evaluation_id, "target": self.target, "allowed": self.allowed,
                                  "recorded_at": self.recorded_at.isoformat()},
                "pending_signoffs": self.pending, "expiring_approvals": self.expiring_approvals,
                "expiring_waivers": self.expiring_waivers}


def inventory(store: "Store", *, today: _dt.date | None = None, expiring_within: int = 30) -> list[InventoryItem]:
    """Every use case with a recorded decision, from its latest one; ``expiring_within`` days from ``today``."""
    today = today or _dt.date.today()
    horizon = today + _dt.timedelta(days=expiring_within)
    latest = (select(USE_CASE.c.latest_evaluation_id.label("id"))
              .where(USE_CASE.c.latest_evaluation_id.is_not(None)).subquery("latest"))
    with read(store.engine) as conn:
        rows = conn.execute(
            select(EVALUATION.c.id, EVALUATION.c.use_case_id, USE_CASE.c.name, EVALUATION.c.tier,
                   EVALUATION.c.target, EVALUATION.c.allowed, EVALUATION.c.furthest_stage, EVALUATION.c.recorded_at,
                   MODEL.c.digest.label("m_digest"), MODEL.c.name.label("m_name"), MODEL.c.version.label("m_version"),
                   POLICY.c.digest.label("p_digest"), POLICY.c.name.label("p_name"),
                   POLICY.c.version.label("p_version"))
            .select_from(latest.join(EVALUATION, EVALUATION.c.id == latest.c.id)
                         .join(USE_CASE, USE_CASE.c.id == EVALUATION.c.use_case_id)
                         .join(MODEL, MODEL.c.id == EVALUATION.c.model_version_id)
                         .join(POLICY, POLICY.c.id == EVALUATION.c.policy_version_id))
            .order_by(EVALUATION.c.use_case_id)).all()
        items = {r.id: InventoryItem(
            r.use_case_id, r.name, r.tier, {"digest": r.m_digest, "name": r.m_name, "version": r.m_version},
            {"digest": r.p_digest, "name": r.p_name, "version": r.p_version}, r.furthest_stage, r.target,
            bool(r.allowed), as_utc(r.recorded_at), r.id) for r in rows}
        for r in conn.execute(
                select(SIGNOFF_RESULT.c.evaluation_id, SIGNOFF_RESULT.c.gate, SIGNOFF_RESULT.c.role,
                       SIGNOFF_RESULT.c.required, SIGNOFF_RESULT.c.approved, SIGNOFF_RESULT.c.status)
                .join(latest, latest.c.id == SIGNOFF_RESULT.c.evaluation_id)
                .where(SIGNOFF_RESULT.c.status != "passed").order_by(SIGNOFF_RESULT.c.id)):
            items[r.evaluation_id].pending.append({"gate": r.gate, "role": r.role, "required": r.required,
                                                   "approved": r.approved, "status": r.status})
        for r in conn.execute(
                select(APPROVAL.c.evaluation_id, APPROVAL.c.gate, APPROVAL.c.role, APPROVAL.c.signer,
                       APPROVAL.c.expires)
                .join(latest, latest.c.id == APPROVAL.c.evaluation_id)
                .where(and_(APPROVAL.c.expires.is_not(None), APPROVAL.c.expires <= horizon),
                       APPROVAL.c.decision == "approve")
                .order_by(APPROVAL.c.expires, APPROVAL.c.id)):
            items[r.evaluation_id].expiring_approvals.append({
                "gate": r.gate, "role": r.role, "signer": r.signer, "expires": r.expires.isoformat(),
                "expired": r.expires < today})
        for r in conn.execute(
                select(CHECK.c.evaluation_id, CHECK.c.gate, CHECK.c.check_id, CHECK.c.waiver_approver,
                       CHECK.c.waiver_expires)
                .join(latest, latest.c.id == CHECK.c.evaluation_id)
                .where(CHECK.c.status == "waived", CHECK.c.waiver_expires <= horizon)
                .order_by(CHECK.c.waiver_expires, CHECK.c.id)):
            items[r.evaluation_id].expiring_waivers.append({
                "check": f"{r.gate}.{r.check_id}", "approver": r.waiver_approver,
                "expires": r.waiver_expires.isoformat(), "expired": r.waiver_expires < today})
    return sorted(items.values(), key=lambda i: i.use_case_id)


def history(store: "Store", use_case_id: str) -> dict[str, Any] | None:
    """Every recorded decision of a use case, with who approved which gate; None if it was never recorded."""
    with read(store.engine) as conn:
        case = conn.execute(select(USE_CASE).where(USE_CASE.c.id == use_case_id)).first()
        if case is None:
            return None
        approvals: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in conn.execute(
                select(APPROVAL).join(EVALUATION, EVALUATION.c.id == APPROVAL.c.evaluation_id)
                .where(EVALUATION.c.use_case_id == use_case_id).order_by(APPROVAL.c.id)):
            approvals[r.evaluation_id].append({
                "gate": r.gate, "role": r.role, "signer": r.signer, "decision": r.decision,
                "signed_at": as_utc(r.signed_at).isoformat(),
                "expires": r.expires.isoformat() if r.expires else None, "key_fingerprint": r.key_fingerprint})
        signed = [{"kind": "signoff", "id": r.id, "gate": r.gate, "role": r.role, "signer": r.signer,
                   "decision": r.decision, "model_digest": r.model_digest, "signed_at": as_utc(r.signed_at).isoformat(),
                   "comment": r.comment}
                  for r in conn.execute(select(SIGNOFF).where(SIGNOFF.c.use_case_id == use_case_id)
                                        .order_by(SIGNOFF.c.signed_at, SIGNOFF.c.id))]
        signed += [{"kind": "waiver", "id": r.id, "check": r.check_id, "role": r.role, "approver": r.approver,
                    "reason": r.reason, "expires": r.expires.isoformat(),
                    "signed_at": as_utc(r.signed_at).isoformat()}
                   for r in conn.execute(select(WAIVER).where(WAIVER.c.use_case_id == use_case_id)
                                         .order_by(WAIVER.c.signed_at, WAIVER.c.id))]
        registrations = [{"kind": "registration", "id": r.id, "tier": r.tier, "role": r.role, "signer": r.signer,
                          "descriptor_digest": r.descriptor_digest, "policy_digest": r.policy_digest,
                          "signed_at": as_utc(r.signed_at).isoformat()}
                         for r in conn.execute(select(REGISTRATION).where(REGISTRATION.c.use_case_id == use_case_id)
                                               .order_by(REGISTRATION.c.signed_at, REGISTRATION.c.id))]
        previous = None
        for record in registrations:  # a tier change is only ever someone's signed act: say whose
            record["previous_tier"] = previous
            previous = record["tier"]
        signed += registrations
        summaries = [summary_of(r) for r in conn.execute(
            summary_query().where(EVALUATION.c.use_case_id == use_case_id).order_by(EVALUATION.c.id))]
        events = _event_numbers(conn, use_case_id)
    for record in signed:
        record["event"] = events.get((record["kind"], record["id"]))
    evaluations = [{**s.to_dict(), "event": events.get(("evaluation", s.id)), "approvals": approvals.get(s.id, [])}
                   for s in summaries]
    return {"use_case": {"id": case.id, "name": case.name}, "evaluations": evaluations, "signed_records": signed}


def _event_numbers(conn: Any, use_case_id: str) -> dict[tuple[str, int], int]:
    """(kind, row id) → the audit event that recorded the row.

    Outputs number records by their event (`seq`): the one number `audit verify` names when the
    chain breaks and `audit export` lists, rather than per-table row ids that look alike.
    """
    rows = conn.execute(select(EVENT.c.seq, EVENT.c.kind, EVENT.c.payload_json)
                        .where(EVENT.c.subject == use_case_id,
                               EVENT.c.kind.in_(("evaluation", "signoff", "waiver", "registration"))))
    return {(r.kind, json.loads(r.payload_json).get("id")): r.seq for r in rows}
