"""Section 2, the executive summary: what blocks, how many checks pass, open sign-offs, waivers, expiries.

The only section that looks ahead in time: approvals and waivers expiring within
``EXPIRING_WITHIN_DAYS`` of the evaluation date, which needs the validity periods the policy
gives each sign-off.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from govern.report.formatting import to_date
from govern.report.sections.common import PASSING, STATUS_ORDER
from govern.report.sections.people import person_name, role_holders, role_title

if TYPE_CHECKING:
    from govern.policy.pack import Policy

EXPIRING_WITHIN_DAYS = 30


def find_item(decision: dict[str, Any], qualified: str) -> dict[str, Any] | None:
    """A determining item (``gate.check`` or ``gate.signoff:key``) as a row of the 'what blocks' table."""
    gate_id, _, rest = qualified.partition(".")
    gate = next((g for g in decision.get("gates", []) if g["id"] == gate_id), None)
    if gate is None:
        return None
    if rest.startswith("signoff:"):
        key = rest.removeprefix("signoff:")
        s = next((s for s in gate["signoffs"] if s.get("id") == key or s["role"] == key), None)
        if s is None:
            return None
        return {"id": qualified, "kind": "sign-off", "title": s.get("title") or f"{s['role']} sign-off",
                "status": s["status"], "message": s.get("message") or "", "gate": gate_id}
    c = next((c for c in gate["checks"] if c["id"] == rest), None)
    if c is None:
        return {"id": qualified, "kind": "", "title": rest, "status": "", "message": "", "gate": gate_id}
    return {"id": qualified, "kind": c["kind"], "title": c.get("title") or c["id"], "status": c["status"],
            "message": c.get("message") or "", "gate": gate_id}


def build_summary(decision: dict[str, Any], gates: list[dict[str, Any]], policy: "Policy | None",
             people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    as_of = to_date(decision.get("as_of"))
    blocking = [b for b in (find_item(decision, q) for q in decision.get("determining", [])) if b]
    counts: dict[str, int] = {s: 0 for s in STATUS_ORDER if s not in ("pending", "blocked")}
    for g in decision.get("gates", []):
        for c in g["checks"]:
            counts[c["status"]] = counts.get(c["status"], 0) + 1
    open_signoffs, waivers, expiring = [], [], []
    validity = _validity(policy, decision.get("tier"))
    for g in decision.get("gates", []):
        for s in g["signoffs"]:
            approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
            if s["status"] != "passed":
                open_signoffs.append({"gate": g["id"], "gate_title": g["title"], "role": s["role"],
                                      "role_title": role_title(policy, s["role"]), "required": s["required"],
                                      "approved": approved, "status": s["status"],
                                      "holders": [people[p]["name"] for p in role_holders(policy, s["role"])]})
            for a in s.get("approvals", []):
                expires = _expires(a, validity.get((g["id"], s.get("id") or s["role"])))
                if expires is not None and as_of is not None and (expires - as_of).days <= EXPIRING_WITHIN_DAYS:
                    expiring.append({"gate": g["id"], "role": s["role"], "signer": person_name(people, a.get("signer")),
                                     "expires": expires.isoformat(), "days": (expires - as_of).days})
        for c in g["checks"]:
            w = c.get("waiver")
            if w:
                expires = to_date(w.get("expires"))
                waivers.append({"check": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"],
                                "status": c["status"], "approver": person_name(people, w.get("approver")),
                                "role": w.get("role"), "role_title": role_title(policy, w.get("role")),
                                "reason": w.get("reason"), "expires": w.get("expires"),
                                "days": (expires - as_of).days if expires and as_of else None,
                                "source": w.get("source")})
    passing = [s for s in decision.get("gates", []) if s["status"] in PASSING]
    furthest = None
    for g in decision.get("gates", []):
        if g["status"] not in PASSING:
            break
        furthest = g
    total = sum(counts.values())
    return {
        "sentence": decision.get("verdict"),
        "blocking": blocking,
        "counts": counts, "total_checks": total,
        "gates_passing": len(passing), "gates_total": len(decision.get("gates", [])),
        "furthest": furthest["title"] if furthest else None,
        "open_signoffs": open_signoffs,
        "waivers": waivers,
        "expiring": sorted(expiring, key=lambda e: (e["expires"], e["gate"], e["role"])),
        "expiring_within": EXPIRING_WITHIN_DAYS,
    }


def _validity(policy: "Policy | None", tier: str | None) -> dict[tuple[str, str], _dt.timedelta]:
    if policy is None or tier not in getattr(policy, "templates", {}):
        return {}
    from govern.policy.model import parse_duration

    out: dict[tuple[str, str], _dt.timedelta] = {}
    for stage in policy.templates[tier].stages:
        for s in stage.gate.signoffs:
            if not s.valid_for:
                continue
            value = policy.resolve(s.valid_for)
            try:
                out[(stage.id, s.key)] = (_dt.timedelta(days=value) if isinstance(value, (int, float))
                                          else parse_duration(str(value)))
            except (ValueError, TypeError):
                continue
    return out


def _expires(approval: dict[str, Any], valid_for: _dt.timedelta | None) -> _dt.date | None:
    if approval.get("expires"):
        return to_date(approval["expires"])
    signed = to_date(approval.get("signed_at"))
    if signed is None or valid_for is None:
        return None
    return signed + valid_for
