"""Section 13, Appendix: the policy text that applied — rules, template, parameters, file digests.

Printed from the pack as loaded, so the report carries the exact text the decision was made
under; without the pack the section says it was not available.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import shown

if TYPE_CHECKING:
    from govern.policy.pack import Policy


def build_appendix(decision: dict[str, Any], policy: "Policy | None") -> dict[str, Any]:
    if policy is None:
        return {"available": False}
    cls = decision.get("classification") or {}
    applied = {r["id"] for r in cls.get("rules", [])}
    rules = [{"id": r.id, "text": r.text, "location": policy.location(r.span), "applied": r.id in applied}
             for r in policy.rules if r.id in applied]
    template_file = policy.template_files.get(decision.get("tier"))
    template_text = None
    if template_file:
        try:
            template_text = (policy.root / template_file).read_text("utf-8").replace("\r\n", "\n").rstrip()
        except OSError:
            template_text = None
    params = [{"name": k, "value": shown(v)} for k, v in sorted(policy.manifest.parameters.items())]
    return {"available": True, "rules": rules, "template_file": template_file, "template_text": template_text,
            "template_lines": template_text.count("\n") + 1 if template_text else 0,
            "parameters": params, "files": [{"path": p, "sha256": s} for p, s in sorted(policy.files.items())]}
