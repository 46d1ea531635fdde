"""What several sections read the same way: the checks of one kind, evidence references, default conditions.

A check appears in the gate table and again in its own section (fairness, drift, ...); both
must list the same evidence and state the same condition, so they share these helpers.
"""

from __future__ import annotations

from typing import Any, Iterable

from govern.report.formatting import short

STATUS_ORDER = ("failed", "error", "pending", "blocked", "warned", "waived", "passed")
PASSING = ("passed", "warned", "waived")


def checks_of(decision: dict[str, Any], kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (gate, check) pair of one kind, in gate then check order."""
    return [(g, c) for g in decision.get("gates", []) for c in g["checks"] if c["kind"] == kind]


def evidence_refs(refs: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The evidence files a check read, with a short digest for narrow table cells."""
    return [{"path": e["path"], "short": short(e.get("sha256"), 10), "sha256": e.get("sha256")} for e in refs]


def default_condition(kind: str) -> str:
    """What a check of this kind requires when the template states no condition of its own."""
    return {
        "tests": "every suite present, no failures or errors", "documentation": "all sections present and non-trivial",
        "reproducibility": "environment locked, seeds recorded, data digests match",
        "lineage": "no lineage violations", "artifact": "all present, digests match",
        "fairness": "result.min_impact_ratio >= 0.8",
        "drift": "result.drifted_count == 0 and result.unassessed_count == 0",
        "data_quality": "result.problem_count == 0", "document": "document present and non-empty",
        "suite": "every test of the named suite passed", "prohibited": "never passes",
    }.get(kind, "—")
