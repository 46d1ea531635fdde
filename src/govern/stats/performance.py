"""Labels + predictions + group columns → each metric overall, per subpopulation, worst group and gap.

Every metric is finished here from aggregates an engine counts (pandas in memory, DuckDB,
Spark), so it is the same number on every engine: confusion counts per group for accuracy,
precision, recall and F1; per group the positives, negatives and twice the Mann–Whitney
statistic (an exact integer over the sorted score values, ties counted half) for ROC AUC; sums
per group for log loss, Brier score and the regression metrics. The values are
``sklearn.metrics``' definitions (its log-loss clipping, its R² when the outcome is constant;
tests/stats/test_performance.py compares them with sklearn to 1e-12). What this module adds is
the part sklearn leaves to the caller: deciding when a metric is undefined for a group (AUC
with one class, R² on one row, precision with no predicted positives) and saying so as None
plus a reason instead of a warning and a 0, and keeping groups below the minimum size out of
the worst-group verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from govern.stats.values import ToDict, category_label, finite

if TYPE_CHECKING:
    from govern.stats.engines.base import Engine

_MISSING = "(missing)"

# metric → (needs, higher_is_better); needs: "label" (class predictions), "score" (probability of
# the positive class) or "value" (regression prediction).
METRICS: dict[str, tuple[str, bool]] = {
    "accuracy": ("label", True),
    "precision": ("label", True),
    "recall": ("label", True),
    "f1": ("label", True),
    "auc": ("score", True),
    "roc_auc": ("score", True),
    "log_loss": ("score", False),
    "brier": ("score", False),
    "rmse": ("value", False),
    "mae": ("value", False),
    "mape": ("value", False),
    "r2": ("value", True),
}


@dataclass(frozen=True, slots=True)
class GroupValue(ToDict):
    """One metric on one group."""

    label: str
    group: dict[str, str]
    n: int
    value: float | None
    too_small: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MetricByGroup(ToDict):
    """One metric: overall, per group, and the worst assessable group with its gap to overall.

    ``worst_gap`` is how much worse than overall the worst group is (≥ 0 means worse), in the
    metric's own units, whatever the metric's direction.
    """

    metric: str
    higher_is_better: bool
    overall: float | None
    overall_reason: str | None
    groups: tuple[GroupValue, ...]
    worst_group: str | None
    worst_value: float | None
    worst_gap: float | None
    undefined_groups: tuple[str, ...]
    too_small_groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupPerformance(ToDict):
    """Every requested metric by the requested grouping."""

    group_by: tuple[str, ...]
    n: int
    n_dropped: int
    min_group_size: int
    metrics: tuple[MetricByGroup, ...]

    def metric(self, name: str) -> MetricByGroup:
        for item in self.metrics:
            if item.metric == name:
                return item
        raise KeyError(name)


#: one group's metric: (rows, value or None, why None)
_Value = tuple[int, float | None, str | None]


def _label(value: Any) -> str:
    """A group value's canonical label; None and NaN (a frame's missing value) are ``(missing)``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING
    return category_label(value)


def _by_label(rows: Sequence[Sequence[Any]], k: int) -> dict[tuple[str, ...], Sequence[Any]]:
    """Rows whose first ``k`` values are raw group values → keyed by the groups' canonical labels."""
    out: dict[tuple[str, ...], Sequence[Any]] = {}
    for row in rows:
        key = tuple(_label(v) for v in row[:k])
        if key in out:
            raise ValueError(f"group values {row[:k]!r} and another share the label {' & '.join(key)}: "
                             "cast the group column to one type")
        out[key] = row[k:]
    return out


