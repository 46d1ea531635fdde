"""Statistical check kinds through the engine: numbers equal the reference libraries; bad data is an error."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import govern
from govern.evaluate.pipeline import check

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
AS_OF = dt.date(2026, 6, 1)

TEMPLATE = {
    "stages": [
        {"id": "development", "raci": {"data_scientist": "A/R"}},
        {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
            {"id": "four_fifths", "kind": "fairness", "params": {"intersections": True, "min_group_size": 20}},
            {"id": "tpr_gap", "kind": "fairness", "condition": "result.max_tpr_gap <= 0.5"},
            {"id": "segments", "kind": "performance_by_group", "params": {"group_by": ["segment"], "metric": "auc"},
             "condition": "result.worst >= 0.5"},
            {"id": "drift", "kind": "drift", "params": {"psi_threshold": 0.25}},
            {"id": "quality", "kind": "data_quality", "params": {"max_missing": 0.05}},
        ]}},
    ]
}


@pytest.fixture()
def setup(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(TEMPLATE, sort_keys=False))
    (pack / "tests" / "cases.yaml").write_text(
        "cases:\n  - name: social scoring\n    facts: {purpose: social_scoring}\n    expect: {tier: prohibited}\n")
    rng = np.random.default_rng(7)
    n = 600
    sex = rng.choice(["female", "male"], size=n)
    age = rng.integers(18, 80, size=n)
    score = np.clip(rng.normal(0.55, 0.2, size=n) - (sex == "female") * 0.05, 0, 1)
    y_true = (rng.random(n) < score).astype(int)
    predictions = pd.DataFrame({"y_true": y_true, "y_pred": (score >= 0.5).astype(int), "score": score.round(6),
                                "sex": sex, "age": age, "segment": rng.choice(["a", "b", "c"], size=n)})
    reference = pd.DataFrame({"x": rng.normal(0, 1, 800).round(6), "colour": rng.choice(["red", "blue"], 800)})
    current = pd.DataFrame({"x": rng.normal(0.8, 1, 700).round(6), "colour": rng.choice(["red", "blue"], 700)})
    evidence = tmp_path / "evidence"
    (evidence / "data").mkdir(parents=True)
    predictions.to_csv(evidence / "data" / "predictions.csv", index=False)
    reference.to_csv(evidence / "data" / "reference.csv", index=False)
    current.to_csv(evidence / "data" / "current.csv", index=False)
    (evidence / "model_card.md").write_text("---\nname: synthetic\n---\n# Synthetic\n")
    (evidence / "manifest.yaml").write_text(yaml.safe_dump({
        "bundle": "synthetic", "model": {"name": "synthetic", "version": "1"},
        "files": [{"path": "model_card.md", "role": "model_card"}],
        "columns": {"target": "y_true", "prediction": "y_pred", "score": "score", "sensitive": ["sex", "age"],
                    "bands": {"age": [0, 35, 50, 120]}},
    }))
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    return policy, use_case, evidence, predictions, reference, current


def results(decision):
    return {c.id: c for c in decision.checks}


def test_fairness_matches_fairlearn(setup):
    from fairlearn.metrics import MetricFrame, selection_rate

    policy, use_case, evidence, predictions, *_ = setup
    got = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))
    fairness = got["four_fifths"]
    sex = next(g for g in fairness.measured["groupings"] if g["attributes"] == ["sex"])
    frame = MetricFrame(metrics=selection_rate, y_true=predictions.y_true, y_pred=predictions.y_pred,
                        sensitive_features=predictions.sex)
    rates = frame.by_group
    for group in sex["groups"]:
        assert group["selection_rate"] == pytest.approx(rates[group["group"]["sex"]], abs=1e-12)
    assert sex["min_impact_ratio"] == pytest.approx(rates.min() / rates.max(), abs=1e-12)
    assert any(g["attributes"] == ["sex", "age"] for g in fairness.measured["groupings"])  # the intersection
    expected = "passed" if fairness.measured["min_impact_ratio"] >= 0.8 else "failed"
    assert fairness.status == expected and fairness.expected == "result.min_impact_ratio >= 0.8"
    assert fairness.evidence[0].path == "data/predictions.csv"


def test_drift_matches_scipy(setup):
    from scipy.stats import ks_2samp, wasserstein_distance

    policy, use_case, evidence, _, reference, current = setup
    drift = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["drift"]
    x = next(f for f in drift.measured["features"] if f["name"] == "x")
    ks = ks_2samp(reference.x, current.x)
    assert x["stats"]["ks_statistic"] == pytest.approx(ks.statistic, rel=1e-12)
    assert x["stats"]["ks_pvalue"] == pytest.approx(ks.pvalue, rel=1e-9)
    assert x["stats"]["wasserstein"] == pytest.approx(wasserstein_distance(reference.x, current.x), rel=1e-9)
    assert drift.status == "failed" and drift.measured["drifted"] == ["x"]


def test_performance_by_group_matches_sklearn(setup):
    from sklearn.metrics import roc_auc_score

    policy, use_case, evidence, predictions, *_ = setup
    segments = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["segments"]
    by_group = {g["label"]: g["value"] for g in segments.measured["groups"]}
    for label, part in predictions.groupby("segment"):
        assert any(v == pytest.approx(roc_auc_score(part.y_true, part.score), abs=1e-12) for v in by_group.values())
    assert segments.measured["overall"] == pytest.approx(roc_auc_score(predictions.y_true, predictions.score))


def test_missing_columns_and_files_are_errors_not_passes(setup):
    policy, use_case, evidence, predictions, *_ = setup
    predictions.drop(columns=["sex"]).to_csv(evidence / "data" / "predictions.csv", index=False)
    (evidence / "data" / "current.csv").unlink()
    got = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))
    assert got["four_fifths"].status == "error" and "`sex`" in got["four_fifths"].message
    assert got["drift"].status == "error" and got["quality"].status == "error"


def test_groups_too_small_are_never_silently_passed(setup):
    policy, use_case, evidence, predictions, *_ = setup
    predictions.head(25).to_csv(evidence / "data" / "predictions.csv", index=False)
    fairness = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["four_fifths"]
    assert fairness.status == "error" and fairness.measured["too_small"]


def test_malformed_csv_is_an_error_with_its_line(setup):
    policy, use_case, evidence, *_ = setup
    (evidence / "data" / "predictions.csv").write_text('y_true,y_pred\n1,0\n0,"unterminated\n')
    fairness = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["four_fifths"]
    assert fairness.status == "error"


def test_unknown_attribute_values_are_reported_not_compared():
    from govern.stats.fairness import fairness_report

    frame = pd.DataFrame({"sex": ["f"] * 50 + ["m"] * 50 + [None] * 40,
                          "pred": [1] * 40 + [0] * 10 + [1] * 45 + [0] * 5 + [0] * 40})
    grouping = fairness_report(frame, y_pred="pred", sensitive=["sex"]).grouping("sex")
    unknown = next(g for g in grouping.groups if g.label == "(missing)")
    assert unknown.impact_ratio is None and any("not compared" in r for r in unknown.reasons)
    assert grouping.min_impact_ratio == pytest.approx(0.8 / 0.9)  # f vs m only; the unknowns select nobody


def test_unusable_band_edges_are_an_error_status_not_a_crash(setup):
    policy, use_case, evidence, *_ = setup
    manifest = evidence / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["columns"]["bands"]["age"] = [50, 35, 0]
    manifest.write_text(yaml.safe_dump(data))
    fairness = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["four_fifths"]
    assert fairness.status == "error" and "strictly increasing" in fairness.message
