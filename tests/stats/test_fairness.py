"""Fairness numbers equal fairlearn.metrics on the same data; small groups never pass silently."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from govern.stats.fairness import band_labels, fairness_report


def by_label(grouping):
    return {g.label: g for g in grouping.groups}


def test_single_attribute_matches_fairlearn(predictions):
    df = predictions
    report = fairness_report(df, y_pred="pred", y_true="y", sensitive=["race"], intersections=False)
    race = report.grouping("race")
    frame = MetricFrame(metrics={"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "acc": accuracy_score},
                        y_true=df.y, y_pred=df.pred, sensitive_features=df.race)
    groups = by_label(race)
    for label, row in frame.by_group.iterrows():
        g = groups[label]
        assert g.selection_rate == row.sr
        assert g.tpr == row.tpr
        assert g.fpr == row.fpr
        assert g.accuracy == row.acc
    kw = dict(y_true=df.y, y_pred=df.pred, sensitive_features=df.race)
    assert race.demographic_parity_ratio == demographic_parity_ratio(**kw)
    assert race.demographic_parity_difference == demographic_parity_difference(**kw)
    assert race.equalized_odds_difference == equalized_odds_difference(**kw)
    assert race.max_tpr_gap == frame.by_group.tpr.max() - frame.by_group.tpr.min()
    assert race.min_impact_ratio == race.demographic_parity_ratio
    assert report.overall_selection_rate == selection_rate(df.y, df.pred)
    json.dumps(report.to_dict(), allow_nan=False)


def test_impact_ratio_is_against_the_most_selected_group(predictions):
    race = fairness_report(predictions, y_pred="pred", sensitive=["race"]).grouping("race")
    rates = {g.label: g.selection_rate for g in race.groups}
    top = max(rates.values())
    for g in race.groups:
        assert g.impact_ratio == pytest.approx(g.selection_rate / top, rel=1e-15)
    assert race.most_selected_group == max(rates, key=rates.get)
    assert race.least_selected_group == "E"  # the group the fixture penalises
    assert race.max_tpr_gap is None  # no y_true: TPR/FPR not computed


def test_intersection_matches_fairlearn_multi_feature_frame(predictions):
    df = predictions
    report = fairness_report(df, y_pred="pred", y_true="y", sensitive=["race", "sex"], min_group_size=1)
    inter = report.grouping("race", "sex")
    frame = MetricFrame(metrics={"sr": selection_rate, "tpr": true_positive_rate}, y_true=df.y, y_pred=df.pred,
                        sensitive_features=df[["race", "sex"]])
    groups = by_label(inter)
    assert len(groups) == len(frame.by_group) == 10
    for (race, sex), row in frame.by_group.iterrows():
        g = groups[f"{race} & {sex}"]
        assert g.group == {"race": race, "sex": sex}
        assert g.selection_rate == row.sr and g.tpr == row.tpr
    kw = dict(y_true=df.y, y_pred=df.pred, sensitive_features=df[["race", "sex"]])
    assert inter.demographic_parity_ratio == demographic_parity_ratio(**kw)
    assert inter.equalized_odds_difference == equalized_odds_difference(**kw)


def test_intersections_true_means_every_combination():
    df = pd.DataFrame({"a": ["x", "y"] * 50, "b": ["u"] * 50 + ["v"] * 50, "c": ["p", "q", "r", "s"] * 25,
                       "pred": [1, 0] * 50})
    report = fairness_report(df, y_pred="pred", sensitive=["a", "b", "c"], min_group_size=1)
    assert [g.attributes for g in report.groupings] == [("a",), ("b",), ("c",), ("a", "b"), ("a", "c"),
                                                         ("b", "c"), ("a", "b", "c")]
    only = fairness_report(df, y_pred="pred", sensitive=["a", "b", "c"], intersections=[["a", "c"]])
    assert [g.attributes for g in only.groupings][-1] == ("a", "c")


def test_small_groups_are_flagged_and_kept_out_of_the_summary():
    df = pd.DataFrame({
        "g": pd.Categorical(["big"] * 100 + ["tiny"], categories=["big", "tiny", "empty"]),
        "pred": [1] * 50 + [0] * 50 + [0],
    })
    g = fairness_report(df, y_pred="pred", sensitive=["g"], min_group_size=30).grouping("g")
    groups = by_label(g)
    assert groups["tiny"].too_small and groups["tiny"].n == 1
    assert groups["empty"].too_small and groups["empty"].n == 0 and groups["empty"].selection_rate is None
    assert g.too_small_groups == ("tiny", "empty")
    assert g.n_assessable == 1
    # "tiny" selects nobody, yet it cannot drag the ratio down -- nor can it pass: it is listed,
    # and with a single assessable group there is nothing to compare, so no summary ratio at all
    assert g.min_impact_ratio is None and any("only one group" in r for r in g.reasons)
    assert groups["tiny"].impact_ratio == 0.0
    json.dumps(g.to_dict(), allow_nan=False)


def test_no_group_large_enough_gives_no_summary():
    df = pd.DataFrame({"g": ["a", "b"], "pred": [1, 0]})
    g = fairness_report(df, y_pred="pred", sensitive=["g"]).grouping("g")
    assert g.min_impact_ratio is None and g.n_assessable == 0 and g.reasons


def test_undefined_tpr_is_none_not_zero():
    df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [0] * 40 + [0, 1] * 20, "pred": [1, 0] * 40})
    g = fairness_report(df, y_pred="pred", y_true="y", sensitive=["g"]).grouping("g")
    a = by_label(g)["a"]
    assert a.tpr is None and any("TPR undefined" in r for r in a.reasons)
    assert g.max_tpr_gap == 0.0  # only one group has a TPR


def test_age_bands(predictions):
    edges = [0, 25, 35, 50, 120]
    assert band_labels(edges) == ["[0,25)", "[25,35)", "[35,50)", "[50,120)"]
    df = predictions.copy()
    df.loc[0, "age"] = 130.0
    df.loc[1, "age"] = np.nan
    report = fairness_report(df, y_pred="pred", sensitive=["age"], bands={"age": edges}, min_group_size=1)
    groups = by_label(report.grouping("age"))
    assert list(groups) == ["[0,25)", "[25,35)", "[35,50)", "[50,120)", "(outside bands)", "(missing)"]
    expected = pd.cut(df.age, edges, right=False, labels=band_labels(edges))
    for label in band_labels(edges):
        mask = expected == label
        assert groups[label].n == int(mask.sum())
        assert groups[label].selection_rate == selection_rate(df.y[mask], df.pred[mask])


def test_threshold_mode_equals_thresholded_predictions(predictions):
    a = fairness_report(predictions, score="score", threshold=0.5, sensitive=["race"])
    b = fairness_report(predictions, y_pred="pred", sensitive=["race"])
    assert a.mode == "threshold"
    assert [g.selection_rate for g in a.grouping("race").groups] == [g.selection_rate for g in b.grouping("race").groups]


def test_ll144_scoring_rate_uses_the_overall_median(predictions):
    df = predictions
    report = fairness_report(df, score="score", sensitive=["sex"])
    assert report.mode == "scoring_rate"
    median = float(np.median(df.score))
    assert report.score_median == median
    for g in report.grouping("sex").groups:
        mask = df.sex == g.label
        assert g.selection_rate == float((df.score[mask] > median).mean())


def test_missing_predictions_and_attributes():
    df = pd.DataFrame({"g": ["a", None] * 40, "pred": [1, 0, np.nan, 1] * 20})
    report = fairness_report(df, y_pred="pred", sensitive=["g"], min_group_size=1)
    assert report.n_dropped == 20 and report.n == 60
    assert set(by_label(report.grouping("g"))) == {"a", "(missing)"}


def test_groups_of_size_one():
    df = pd.DataFrame({"g": ["a", "b", "c"], "y": [1, 0, 1], "pred": [1, 1, 0]})
    g = fairness_report(df, y_pred="pred", y_true="y", sensitive=["g"], min_group_size=1).grouping("g")
    frame = MetricFrame(metrics=selection_rate, y_true=df.y, y_pred=df.pred, sensitive_features=df.g)
    assert [x.selection_rate for x in g.groups] == list(frame.by_group)
    assert g.demographic_parity_difference == demographic_parity_difference(df.y, df.pred, sensitive_features=df.g)


def test_requires_a_prediction_source(predictions):
    with pytest.raises(ValueError):
        fairness_report(predictions, sensitive=["race"])