def _finish(metric: str, n: int, value: float | None, reason: str | None) -> _Value:
    if n == 0:
        return 0, None, "no rows"
    if reason is None and finite(value) is None:
        return n, None, f"{metric} is not finite on this group"
    return n, (None if reason else value), reason


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _label_metrics(engine: "Engine[Any]", table: Any, groups: list[str], metrics: list[str], *, y_true: str,
                   y_pred: str | None, score: str | None, threshold: float, pos_label: Any, used: list[str]
                   ) -> dict[tuple[str, ...], dict[str, _Value]]:
    """Accuracy, precision, recall, F1 from counts per (group, outcome, prediction) cell.

    A thresholded score predicts ``pos_label`` or the outcome's other label (the first, in
    label order, that is not ``pos_label``; 0 if there is none).
    """
    predicted = y_pred if y_pred is not None else score
    assert predicted is not None
    thresholds = None if y_pred is not None else {predicted: threshold}
    cells = engine.value_cells(table, [*groups, y_true, predicted], used, thresholds)
    outcomes = {r[len(groups)] for r in cells}
    other: Any = 0
    if y_pred is None:
        others = sorted((v for v in outcomes if v != pos_label), key=category_label)
        other = others[0] if others else 0
    k = len(groups)
    counts: dict[tuple[str, ...], list[int]] = {}
    labels: set[Any] = set(outcomes)
    for row in cells:
        key = tuple(_label(v) for v in row[:k])
        y, p, n = row[k], row[k + 1], int(row[k + 2])
        if y_pred is None:
            p = pos_label if p else other
        labels.add(p)
        c = counts.setdefault(key, [0, 0, 0, 0, 0])  # rows, correct, true positives, predicted, actual positives
        c[0] += n
        c[1] += n * (y == p)
        c[2] += n * (y == pos_label and p == pos_label)
        c[3] += n * (p == pos_label)
        c[4] += n * (y == pos_label)
    binary = set(metrics) & {"precision", "recall", "f1"}
    if binary and (len(labels) > 2 or (len(labels) == 2 and pos_label not in labels)):
        shown = ", ".join(sorted(category_label(v) for v in labels)[:5])
        raise ValueError(f"{', '.join(sorted(binary))} need(s) two classes, one of them pos_label {pos_label!r}; "
                         f"the outcome and prediction hold {shown}{' …' if len(labels) > 5 else ''}")
    out: dict[tuple[str, ...], dict[str, _Value]] = {}
    for key, (n, correct, tp, pred_pos, actual_pos) in counts.items():
        values: dict[str, _Value] = {}
        for metric in metrics:
            reason = None
            if metric == "accuracy":
                value = _ratio(correct, n)
            elif metric == "precision":
                value, reason = _ratio(tp, pred_pos), None if pred_pos else "no predicted positives: precision undefined"
            elif metric == "recall":
                value, reason = _ratio(tp, actual_pos), None if actual_pos else "no actual positives: recall undefined"
            else:
                value = _ratio(2 * tp, pred_pos + actual_pos)
                reason = None if pred_pos + actual_pos else "no actual or predicted positives: F1 undefined"
            values[metric] = _finish(metric, n, value, reason)
        out[key] = values
    return out


def _auc(engine: "Engine[Any]", table: Any, groups: list[str], metrics: list[str], *, y_true: str, score: str,
         pos_label: Any, used: list[str]) -> dict[tuple[str, ...], dict[str, _Value]]:
    """ROC AUC = 2U / (2·P·N): exact integers from the engine, one correctly rounded division here."""
    out: dict[tuple[str, ...], dict[str, _Value]] = {}
    for key, (pos, neg, twice_u) in _by_label(engine.auc_counts(table, groups, score, y_true, pos_label, used),
                                              len(groups)).items():
        pos, neg, twice_u = int(pos), int(neg), int(twice_u)
        if pos == 0 or neg == 0:
            value, reason = None, "only one class present: ROC AUC undefined"
        else:
            value, reason = twice_u / (2 * pos * neg), None
        out[key] = {m: _finish(m, pos + neg, value, reason) for m in metrics}
    return out


def _sum_metrics(engine: "Engine[Any]", table: Any, groups: list[str], metrics: list[str], kind: str, *,
                 y_true: str, value_column: str, pos_label: Any, used: list[str]
                 ) -> dict[tuple[str, ...], dict[str, _Value]]:
    """Log loss and Brier score (``kind`` probability), RMSE, MAE, MAPE and R² (value) from sums per group."""
    frame = engine.error_sums(table, groups, y_true, value_column, kind, pos_label, used)
    names = list(frame.columns[len(groups):])
    rows = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    out: dict[tuple[str, ...], dict[str, _Value]] = {}
    for key, rest in _by_label(rows, len(groups)).items():
        agg = dict(zip(names, rest))
        n = int(agg["n"])
        values: dict[str, _Value] = {}
        for metric in metrics:
            reason = None
            value: float | None
            if kind == "probability":
                if n and (float(agg["lo"]) < 0 or float(agg["hi"]) > 1):
                    reason = f"{metric} needs probabilities in [0, 1]"
                value = float(agg["log_loss" if metric == "log_loss" else "brier"]) / n if n else None
            elif metric == "rmse":
                value = math.sqrt(float(agg["sq"]) / n) if n else None
            elif metric == "mae":
                value = float(agg["abs"]) / n if n else None
            elif metric == "mape":
                value = float(agg["ape"]) / n if n else None
            else:
                value = None
                if n < 2:
                    reason = "fewer than two rows: R² undefined"
                elif float(agg["ss_tot"]) == 0.0:  # sklearn's force_finite: a constant outcome
                    value = 1.0 if float(agg["sq"]) == 0.0 else 0.0
                else:
                    value = 1.0 - float(agg["sq"]) / float(agg["ss_tot"])
            values[metric] = _finish(metric, n, value, reason)
        out[key] = values
    return out


