"""Section 3, Risk classification: every rule and why, the facts each read, the rule text, and
the answers the tier hangs on.

The decision records each rule's outcome and what decided it (for a rule that did not fire:
the condition that was false, or the exception that lifted it); the policy adds the rule text
and the question behind each fact, so a reader can check the classification without the pack.
With the policy and the descriptor at hand, the section also lists the answers one change of
which moves the tier (:mod:`govern.sensitivity`), so a reviewer knows what to challenge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.classification import OUTCOME_LABELS, why_lines
from govern.report.formatting import shown

if TYPE_CHECKING:
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy


def build_classification(decision: dict[str, Any], policy: "Policy | None",
                         use_case: "UseCase | None" = None) -> dict[str, Any]:
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
                      "text": texts.get(r["id"]), "why": "\n".join(why_lines(r, indent=""))})
    not_fired = []
    for r in cls.get("not_fired", []):
        if isinstance(r, str):  # decisions recorded before explanations: the id alone
            not_fired.append({"id": r, "label": "did not fire", "why": ""})
            continue
        not_fired.append({"id": r["id"], "tier": r.get("tier"), "citation": r.get("citation"),
                          "location": r.get("location"), "label": OUTCOME_LABELS.get(r.get("outcome"), "did not fire"),
                          "exempted": r.get("outcome") == "exempted", "why": "\n".join(why_lines(r, indent="")),
                          "summary": (r.get("why") or {}).get("summary") if isinstance(r.get("why"), dict) else None})
    return {"tier": cls.get("tier", decision.get("tier")), "default_tier_used": cls.get("default_tier_used"),
            "rules": rules, "not_fired": not_fired, "as_of": cls.get("as_of"),
            "policy_digest": cls.get("policy_digest"), "sensitivity": _sensitivity(cls, policy, use_case)}


def _sensitivity(cls: dict[str, Any], policy: "Policy | None", use_case: "UseCase | None") -> dict[str, Any] | None:
    """The answers the tier hangs on, at the decision's date; None without the pack and the descriptor."""
    if policy is None or use_case is None or not cls.get("as_of") or cls.get("policy_digest") != policy.digest:
        return None
    import datetime as _dt

    from govern.sensitivity import analyse

    data = analyse(policy, use_case, _dt.date.fromisoformat(cls["as_of"]), cls.get("tier")).to_dict()
    hanging = []
    for item in data["facts"]:
        if not item["changes"]:
            continue
        by_tier: dict[str, list[str]] = {}
        for change in item["changes"]:
            by_tier.setdefault(change["tier"], []).append(change["label"])
        hanging.append({"fact": item["fact"], "answer": shown(item["answer"]) if item["answer"] is not None
                        else "unanswered", "evidence": item["evidence"], "evidence_required": item["evidence_required"],
                        "moves": [{"tier": t, "answers": ", ".join(labels)} for t, labels in by_tier.items()]})
    steady = [item["fact"] for item in data["facts"] if not item["changes"]]
    return {"hangs_on": hanging, "steady": steady}
