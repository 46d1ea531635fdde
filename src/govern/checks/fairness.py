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
    classes = p.get("classes")
    y_true = setting(p, ctx, "y_true", "target")
    if classes is not None:
        # the group each person is sorted into is the decision: no other decision column is read
        if rate != "selection" or any(p.get(k) is not None for k in ("y_pred", "score", "threshold")):
            raise InputError(Diagnostic("fairness-classes", "`classes` names the column of the group the tool sorts "
                                        "each person into: it replaces y_pred/score/threshold, with `rate: selection`"))
        score = y_pred = threshold = None
    else:
        score = setting(p, ctx, "score")
        y_pred = None if rate == "scoring" else setting(p, ctx, "y_pred", "prediction")
        threshold = None if rate == "scoring" else setting(p, ctx, "threshold")
        if rate != "scoring" and y_pred is None and (score is None or threshold is None):
            raise InputError(Diagnostic("fairness-no-decision", "no decision column: give y_pred, or score and "
                                        "threshold (or `rate: scoring` for the LL144 scoring-rate variant)"))
    bands = setting(p, ctx, "bands", default={}) or {}
    needed = sensitive + [c for c in (y_true, y_pred, score, classes) if c]
    name = data_file(p, "data/predictions.csv")
    data = open_data(ctx, [name])
    data.require(0, needed, name)
    options = dict(y_true=y_true, sensitive=sensitive, intersections=p.get("intersections", True),
                   bands={k: v for k, v in bands.items() if k in sensitive},
                   min_group_size=int(p.get("min_group_size", 30)), min_share=float(p.get("min_share", 0.0)))
    if classes is None:
        report = engine_fairness(data.engine, data.tables[0], y_pred=y_pred, score=score, threshold=threshold,
                                 **options)
        measured, message, details = _summary(report)
        measured["rate"] = rate
        if not data.in_memory:
            measured["engine"] = data.engine.name
        return Measurement(measured=measured, ok=None, message=message, evidence=data.refs, details=details)
    if not data.in_memory:
        raise InputError(Diagnostic(
            "fairness-classes-engine", f"`classes` (a rate per group the tool sorts people into) runs on the "
            f"pandas engine only, not on {data.engine.name}",
            hint="read the predictions from parquet:/csv: files, or compute the per-group rates per class column"))
    return _per_class(data.tables[0], str(classes), options, data.refs)


def _per_class(frame: Any, column: str, options: dict[str, Any], refs: list[Any]) -> Measurement:
    """6 RCNY §5-301(b)(4): a tool that sorts people into groups gets the selection-rate
    calculations once per group, "selected" meaning "sorted into that group"."""
    from govern.stats.fairness import fairness_report
    from govern.stats.values import category_labels

    as_labels = category_labels(frame[column])
    labels = sorted({v for v in as_labels if v is not None})
    if not labels:
        raise InputError(Diagnostic("fairness-classes", f"column `{column}` holds no group assignments"))
    if len(labels) > MAX_CLASSES:
        raise InputError(Diagnostic("fairness-classes", f"column `{column}` holds {len(labels)} groups, more than "
                                    f"{MAX_CLASSES}: is it the tool's group assignment?"))
    per_class: dict[str, Any] = {}
    lines: list[str] = []
    details: list[str] = []
    for label in labels:
        # a person with no assignment is dropped (and counted), not counted as "not in this group"
        in_class = (as_labels == label).astype("float64").where(as_labels.notna())
        indicator = frame.assign(__in_class__=in_class)
        measured, message, more = _summary(fairness_report(indicator, y_pred="__in_class__", **options))
        per_class[label] = measured
        lines.append(f"{label}: {message}")
        details += [f"{label}: {d}" for d in more]
    unassessed = [k for k, m in per_class.items() if m["min_impact_ratio"] is None]
    measured = {
        "rate": "selection", "classes_column": column, "classes": per_class,
        "min_impact_ratio": None if unassessed else _min([m["min_impact_ratio"] for m in per_class.values()]),
        "n": next(iter(per_class.values()))["n"],
        "too_small": sorted({t for m in per_class.values() for t in m["too_small"]}),
        "excluded": [dict(e, **{"class": k}) for k, m in per_class.items() for e in m["excluded"]],
    }
    measured["excluded_count"] = len(measured["excluded"])
    message = f"{len(labels)} groups of `{column}`; " + "; ".join(lines)
    if unassessed:
        message = f"cannot assess group(s) {', '.join(unassessed)}: {message}"
    return Measurement(measured=measured, ok=None, message=message, evidence=refs, details=details)


#: A tool sorting people into more groups than this is not what §5-301(b)(4) describes.
MAX_CLASSES = 50


def _summary(report: Any) -> tuple[dict[str, Any], str, list[str]]:
    groupings = [g.to_dict() for g in report.groupings]
    too_small = sorted({label for g in report.groupings for label in g.too_small_groups})
    unassessed = [" × ".join(g.attributes) for g in report.groupings if g.min_impact_ratio is None]
    # §5-301(d): an excluded category is reported with its number of people and its rate
    excluded = [{"grouping": " × ".join(g.attributes), "group": grp.label, "n": grp.n,
                 "selection_rate": grp.selection_rate}
                for g in report.groupings for grp in g.groups if grp.excluded]
    measured = {
        # an attribute that cannot be assessed leaves the whole check undetermined (an error), never a pass
        "min_impact_ratio": None if unassessed else _min([g.min_impact_ratio for g in report.groupings]),
        "demographic_parity_ratio": _min([g.demographic_parity_ratio for g in report.groupings]),
        "max_tpr_gap": _max([g.max_tpr_gap for g in report.groupings]),
        "max_fpr_gap": _max([g.max_fpr_gap for g in report.groupings]),
        "equalized_odds_difference": _max([g.equalized_odds_difference for g in report.groupings]),
        "n": report.n, "too_small": too_small, "groupings": groupings,
        "excluded": excluded, "excluded_count": len(excluded),
    }
    worst = min((g for g in report.groupings if g.min_impact_ratio is not None),
                key=lambda g: g.min_impact_ratio, default=None)
    if worst is None:
        message = "no group large enough to assess (min_group_size " + str(report.min_group_size) + ")"
    else:
        message = (f"lowest impact ratio {worst.min_impact_ratio:.3f} ({' × '.join(worst.attributes)}: "
                   f"{worst.least_selected_group} vs {worst.most_selected_group})")
    if too_small:
        message += f"; {len(too_small)} group(s) too small to assess"
    if excluded:
        message += (f"; {len(excluded)} categor{'y' if len(excluded) == 1 else 'ies'} under "
                    f"{report.min_share:.0%} of the data excluded from impact ratios")
    details = [f"too small to assess: {label}" for label in too_small]
    details += [f"excluded (under min_share {report.min_share:g}): {e['grouping']} = {e['group']}, n={e['n']}, "
                f"selection rate {e['selection_rate']}" for e in excluded]
    details += [f"{what}: {'; '.join(g.reasons)}" for what, g in
                ((" × ".join(g.attributes), g) for g in report.groupings) if g.min_impact_ratio is None]
    if unassessed:
        message = f"cannot assess {', '.join(unassessed)}: {message}"
    return measured, message, details
