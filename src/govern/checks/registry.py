"""Check kind → its implementation, imported only when a template requires that kind.

Statistical kinds pull in numpy/pandas/scipy; `govern check` on a plan without them never
imports those libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from govern.checks.base import Measurement
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec

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
}

#: Conditions applied when a template gives none (documented in docs/checks.md).
DEFAULT_CONDITIONS: dict[str, str] = {
    "fairness": "result.min_impact_ratio >= 0.8",
    "drift": "result.drifted_count == 0 and result.unassessed_count == 0",
    "data_quality": "result.problem_count == 0",
}


def runner(kind: str) -> Runner:
    module, _, attr = IMPLEMENTATIONS[kind].partition(":")
    return getattr(importlib.import_module(module), attr)
