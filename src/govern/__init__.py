"""govern: declarative policy-as-code governance for machine-learning models.

The pipeline, one module (or package) per stage:
load (YAML, packs, use cases) → dsl (parse, check, compile rules) → classify (tier)
→ plan (gate graph) → evaluate (evidence, checks) → record (audit store) → report.

The public API is deliberately small::

    import govern
    policy = govern.load_policy("policies/eu-ai-act")
    use_case = govern.load_use_case("examples/credit-risk/use_case.yaml", policy)
    result = govern.classify(policy, use_case)
    plan = govern.compile_plan(policy, use_case, result)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from govern.classification import Classification
    from govern.load.use_case import UseCase
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy


def load_policy(path: Any) -> "Policy":
    from govern.load.pack import load_policy as _load

    return _load(path)


def load_use_case(path: Any, policy: "Policy") -> "UseCase":
    """A descriptor checked against the pack: each answer against its fact, the answers against its constraints."""
    from govern.load.answers import check_answers
    from govern.load.use_case import load_use_case as _load

    use_case = _load(path, policy.facts)
    check_answers(policy, use_case)
    return use_case


def classify(policy: "Policy", use_case: "UseCase", as_of: Any = None) -> "Classification":
    from govern.classification import classify as _classify

    return _classify(policy, use_case, as_of)


def compile_plan(policy: "Policy", use_case: "UseCase", classification: "Classification | None" = None) -> "Plan":
    from govern.plan.graph import compile_plan as _compile

    return _compile(policy, use_case, classification or classify(policy, use_case))


__all__ = ["__version__", "load_policy", "load_use_case", "classify", "compile_plan"]
