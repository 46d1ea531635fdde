"""Labels + predictions + group columns → each metric overall, per subpopulation, worst group and gap.

Values are computed by ``sklearn.metrics`` itself, group by group, so they are the numbers a
data scientist gets in a notebook. What this module adds is the part sklearn leaves to the
caller: deciding when a metric is undefined for a group (AUC with one class, R² on one row,
precision with no predicted positives) and saying so as None plus a reason instead of a
warning and a 0, and keeping groups below the minimum size out of the worst-group verdict.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from govern.stats.values import ToDict, category_labels, finite

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


def _undefined(metric: str, y: np.ndarray, p: np.ndarray, pos_label: Any) -> str | None:
    """Why sklearn's value would be meaningless here (it would warn, return nan, 0 or raise)."""
    n = y.size
    if n == 0:
        return "no rows"
    if metric in ("auc", "roc_auc") and np.unique(y).size < 2:
        return "only one class present: ROC AUC undefined"
    if metric == "precision" and not np.any(p == pos_label):
        return "no predicted positives: precision undefined"
    if metric == "recall" and not np.any(y == pos_label):
        return "no actual positives: recall undefined"
    if metric == "f1" and not np.any(y == pos_label) and not np.any(p == pos_label):
        return "no actual or predicted positives: F1 undefined"
    if metric == "r2" and n < 2:
        return "fewer than two rows: R² undefined"
    if metric in ("log_loss", "brier") and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        return f"{metric} needs probabilities in [0, 1]"
    return None


def _compute(metric: str, y: np.ndarray, p: np.ndarray, pos_label: Any) -> float:
    if metric == "accuracy":
        return float(skm.accuracy_score(y, p))
    if metric == "precision":
        return float(skm.precision_score(y, p, pos_label=pos_label))
    if metric == "recall":
        return float(skm.recall_score(y, p, pos_label=pos_label))
    if metric == "f1":
        return float(skm.f1_score(y, p, pos_label=pos_label))
    if metric in ("auc", "roc_auc"):
        return float(skm.roc_auc_score(y == pos_label, p))
    if metric == "log_loss":
        return float(skm.log_loss(y == pos_label, p, labels=[False, True]))
    if metric == "brier":
        return float(skm.brier_score_loss(y == pos_label, p, pos_label=True))
    fn: Callable[..., Any] = {"rmse": skm.root_mean_squared_error, "mae": skm.mean_absolute_error,
          "mape": skm.mean_absolute_percentage_error, "r2": skm.r2_score}[metric]
    return float(fn(y, p))


def _value(metric: str, y: np.ndarray, p: np.ndarray, pos_label: Any) -> tuple[float | None, str | None]:
    reason = _undefined(metric, y, p, pos_label)
    if reason is not None:
        return None, reason
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = _compute(metric, y, p, pos_label)
    if finite(value) is None:
        return None, f"{metric} is not finite on this group"
    return value, None


def _group_index(df: pd.DataFrame, group_by: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
    # canonical labels: segment code 3 is one group whether a file holds it as 3 or as 3.0
    keys = pd.DataFrame({c: category_labels(df[c]).fillna(_MISSING) for c in group_by})
    indices = keys.groupby(group_by, sort=True).indices
    return [((k if isinstance(k, tuple) else (k,)), v) for k, v in indices.items()]


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
    group_by = list(group_by)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    needed = {METRICS[m][0] for m in metrics}
    if "score" in needed and score is None:
        raise ValueError(f"metrics {[m for m in metrics if METRICS[m][0] == 'score']} need a score column")
    if needed & {"label", "value"} and y_pred is None and score is None:
        raise ValueError("label and regression metrics need y_pred or score")
    used = [y_true] + [c for c in (y_pred, score) if c is not None]
    keep = df[used].notna().all(axis=1).to_numpy()
    n_dropped = int((~keep).sum())
    frame = df.loc[keep] if n_dropped else df
    y = frame[y_true].to_numpy()
    columns: dict[str, np.ndarray] = {}
    if score is not None:
        s = frame[score].to_numpy(dtype=np.float64)
        columns["score"] = s
    if y_pred is not None:
        columns["label"] = frame[y_pred].to_numpy()
        columns["value"] = columns["label"]
    else:
        columns["label"] = np.where(columns["score"] >= threshold, pos_label, _other_label(y, pos_label))
        columns["value"] = columns["score"]
    groups = _group_index(frame, group_by)
    results = []
    for metric in metrics:
        need, higher = METRICS[metric]
        p_all = columns[need]
        overall, overall_reason = _value(metric, y, p_all, pos_label)
        values = []
        for key, idx in groups:
            value, reason = _value(metric, y[idx], p_all[idx], pos_label)
            values.append(GroupValue(" & ".join(key), dict(zip(group_by, key)), int(idx.size), finite(value),
                                     idx.size < min_group_size, reason))
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
    return GroupPerformance(tuple(group_by), int(len(frame)), n_dropped, min_group_size, tuple(results))


def _other_label(y: np.ndarray, pos_label: Any) -> Any:
    """The negative class for thresholded scores: 0 for numeric labels, else the non-positive label."""
    others = [v for v in pd.unique(y) if v != pos_label]
    return others[0] if others else 0
