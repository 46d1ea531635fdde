"""The inventory (`govern status`) and a use case's approval history (`govern history`), as data.

Both are computed from the rows the audit log recorded (:mod:`govern.record.recorded`), each
event checked against its own hash first, never from the tables those rows were copied to:
an edited ``approval.signer`` or ``use_case.latest_evaluation_id`` cannot show, and an edited
event raises :class:`~govern.record.chain.LogAltered` rather than being displayed (`govern
audit verify` then locates it). One read transaction each, so a view is a consistent
snapshot while CI records. The inventory reads one event per use case -- the newest
evaluation event, found through the ``(kind, subject, seq)`` index -- and filters its
recorded rows in Python (benchmarks/bench_status.py).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.record.engine import read
from govern.record.recorded import Recorded, date, events, latest_evaluations, timestamp
from govern.record.store import summary_from
from govern.record.tables import EVENT

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
    #: approvals whose validity ran out before ``today``: the model is past its review date
    past_review: list[dict[str, Any]] = field(default_factory=list)
    #: waivers still in force on ``today``
    open_waivers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case_id, "name": self.name, "tier": self.tier, "model": self.model,
                "policy": self.policy, "furthest_stage": self.furthest_stage,
                "last_decision": {"evaluation": self.evaluation_id, "target": self.target, "allowed": self.allowed,
                                  "recorded_at": self.recorded_at.isoformat()},
                "pending_signoffs": self.pending, "expiring_approvals": self.expiring_approvals,
                "expiring_waivers": self.expiring_waivers, "past_review": self.past_review,
                "open_waivers": self.open_waivers}


@dataclass
class TierRisk:
    """Aggregate model risk of one tier of one pack: how many models, how many past their
    review date, how many waivers in force (SR 11-7 §VI: model risk in the aggregate)."""

    policy: str
    tier: str
    models: int = 0
    blocked: int = 0
    past_review: int = 0
    open_waivers: int = 0
    breaches: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "tier": self.tier, "models": self.models, "blocked": self.blocked,
                "past_review": self.past_review, "open_waivers": self.open_waivers, "breaches": self.breaches}


def aggregate(items: list[InventoryItem], limits: dict[str, dict[str, dict[str, int | None]]] | None = None
              ) -> list[TierRisk]:
    """Per pack and tier, from each use case's latest decision; ``limits`` (pack name → tier →
    ``max_past_review``/``max_open_waivers``, the pack's ``inventory_limits``) marks breaches."""
    by_key: dict[tuple[str, str], TierRisk] = {}
    for item in items:
        risk = by_key.setdefault((item.policy["name"], item.tier), TierRisk(item.policy["name"], item.tier))
        risk.models += 1
        risk.blocked += 0 if item.allowed else 1
        risk.past_review += 1 if item.past_review else 0
        risk.open_waivers += len(item.open_waivers)
    for (policy, tier), risk in by_key.items():
        limit = ((limits or {}).get(policy) or {}).get(tier) or {}
        for key, count, what in (("max_past_review", risk.past_review, "model(s) past their review date"),
                                 ("max_open_waivers", risk.open_waivers, "open waiver(s)")):
            if limit.get(key) is not None and count > limit[key]:
                risk.breaches.append(f"{count} {what}, limit {limit[key]}")
    return [by_key[k] for k in sorted(by_key)]


def inventory(store: "Store", *, today: _dt.date | None = None, expiring_within: int = 30) -> list[InventoryItem]:
    """Every use case with a recorded decision, from its latest one; ``expiring_within`` days from ``today``."""
    today = today or _dt.date.today()
    horizon = today + _dt.timedelta(days=expiring_within)
    with read(store.engine) as conn:
        return [inventory_item(r, today, horizon) for r in latest_evaluations(conn)]


