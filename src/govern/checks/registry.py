"""Check kind → its implementation, imported only when a template requires that kind.

Statistical kinds pull in numpy/pandas/scipy; `govern check` on a plan without them never
imports those libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.checks.base import Measurement
    from govern.checks.context import EvaluationContext
    from govern.plan.graph import Plan
    from govern.policy.model import CheckSpec
    from govern.policy.pack import Policy

Runner = Callable[["CheckSpec", "EvaluationContext"], "Measurement"]

IMPLEMENTATIONS: dict[str, str] = {
    "metric": "govern.checks.metric:run",
    "tests": "govern.checks.test_results:run",
    "documentation": "govern.checks.documentation:run",
    "reproducibility": "govern.checks.reproducibility:run",
    "lineage": "govern.checks.lineage:run",
    "artifact": "govern.checks.artifact:run",
    "latency": "govern.checks.latency:run",
    "fairness": "govern.checks.fairness:run",
    "performance_by_group": "govern.checks.performance:run",
    "drift": "govern.checks.drift:run",
    "data_quality": "govern.checks.quality:run",
    "stability": "govern.checks.stability:run",
    "custom": "govern.checks.custom:run",
    "training": "govern.checks.training:run",
    "suite": "govern.checks.suite:run",
}

#: Conditions applied when a template gives none (documented in docs/checks.md).
DEFAULT_CONDITIONS: dict[str, str] = {
    "fairness": "result.min_impact_ratio >= 0.8",
    "drift": "result.drifted_count == 0 and result.unassessed_count == 0",
    "data_quality": "result.problem_count == 0",
}


#: The modules a statistical kind imports when it runs; all of their third-party imports come
#: from the `stats` extra (numpy, pandas, scipy, scikit-learn, skops).
STATS_MODULES: dict[str, tuple[str, ...]] = {
    "fairness": ("govern.stats.frames", "govern.stats.fairness"),
    "performance_by_group": ("govern.stats.frames", "govern.stats.performance"),
    "drift": ("govern.stats.frames", "govern.stats.drift"),
    "data_quality": ("govern.stats.frames", "govern.stats.quality"),
    # not skops.io: importing it imports every estimator; skops is only the fallback reader
    "stability": ("govern.stats.frames", "sklearn", "govern.evidence.model_file"),
}
STATS_EXTRA_HINT = "pip install 'govern[stats]'"


def require_libraries(policy: "Policy", plan: "Plan") -> None:
    """Refuse, before anything is evaluated, a plan whose statistical checks cannot import their libraries.

    On a core install (no `stats` extra) the first data check would die on ``import numpy``
    half-way through an evaluation. That is the installation's problem, not the evidence's and
    not a bug: a usage error (exit 2) naming the check, where the pack requires it, and the extra.
    The modules imported here are the ones the checks import anyway, so a complete install pays
    nothing extra.
    """
    for gate_id in plan.order:
        for requirement in plan.gates[gate_id].checks:
            spec = requirement.spec
            if spec.kind == "custom":
                _require_entry_point(policy, plan, gate_id, spec)
            modules = STATS_MODULES.get(spec.kind, ())
            if spec.kind == "drift" and spec.params.get("domain_classifier"):
                modules += ("govern.stats.domain_classifier",)
            for module in modules:
                try:
                    importlib.import_module(module)
                except ImportError as exc:
                    if (exc.name or "").split(".")[0] == "govern":
                        raise  # our own module failing to import is a bug, not a missing extra
                    span = policy.locations.get((plan.tier, gate_id, "check", spec.id))
                    raise InputError(Diagnostic(
                        "stats-extra-missing",
                        f"`{spec.kind}` check `{spec.id}` needs the `stats` extra, which is missing or "
                        f"incomplete here: {exc}",
                        span, STATS_EXTRA_HINT,
                        policy.source_line(span) if span is not None else None)) from None


def _require_entry_point(policy: "Policy", plan: "Plan", gate_id: str, spec: "CheckSpec") -> None:
    """A custom check whose package is not installed is the installation's problem too (exit 2)."""
    from importlib.metadata import entry_points

    from govern.checks.custom import GROUP

    name = spec.params.get("entry_point")
    if not entry_points(group=GROUP, name=str(name)):
        span = policy.locations.get((plan.tier, gate_id, "check", spec.id))
        installed = sorted({ep.name for ep in entry_points(group=GROUP)})
        raise InputError(Diagnostic(
            "custom-check-missing", f"custom check `{spec.id}` needs the `{GROUP}` entry point `{name}`, which no "
            "installed package declares", span,
            (("installed: " + ", ".join(installed) + "; ") if installed else "")
            + "install the package that provides it (pip install …)",
            policy.source_line(span) if span is not None else None))


def runner(kind: str) -> Runner:
    module, _, attr = IMPLEMENTATIONS[kind].partition(":")
    return getattr(importlib.import_module(module), attr)
