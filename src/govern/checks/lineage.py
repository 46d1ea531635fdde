"""`lineage` check: graph rules over the model's lineage, reporting the offending paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement, param_list
from govern.errors import Diagnostic, PolicyError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec

RULES = {
    "registered_sources": "training input does not reach a registered source",
    "pii_anonymised": "PII reaches training without an anonymisation job",
    "licensed_sources": "source has no licence or terms of use",
}


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.evidence.lineage_graph import (pii_without_anonymisation, sources_without_licence,
                                               unregistered_training_inputs)

    rules = param_list(spec.params, "rules") or list(RULES)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise PolicyError(Diagnostic("check-params", f"unknown lineage rule(s): {', '.join(unknown)}",
                                     hint="rules: " + ", ".join(RULES)))
    graph = ctx.lineage()
    model_id = str(spec.params.get("model") or ctx.model_info().get("name") or "")
    violations: list[str] = []
    for rule in rules:
        if rule == "registered_sources":
            paths = unregistered_training_inputs(graph, model_id)
        elif rule == "pii_anonymised":
            paths = pii_without_anonymisation(graph, model_id)
        else:
            paths = sources_without_licence(graph)
        violations += [f"{RULES[rule]}: {' → '.join(p)}" for p in paths]
    files = ctx.bundle.files_with_role("lineage") + ctx.bundle.files_with_role("openlineage")
    message = f"{len(violations)} lineage violation(s)" if violations else \
        f"lineage of `{model_id}` satisfies {', '.join(rules)}"
    return Measurement(measured={"violations": violations, "rules": rules, "model": model_id},
                       ok=not violations, message=message, evidence=[ctx.ref(f) for f in files], details=violations)