def inventory_item(r: Recorded, today: _dt.date, horizon: _dt.date) -> InventoryItem:
    """One use case's line of the inventory from its newest evaluation event (the console keeps the events)."""
    s, view = summary_from(r), r.view()
    item = InventoryItem(s.use_case_id, view["use_case"]["name"], s.tier, s.model, s.policy, s.furthest_stage,
                         s.target, s.allowed, s.recorded_at, s.id)
    item.pending = [so for so in view["signoffs"] if so["status"] != "passed"]
    approvals = [a for a in view["approvals"]
                 if a["decision"] == "approve" and a["expires"] is not None and date(a["expires"]) <= horizon]
    for a in sorted(approvals, key=lambda x: x["expires"]):  # stable: by id within a day
        item.expiring_approvals.append({"gate": a["gate"], "role": a["role"], "signer": a["signer"],
                                        "expires": a["expires"], "expired": date(a["expires"]) < today})
    latest = {}
    for a in view["approvals"]:  # a later approval of the same gate and role renews the review
        if a["decision"] == "approve":
            key = (a["gate"], a["role"])
            if key not in latest or (a["expires"] or "9999") > (latest[key]["expires"] or "9999"):
                latest[key] = a
    item.past_review = [{"gate": a["gate"], "role": a["role"], "expired": a["expires"]}
                        for key, a in sorted(latest.items()) if a["expires"] is not None and date(a["expires"]) < today]
    item.open_waivers = [{"check": f"{w['gate']}.{w['check_id']}", "expires": w["expires"]} for w in view["waivers"]
                         if w["expires"] is None or date(w["expires"]) >= today]
    waived = [w for w in view["waivers"] if w["expires"] is not None and date(w["expires"]) <= horizon]
    for w in sorted(waived, key=lambda x: x["expires"]):
        item.expiring_waivers.append({"check": f"{w['gate']}.{w['check_id']}", "approver": w["approver"],
                                      "expires": w["expires"], "expired": date(w["expires"]) < today})
    return item


def history(store: "Store", use_case_id: str) -> dict[str, Any] | None:
    """Every recorded decision of a use case, with who approved which gate; None if it was never recorded."""
    with read(store.engine) as conn:
        recorded = list(events(conn, EVENT.c.subject == use_case_id,
                               EVENT.c.kind.in_(("evaluation", "signoff", "waiver", "registration")), rows=True))
    if not recorded:
        return None
    name = use_case_id
    evaluations, signoffs, waivers, registrations = [], [], [], []
    for r in recorded:
        for case in r.rows("use_case"):
            if case["id"] == use_case_id:
                name = case["name"]
        if r.kind == "evaluation":
            evaluations.append({**summary_from(r).to_dict(), "event": r.seq, "approvals": r.view()["approvals"]})
        elif r.kind == "signoff":
            x = r.one("signoff", r.record_id)
            signoffs.append({"kind": "signoff", "id": x["id"], "event": r.seq, "gate": x["gate"], "role": x["role"],
                             "signer": x["signer"], "decision": x["decision"], "model_digest": x["model_digest"],
                             "signed_at": x["signed_at"], "comment": x["comment"]})
        elif r.kind == "registration":
            x = r.one("registration", r.record_id)
            registrations.append({"kind": "registration", "id": x["id"], "event": r.seq, "tier": x["tier"],
                                  "role": x["role"], "signer": x["signer"], "descriptor_digest": x["descriptor_digest"],
                                  "policy_digest": x["policy_digest"], "signed_at": x["signed_at"]})
        else:
            x = r.one("waiver", r.record_id)
            waivers.append({"kind": "waiver", "id": x["id"], "event": r.seq, "check": x["check_id"], "role": x["role"],
                            "approver": x["approver"], "reason": x["reason"], "expires": x["expires"],
                            "signed_at": x["signed_at"]})
    evaluations.sort(key=lambda e: e["id"])
    registrations.sort(key=lambda x: (timestamp(x["signed_at"]), x["id"]))
    previous = None
    for registration in registrations:  # a tier change is only ever someone's signed act: say whose
        registration["previous_tier"] = previous
        previous = registration["tier"]
    signed = (sorted(signoffs, key=lambda x: (timestamp(x["signed_at"]), x["id"]))
              + sorted(waivers, key=lambda x: (timestamp(x["signed_at"]), x["id"])) + registrations)
    return {"use_case": {"id": use_case_id, "name": name}, "evaluations": evaluations, "signed_records": signed}
