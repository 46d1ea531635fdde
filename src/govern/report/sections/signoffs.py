"""Section 10, Sign-offs and waivers: what each gate requires, what counted, and what did not.

Rejected records are shown with their problem (bad signature, wrong role, stale...), because
an auditor must see what was refused as well as what was accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import when
from govern.report.sections.people import person_name, role_title

if TYPE_CHECKING:
    from govern.policy.pack import Policy


def build_signoffs(decision: dict[str, Any], people: dict[str, dict[str, Any]], policy: "Policy | None") -> dict[str, Any]:
    rows, approvals, rejected = [], [], []
    for g in decision.get("gates", []):
        for s in g["signoffs"]:
            approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
            rows.append({"gate": g["id"], "gate_title": g["title"], "role": s["role"],
                         "role_title": role_title(policy, s["role"]), "required": s["required"], "approved": approved,
                         "status": s["status"], "message": s.get("message") or ""})
            for a in s.get("approvals", []):
                approvals.append(_record(g["id"], s, a, people, policy))
            for r in s.get("rejected", []):
                rejected.append({**_record(g["id"], s, r, people, policy), "problem": r.get("problem") or "—"})
    return {"requirements": rows, "approvals": approvals, "rejected": rejected}


def _record(gate: str, s: dict[str, Any], a: dict[str, Any], people: dict[str, dict[str, Any]],
            policy: "Policy | None") -> dict[str, Any]:
    return {"gate": gate, "role": a.get("role") or s["role"], "role_title": role_title(policy, a.get("role") or s["role"]),
            "signer": person_name(people, a.get("signer")), "decision": a.get("decision") or "—",
            "signed_at": when(a.get("signed_at")), "fingerprint": a.get("key_fingerprint") or "—",
            "verified": "yes" if a.get("verified") else "no", "comment": a.get("comment") or "",
            "source": a.get("source") or ""}
