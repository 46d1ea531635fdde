"""Section 1, the cover: who and what was evaluated, the verdict, the digests, and the stage strip.

Everything an auditor needs to identify the evaluation without turning a page; the running
header of every later page is taken from the same data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import short
from govern.report.sections.common import PASSING

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy


def build_meta(decision: dict[str, Any], policy: "Policy | None", use_case: "UseCase | None",
          bundle: "EvidenceBundle | None") -> dict[str, Any]:
    model = decision.get("model") or {}
    uc = decision.get("use_case") or {}
    tier = decision.get("tier")
    tier_def = None
    if policy is not None:
        tier_def = next((t for t in policy.manifest.tiers if t.id == tier), None)
    pol = decision.get("policy") or {}
    return {
        "title": "Model governance report",
        "use_case": {"id": uc.get("id"), "name": uc.get("name"), "digest": uc.get("digest"),
                     "owner": getattr(use_case, "owner", None), "description": getattr(use_case, "description", None)},
        "model": {"name": model.get("name"), "version": model.get("version"), "owner": model.get("owner"),
                  "algorithm": model.get("algorithm"), "digest": decision.get("model_digest"),
                  "extra": {k: v for k, v in model.items() if k not in ("name", "version", "owner", "algorithm")
                            and isinstance(v, (str, int, float)) and not isinstance(v, bool)}},
        "tier": tier, "tier_title": getattr(tier_def, "title", None) or tier,
        "tier_description": getattr(tier_def, "description", None),
        "target": decision.get("target"), "allowed": bool(decision.get("allowed")),
        # a replay (`--as-of`) says so wherever the verdict is shown: it answers "what would it have been"
        "verdict_word": ("REPLAY · " if decision.get("replay") else "") + ("ALLOWED" if decision.get("allowed")
                                                                          else "BLOCKED"),
        "verdict": (f"REPLAY as of {decision.get('as_of')}: " if decision.get("replay") else "")
        + str(decision.get("verdict") or ""),
        "replay": bool(decision.get("replay")),
        "as_of": decision.get("as_of"),
        "policy": {"name": pol.get("name"), "version": pol.get("version"), "digest": pol.get("digest"),
                   "title": getattr(getattr(policy, "manifest", None), "title", None)},
        "policy_available": policy is not None,
        "evidence_digest": decision.get("evidence_digest"),
        "evidence_name": bundle.name if bundle is not None else None,
        "evidence_available": bundle is not None,
        "plan_digest": decision.get("plan_digest"),
        "decision_digest": decision.get("decision_digest"),
        "decision_short": short(decision.get("decision_digest")),
        "govern_version": decision.get("govern_version"),
    }


def build_stages(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g in decision.get("gates", []):
        out.append({"id": g["id"], "title": g["title"], "status": g["status"],
                    "may_enter": g["status"] in PASSING, "message": g.get("message") or "",
                    "target": g["id"] == decision.get("target")})
    return out
