"""Per-group metrics equal sklearn.metrics on each group; undefined values are None with a reason.

The values are finished from aggregates every engine counts (AUC from an exact integer
Mann–Whitney statistic, the others from counts and sums), so they agree with sklearn's float
arithmetic to 1e-12 relative, not always to the last bit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from govern.stats.performance import METRICS, performance_by_group

SK = {
    "accuracy": lambda y, p, s: skm.accuracy_score(y, p),
    "precision": lambda y, p, s: skm.precision_score(y, p),
    "recall": lambda y, p, s: skm.recall_score(y, p),
    "f1": lambda y, p, s: skm.f1_score(y, p),
    "auc": lambda y, p, s: skm.roc_auc_score(y, s),
    "log_loss": lambda y, p, s: skm.log_loss(y, s),
    "brier": lambda y, p, s: skm.brier_score_loss(y, s),
}
REG = {
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "mape": skm.mean_absolute_percentage_error,
    "r2": skm.r2_score,
}


def test_classification_metrics_match_sklearn(predictions):
    df = predictions
    result = performance_by_group(df, y_true="y", y_pred="pred", score="score", group_by=["race"],
                                  metrics=list(SK))
    for metric, fn in SK.items():
        m = result.metric(metric)
        assert m.overall == pytest.approx(fn(df.y, df.pred, df.score), rel=1e-12)
        for g in m.groups:
            part = df[df.race == g.label]
            assert g.value == pytest.approx(fn(part.y, part.pred, part.score), rel=1e-12), (metric, g.label)
            assert g.n == len(part)
    json.dumps(result.to_dict(), allow_nan=False)


def test_regression_metrics_match_sklearn(rng):
    n = 600
    df = pd.DataFrame({"region": rng.choice(["n", "s", "e"], n), "y": rng.gamma(2, 10, n) + 1})
    df["pred"] = df.y * rng.normal(1, 0.1, n) + rng.normal(0, 1, n)
    result = performance_by_group(df, y_true="y", y_pred="pred", group_by=["region"], metrics=list(REG))
    for metric, fn in REG.items():
        m = result.metric(metric)
        assert m.overall == pytest.approx(fn(df.y, df.pred), rel=1e-12)
        for g in m.groups:
            part = df[df.region == g.label]
            assert g.value == pytest.approx(fn(part.y, part.pred), rel=1e-12)


def test_worst_group_and_gap_respect_metric_direction(predictions):
    result = performance_by_group(predictions, y_true="y", score="score", group_by=["race"],
                                  metrics=["auc", "log_loss"])
    auc, loss = result.metric("auc"), result.metric("log_loss")
    assert auc.worst_value == min(g.value for g in auc.groups)
    assert auc.worst_gap == pytest.approx(auc.overall - auc.worst_value)
    assert loss.worst_value == max(g.value for g in loss.groups)
    assert loss.worst_gap == pytest.approx(loss.worst_value - loss.overall)


def test_auc_with_one_class_is_undefined_not_zero():
    df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [1] * 40 + [0, 1] * 20,
                       "score": np.linspace(0, 1, 80)})
    m = performance_by_group(df, y_true="y", score="score", group_by=["g"], metrics=["auc"]).metric("auc")
    a = next(g for g in m.groups if g.label == "a")
    assert a.value is None and "one class" in (a.reason or "")
    assert m.undefined_groups == ("a",)
    assert m.worst_group == "b"


def test_small_groups_are_excluded_from_worst(rng):
    df = pd.DataFrame({"g": ["big"] * 100 + ["small"] * 3, "y": rng.integers(0, 2, 103)})
    df["pred"] = df.y
    df.loc[df.g == "small", "pred"] = 1 - df.y[df.g == "small"]  # a terrible, tiny group
    m = performance_by_group(df, y_true="y", y_pred="pred", group_by=["g"], metrics=["accuracy"]).metric("accuracy")
    assert m.too_small_groups == ("small",)
    assert m.worst_group == "big"


def test_single_row_group_and_multi_column_grouping(predictions):
    df = predictions.iloc[:200].copy()
    df.loc[df.index[0], "race"] = "Z"
    result = performance_by_group(df, y_true="y", y_pred="pred", group_by=["race", "sex"], metrics=["accuracy", "r2"],
                                  min_group_size=1)
    z = [g for g in result.metric("r2").groups if g.group["race"] == "Z"]
    assert len(z) == 1 and z[0].n == 1 and z[0].value is None and "two rows" in (z[0].reason or "")
    acc = [g for g in result.metric("accuracy").groups if g.group["race"] == "Z"][0]
    assert acc.value in (0.0, 1.0)


def test_rows_with_missing_values_are_dropped(predictions):
    df = predictions.copy()
    df.loc[:9, "score"] = np.nan
    result = performance_by_group(df, y_true="y", score="score", group_by=["sex"], metrics=["auc"])
    assert result.n_dropped == 10
    assert result.metric("auc").overall == skm.roc_auc_score(df.y[10:], df.score[10:])


def test_unknown_metric_and_missing_score_are_errors(predictions):
    with pytest.raises(ValueError, match="unknown metric"):
        performance_by_group(predictions, y_true="y", y_pred="pred", group_by=["sex"], metrics=["gini"])
    with pytest.raises(ValueError, match="need a score"):
        performance_by_group(predictions, y_true="y", y_pred="pred", group_by=["sex"], metrics=["auc"])
    assert set(METRICS) >= {"accuracy", "precision", "recall", "f1", "auc", "log_loss", "brier", "rmse", "mae",
                            "mape", "r2"}