def _metric_values(engine: "Engine[Any]", table: Any, groups: list[str], metrics: list[str], *, y_true: str,
                   y_pred: str | None, score: str | None, threshold: float, pos_label: Any, used: list[str]
                   ) -> dict[tuple[str, ...], dict[str, _Value]]:
    """Every metric for every group of ``groups`` (one group, ``()``, when there are none)."""
    by_need: dict[str, list[str]] = {}
    for metric in metrics:
        by_need.setdefault(METRICS[metric][0], []).append(metric)
    merged: dict[tuple[str, ...], dict[str, _Value]] = {}
    common = dict(y_true=y_true, pos_label=pos_label, used=used)
    parts = []
    if "label" in by_need:
        parts.append(_label_metrics(engine, table, groups, by_need["label"], y_pred=y_pred, score=score,
                                    threshold=threshold, **common))
    if "score" in by_need:
        assert score is not None
        aucs = [m for m in by_need["score"] if m in ("auc", "roc_auc")]
        probabilities = [m for m in by_need["score"] if m not in aucs]
        if aucs:
            parts.append(_auc(engine, table, groups, aucs, score=score, **common))
        if probabilities:
            parts.append(_sum_metrics(engine, table, groups, probabilities, "probability", value_column=score,
                                      **common))
    if "value" in by_need:
        value_column = y_pred if y_pred is not None else score
        assert value_column is not None
        parts.append(_sum_metrics(engine, table, groups, by_need["value"], "value", value_column=value_column,
                                  **common))
    for part in parts:
        for key, values in part.items():
            merged.setdefault(key, {}).update(values)
    return merged


def performance_by_group(
    df: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str | None = None,
    score: str | None = None,
    group_by: Sequence[str],
    metrics: Sequence[str],
    min_group_size: int = 30,
    threshold: float = 0.5,
    pos_label: Any = 1,
) -> GroupPerformance:
    """Each metric overall and per group (sklearn's values), the worst group and its gap.

    Label metrics (accuracy, precision, recall, f1) use ``y_pred``, or ``score >= threshold``
    when only a score is given; probability metrics (auc, log_loss, brier) need ``score``;
    regression metrics (rmse, mae, mape, r2) use ``y_pred`` or ``score``. Rows with a missing
    label or prediction are dropped and counted.
    """
    from govern.stats.engines.pandas_engine import PandasEngine

    return engine_performance(PandasEngine(), df, y_true=y_true, y_pred=y_pred, score=score, group_by=group_by,
                              metrics=metrics, min_group_size=min_group_size, threshold=threshold,
                              pos_label=pos_label)


def engine_performance(
    engine: "Engine[Any]",
    table: Any,
    *,
    y_true: str,
    y_pred: str | None = None,
    score: str | None = None,
    group_by: Sequence[str],
    metrics: Sequence[str],
    min_group_size: int = 30,
    threshold: float = 0.5,
    pos_label: Any = 1,
) -> GroupPerformance:
    """:func:`performance_by_group` on any engine's table: the engine counts, this module finishes.

    Each metric is computed twice from aggregates — over all kept rows, and per group — because
    an AUC or an R² of the whole is not a combination of the groups'.
    """
    group_by = list(group_by)
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    needed = {METRICS[m][0] for m in metrics}
    if "score" in needed and score is None:
        raise ValueError(f"metrics {[m for m in metrics if METRICS[m][0] == 'score']} need a score column")
    if needed & {"label", "value"} and y_pred is None and score is None:
        raise ValueError("label and regression metrics need y_pred or score")
    used = [y_true] + [c for c in (y_pred, score) if c is not None]
    n_kept = int(engine.value_cells(table, [], used)[0][0])
    n_dropped = engine.n_rows(table) - n_kept
    options = dict(y_true=y_true, y_pred=y_pred, score=score, threshold=threshold, pos_label=pos_label, used=used)
    overall_values = _metric_values(engine, table, [], metrics, **options).get((), {})
    by_group = _metric_values(engine, table, group_by, metrics, **options)
    keys = sorted(by_group)
    results = []
    for metric in metrics:
        _, higher = METRICS[metric]
        _, overall, overall_reason = overall_values.get(metric, (0, None, "no rows"))
        values = []
        for key in keys:
            n, value, reason = by_group[key][metric]
            values.append(GroupValue(" & ".join(key), dict(zip(group_by, key)), n, finite(value),
                                     n < min_group_size, reason))
        assessable = [v for v in values if not v.too_small and v.value is not None]
        worst = (min if higher else max)(assessable, key=lambda v: v.value) if assessable else None
        gap = None
        if worst is not None and overall is not None:
            gap = (overall - worst.value) if higher else (worst.value - overall)  # type: ignore[operator]
        results.append(MetricByGroup(
            metric=metric,
            higher_is_better=higher,
            overall=finite(overall),
            overall_reason=overall_reason,
            groups=tuple(values),
            worst_group=worst.label if worst else None,
            worst_value=worst.value if worst else None,
            worst_gap=finite(gap),
            undefined_groups=tuple(v.label for v in values if v.value is None),
            too_small_groups=tuple(v.label for v in values if v.too_small),
        ))
    return GroupPerformance(tuple(group_by), n_kept, n_dropped, min_group_size, tuple(results))
