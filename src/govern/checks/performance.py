"""`performance_by_group` check: a metric per subpopulation, its worst group and the gap to overall."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.checks.data_params import as_list, data_file, open_data, setting
from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.stats.performance import engine_performance

    p = spec.params
    group_by = as_list(p.get("group_by")) or as_list(ctx.columns().get("segments")) \
        or as_list(ctx.columns().get("sensitive"))
    if not group_by:
        raise InputError(Diagnostic("performance-no-groups", "no groups to split by",
                                    hint="give params.group_by, or columns.segments in the evidence manifest"))
    metric = str(p.get("metric", "auc"))
    y_true = setting(p, ctx, "y_true", "target")
    score = setting(p, ctx, "score")
    y_pred = setting(p, ctx, "y_pred", "prediction")
    if y_true is None:
        raise InputError(Diagnostic("performance-no-target", "no outcome column: give params.y_true or "
                                    "columns.target in the evidence manifest"))
    name = data_file(p, "data/predictions.csv")
    data = open_data(ctx, [name])
    data.require(0, group_by + [c for c in (y_true, score, y_pred) if c], name)
    result = engine_performance(data.engine, data.tables[0], y_true=y_true, y_pred=y_pred, score=score,
                                group_by=group_by, metrics=[metric], min_group_size=int(p.get("min_group_size", 30)))
    by_metric = result.metric(metric)
    measured = {
        "metric": metric, "overall": by_metric.overall, "worst": by_metric.worst_value,
        "worst_group": by_metric.worst_group, "gap": by_metric.worst_gap,
        "groups": [g.to_dict() for g in by_metric.groups], "too_small": list(by_metric.too_small_groups),
        "undefined": list(by_metric.undefined_groups),
    }
    if not data.in_memory:
        measured["engine"] = data.engine.name
    if by_metric.worst_value is None:
        message = f"{metric} could not be computed for any group"
    else:
        message = (f"{metric} overall {by_metric.overall:.3f}, worst {by_metric.worst_group} "
                   f"{by_metric.worst_value:.3f} (gap {by_metric.worst_gap:.3f})")
    return Measurement(measured=measured, ok=None, message=message, evidence=data.refs,
                       details=[f"too small to assess: {g}" for g in by_metric.too_small_groups])
