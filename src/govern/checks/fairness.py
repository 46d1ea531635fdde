"""`fairness` check: selection rates, impact ratios and error-rate gaps by group and intersection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.checks.base import Measurement
from govern.checks.data_params import as_list, data_file, open_data, setting
from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def _min(values: list[Any]) -> Any:
    found = [v for v in values if v is not None]
    return min(found) if found else None


def _max(values: list[Any]) -> Any:
    found = [v for v in values if v is not None]
    return max(found) if found else None


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.stats.fairness import engine_fairness

    p = spec.params
    sensitive = as_list(setting(p, ctx, "sensitive"))
    if not sensitive:
        raise InputError(Diagnostic("fairness-no-attributes", "no sensitive attributes to assess",
                                    hint="list them in the check's params.sensitive or the evidence manifest's "
                                         "columns.sensitive"))
    rate = str(p.get("rate", "selection"))
    y_true = setting(p, ctx, "y_true", "target")
    score = setting(p, ctx, "score")
    y_pred = None if rate == "scoring" else setting(p, ctx, "y_pred", "prediction")
    threshold = None if rate == "scoring" else setting(p, ctx, "threshold")
    if rate != "scoring" and y_pred is None and (score is None or threshold is None):
        raise InputError(Diagnostic("fairness-no-decision", "no decision column: give y_pred, or score and "
                                    "threshold (or `rate: scoring` for the LL144 scoring-rate variant)"))
    bands = setting(p, ctx, "bands", default={}) or {}
    needed = sensitive + [c for c in (y_true, y_pred, score) if c]
    name = data_file(p, "data/predictions.csv")
    data = open_data(ctx, [name])
    data.require(0, needed, name)
    report = engine_fairness(
        data.engine, data.tables[0], y_pred=y_pred, score=score, threshold=threshold, y_true=y_true, sensitive=sensitive,
        intersections=p.get("intersections", True), bands={k: v for k, v in bands.items() if k in sensitive},
        min_group_size=int(p.get("min_group_size", 30)))
    groupings = [g.to_dict() for g in report.groupings]
    too_small = sorted({label for g in report.groupings for label in g.too_small_groups})
    unassessed = [" × ".join(g.attributes) for g in report.groupings if g.min_impact_ratio is None]
    measured = {
        # an attribute that cannot be assessed leaves the whole check undetermined (an error), never a pass
        "min_impact_ratio": None if unassessed else _min([g.min_impact_ratio for g in report.groupings]),
        "demographic_parity_ratio": _min([g.demographic_parity_ratio for g in report.groupings]),
        "max_tpr_gap": _max([g.max_tpr_gap for g in report.groupings]),
        "max_fpr_gap": _max([g.max_fpr_gap for g in report.groupings]),
        "equalized_odds_difference": _max([g.equalized_odds_difference for g in report.groupings]),
        "rate": rate, "n": report.n, "too_small": too_small, "groupings": groupings,
    }
    if not data.in_memory:
        measured["engine"] = data.engine.name
    worst = min((g for g in report.groupings if g.min_impact_ratio is not None),
                key=lambda g: g.min_impact_ratio, default=None)
    if worst is None:
        message = "no group large enough to assess (min_group_size " + str(report.min_group_size) + ")"
    else:
        message = (f"lowest impact ratio {worst.min_impact_ratio:.3f} ({' × '.join(worst.attributes)}: "
                   f"{worst.least_selected_group} vs {worst.most_selected_group})")
    if too_small:
        message += f"; {len(too_small)} group(s) too small to assess"
    details = [f"too small to assess: {label}" for label in too_small]
    details += [f"{what}: {'; '.join(g.reasons)}" for what, g in
                ((" × ".join(g.attributes), g) for g in report.groupings) if g.min_impact_ratio is None]
    if unassessed:
        message = f"cannot assess {', '.join(unassessed)}: {message}"
    return Measurement(measured=measured, ok=None, message=message, evidence=data.refs, details=details)
