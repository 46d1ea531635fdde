"""`documentation` check: required model-card sections and metadata are present and non-trivial."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement, param_list

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.evidence.model_card import is_trivial

    card = ctx.model_card()
    min_words = int(spec.params.get("min_words", 10))
    missing, trivial = [], []
    for title in param_list(spec.params, "sections"):
        section = card.section(title)
        if section is None:
            missing.append(title)
        elif is_trivial(section.text, min_words):
            trivial.append(title)
    for key in param_list(spec.params, "metadata"):
        value = card.metadata.get(key)
        if value in (None, "", [], {}):
            missing.append(f"metadata `{key}`")
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if trivial:
        parts.append(f"too thin (< {min_words} words or placeholder): " + ", ".join(trivial))
    found = param_list(spec.params, "sections") + param_list(spec.params, "metadata")
    message = "; ".join(parts) if parts else f"{len(found)} required item(s) documented in {card.file}"
    return Measurement(measured={"missing": missing, "trivial": trivial}, ok=not (missing or trivial),
                       message=message, evidence=[ctx.ref(ctx.file("model_card"))])
