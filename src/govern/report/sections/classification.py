"""Section 3, Risk classification: the rules that fired, the facts each read, and the rule text.

The decision records which rules fired and what they read; the policy adds the rule text and
the question behind each fact, so a reader can check the classification without the pack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import shown

if TYPE_CHECKING:
    from govern.policy.pack import Policy


def build_classification(decision: dict[str, Any], policy: "Policy | None") -> dict[str, Any]:
    cls = decision.get("classification") or {}
    texts: dict[str, str] = {}
    questions: dict[str, str] = {}
    tiers: dict[str, str] = {}
    if policy is not None:
        texts = {r.id: r.text for r in policy.rules}
        questions = {name: (getattr(f, "question", None) or getattr(f, "title", None) or "")
                     for name, f in policy.facts.items()}
        tiers = {t.id: t.title or t.id for t in policy.manifest.tiers}
    rules = []
    for r in cls.get("rules", []):
        reads = []
        for path, value in (r.get("reads") or {}).items():
            fact = path.removeprefix("use_case.")
            reads.append({"path": path, "value": shown(value), "question": questions.get(fact, "")})
        rules.append({"id": r["id"], "tier": r.get("tier"), "tier_title": tiers.get(r.get("tier"), r.get("tier")),
                      "status": r.get("status"), "effect": r.get("effect"), "citation": r.get("citation"),
                      "location": r.get("location"), "reads": reads, "message": r.get("message"),
                      "text": texts.get(r["id"])})
    return {"tier": cls.get("tier", decision.get("tier")), "default_tier_used": cls.get("default_tier_used"),
            "rules": rules, "not_fired": list(cls.get("not_fired", [])), "as_of": cls.get("as_of"),
            "policy_digest": cls.get("policy_digest")}
