"""Decision + policy + plan + evidence bundle + audit store → the report's view-model.

The view-model is plain data (dicts, lists, strings, numbers) so the Jinja2 templates in
``reports/`` only *format*: a risk team can restyle or reorder the report without reading
Python. Everything numeric comes from ``Decision.to_dict()`` — the same record that is
embedded in the PDF — never from a second evaluation. The policy, plan and bundle add what
the decision does not carry: rule text, role titles, people, RACI, the lineage graph, the
raw data for drift plots and the evidence manifest. Each is optional (a report from the
audit store may have no evidence folder at hand); a section without its source says so.

This module only composes: each section is assembled in :mod:`govern.report.sections`, the
formatters live in :mod:`govern.report.formatting` and the figures in
:mod:`govern.report.figures`. The names callers use are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import fmt, pct, pvalue, short, when
from govern.report.sections.appendix import build_appendix
from govern.report.sections.classification import build_classification
from govern.report.sections.common import PASSING, STATUS_ORDER
from govern.report.sections.cover import build_meta, build_stages
from govern.report.sections.drift import build_drift, build_quality
from govern.report.sections.fairness import build_fairness
from govern.report.sections.gates import build_gate, build_gate_edges, measured_text
from govern.report.sections.lineage import build_lineage
from govern.report.sections.people import build_raci, people_of
from govern.report.sections.performance import build_performance
from govern.report.sections.reproducibility import build_reproducibility, evidence_manifest
from govern.report.sections.signoffs import build_signoffs
from govern.report.sections.summary import EXPIRING_WITHIN_DAYS, build_summary

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.load.use_case import UseCase
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy

__all__ = ["build_context", "evidence_manifest", "measured_text", "fmt", "pct", "pvalue", "short", "when",
           "STATUS_ORDER", "PASSING", "EXPIRING_WITHIN_DAYS"]


def build_context(decision: dict[str, Any], *, policy: "Policy | None" = None, plan: "Plan | None" = None,
                  use_case: "UseCase | None" = None, bundle: "EvidenceBundle | None" = None,
                  audit: dict[str, Any] | None = None, theme: dict[str, Any] | None = None,
                  source: str = "evaluated", charts: bool = True) -> dict[str, Any]:
    """The whole report as data. ``decision`` is ``Decision.to_dict()`` (or the store's copy of it)."""
    theme = theme or {}
    people = people_of(policy)
    gates = [build_gate(g, people) for g in decision.get("gates", [])]
    ctx: dict[str, Any] = {
        "source": source,
        "meta": build_meta(decision, policy, use_case, bundle),
        "theme": theme,
    }
    ctx["stages"] = build_stages(decision)
    ctx["summary"] = build_summary(decision, gates, policy, people)
    ctx["classification"] = build_classification(decision, policy, use_case)
    ctx["raci"] = build_raci(decision, policy, plan)
    ctx["gates"] = gates
    ctx["gate_edges"] = build_gate_edges(decision, policy, plan)
    ctx["fairness"] = build_fairness(decision)
    ctx["drift"] = build_drift(decision, bundle)
    ctx["quality"] = build_quality(decision)
    ctx["performance"] = build_performance(decision)
    ctx["lineage"] = build_lineage(decision, bundle)
    ctx["signoffs"] = build_signoffs(decision, people, policy)
    ctx["waivers"] = ctx["summary"]["waivers"]
    ctx["reproducibility"] = build_reproducibility(decision, bundle)
    ctx["audit"] = audit or {"recorded": False}
    ctx["appendix"] = build_appendix(decision, policy)
    if charts:
        from govern.report.figures import draw_figures

        draw_figures(ctx, theme, decision, bundle)
    return ctx
