"""DuckDB and Spark give the pandas engine's result objects: counts identical, statistics within 1e-9.

The pandas engine is the reference (its numbers are scipy's and fairlearn's, tests/stats/test_drift.py
and test_fairness.py); here the same tables are written to files and read by each engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govern.stats.drift import dataset_drift, engine_drift
from govern.stats.engines.duckdb_engine import DuckDBEngine
from govern.stats.fairness import engine_fairness, fairness_report

CREDIT_FEATURES = ["duration_in_month", "credit_amount", "age_in_years", "installment_rate_in_percentage_of_disposable_income",
                   "purpose", "credit_history", "housing", "number_of_existing_credits_at_this_bank"]


def _credit_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Older applications as reference, the rest as current (a real, mild drift)."""
    order = frame.sort_values(["age_in_years", "credit_amount"], kind="stable").index
    return frame.loc[order[:600]].reset_index(drop=True), frame.loc[order[600:]].reset_index(drop=True)


def _credit_predictions(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["personal_status_and_sex", "foreign_worker", "age_in_years", "housing"]].copy()
    out["y"] = (frame["creditability"] == "good").astype(int)
    out["score"] = (1 / (1 + np.exp((frame["credit_amount"] - 3000) / 2000))).round(4)  # ties at 4 decimals
    out["pred"] = (out["score"] >= 0.5).astype(int)
    return out


@pytest.fixture()
def duck(tmp_path):
    engine = DuckDBEngine(root=tmp_path, threads=2)
    yield engine
    engine.close()


def _files(engine, tmp_path, frames, fmt="parquet"):
    tables = []
    for i, frame in enumerate(frames):
        path = tmp_path / f"t{i}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        tables.append(engine.files([path], fmt))
    return tables


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_duckdb_drift_on_german_credit(duck, tmp_path, german_credit, same, fmt):
    reference, current = _credit_split(german_credit)
    if fmt == "csv":  # what the pandas engine would read back from the same CSV text
        reference.to_csv(tmp_path / "r.csv", index=False)
        current.to_csv(tmp_path / "c.csv", index=False)
        reference, current = pd.read_csv(tmp_path / "r.csv"), pd.read_csv(tmp_path / "c.csv")
    expected = dataset_drift(reference, current, columns=CREDIT_FEATURES, segment_by="housing")
    ref_t, cur_t = _files(duck, tmp_path, [reference, current], fmt)
    actual = engine_drift(duck, ref_t, cur_t, columns=CREDIT_FEATURES, segment_by="housing")
    same(expected.to_dict(), actual.to_dict())
    assert expected.n_drifted >= 1  # the split is a real drift, so the verdicts are exercised


def test_duckdb_drift_on_synthetic_edge_cases(duck, tmp_path, synthetic_pair, same):
    reference, current = synthetic_pair
    kwargs = dict(categorical=["code"], segment_by="segment", bins=10)
    expected = dataset_drift(reference, current, **kwargs)
    ref_t, cur_t = _files(duck, tmp_path, [reference, current])
    actual = engine_drift(duck, ref_t, cur_t, **kwargs)
    same(expected.to_dict(), actual.to_dict())
    code = next(f for f in actual.features if f.name == "code").stats
    assert code.n_categories == 5 and code.unseen_categories == ()  # 3 and 3.0 are one category
    public = next(s for s in actual.segments if s.segment == {"segment": "public"})
    assert public.n_current == 0 and all(f.drifted is None for f in public.features)
    many = next(f for f in actual.features if f.name == "many").stats
    assert many.n_categories == 300


def test_duckdb_small_samples_use_scipy_exact_pvalues(duck, tmp_path, same):
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.integers(0, 7, 40).astype(float)})
    current = pd.DataFrame({"x": rng.integers(1, 8, 33).astype(float)})
    from scipy import stats

    ref_t, cur_t = _files(duck, tmp_path, [reference, current])
    got = engine_drift(duck, ref_t, cur_t).features[0].stats
    scipy_ks = stats.ks_2samp(reference["x"], current["x"])
    assert got.ks_statistic == float(scipy_ks.statistic) and got.ks_pvalue == pytest.approx(scipy_ks.pvalue, rel=1e-12)
    same(dataset_drift(reference, current).to_dict(), engine_drift(duck, ref_t, cur_t).to_dict())


@pytest.mark.parametrize("mode", [dict(y_pred="pred", y_true="y"), dict(score="score", threshold=0.5),
                                  dict(score="score")])
def test_duckdb_fairness_on_german_credit(duck, tmp_path, german_credit, same, mode):
    frame = _credit_predictions(german_credit)
    frame.loc[::37, "score"] = np.nan
    kwargs = dict(sensitive=["personal_status_and_sex", "foreign_worker", "age_in_years"],
                  bands={"age_in_years": [18, 25, 35, 50, 80]}, min_group_size=20, **mode)
    expected = fairness_report(frame, **kwargs)
    (table,) = _files(duck, tmp_path, [frame])
    same(expected.to_dict(), engine_fairness(duck, table, **kwargs).to_dict())


def test_duckdb_fairness_with_missing_and_empty_groups(duck, tmp_path, same):
    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "h": rng.integers(0, 3, n).astype(float),
                          "y": rng.integers(0, 2, n).astype(float), "pred": rng.integers(0, 2, n)})
    frame.loc[::13, "g"] = None
    frame.loc[::17, "h"] = np.nan
    frame.loc[::29, "y"] = np.nan
    frame.loc[(frame["g"] == "c") & (frame["h"] == 2), "pred"] = 0  # an intersection never selected
    kwargs = dict(y_pred="pred", y_true="y", sensitive=["g", "h"], min_group_size=5)
    (table,) = _files(duck, tmp_path, [frame])
    same(fairness_report(frame, **kwargs).to_dict(), engine_fairness(duck, table, **kwargs).to_dict())


@pytest.mark.slow
def test_spark_matches_pandas(spark, tmp_path, german_credit, synthetic_pair, same):
    """One test for Spark, kept to a few columns (each Spark job costs a second or more on a busy
    2-core box): several value ranges per numeric column, so the per-range offsets are exercised."""
    from govern.stats.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark, single_bucket=500)
    reference, current = synthetic_pair
    kwargs = dict(columns=["normal", "code", "when"], categorical=["code"])
    ref_t, cur_t = _files(engine, tmp_path, [reference, current])
    same(dataset_drift(reference, current, **kwargs).to_dict(), engine_drift(engine, ref_t, cur_t, **kwargs).to_dict())

    frame = _credit_predictions(german_credit)
    frame.loc[::37, "score"] = np.nan
    fair = dict(score="score", y_true="y", sensitive=["personal_status_and_sex", "foreign_worker"], min_group_size=20)
    (tmp_path / "f").mkdir()
    (table,) = _files(engine, tmp_path / "f", [frame])
    same(fairness_report(frame, **fair).to_dict(), engine_fairness(engine, table, **fair).to_dict())


@pytest.mark.slow
def test_spark_segments_match_pandas(spark, tmp_path, synthetic_pair, same):
    from govern.stats.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark)
    reference, current = synthetic_pair
    kwargs = dict(columns=["ties"], segment_by="segment")
    ref_t, cur_t = _files(engine, tmp_path, [reference, current])
    same(dataset_drift(reference, current, **kwargs).to_dict(), engine_drift(engine, ref_t, cur_t, **kwargs).to_dict())


def test_duckdb_value_ranges_give_the_same_numbers(tmp_path, synthetic_pair, same):
    """Split into many value ranges (as on data too large for one window), the numbers do not change."""
    reference, current = synthetic_pair
    engine = DuckDBEngine(root=tmp_path, range_values=300)
    try:
        ref_t, cur_t = _files(engine, tmp_path, [reference, current])
        kwargs = dict(columns=["normal", "ties", "zeros", "when"])
        same(dataset_drift(reference, current, **kwargs).to_dict(), engine_drift(engine, ref_t, cur_t, **kwargs).to_dict())
    finally:
        engine.close()


def test_duckdb_domain_classifier_sample_is_seeded_and_bounded(duck, tmp_path, synthetic_pair):
    """The domain classifier is a model: it trains on a sample, the same rows whatever the scan order."""
    from govern.stats.domain_classifier import domain_classifier_drift

    reference, current = synthetic_pair
    ref_t, cur_t = _files(duck, tmp_path, [reference, current])
    columns = ["normal", "ties", "many", "flag"]
    first = duck.sample(ref_t, columns, 500, seed=0)
    shuffled = DuckDBEngine(root=tmp_path)
    try:
        path = tmp_path / "shuffled.parquet"
        reference.sample(frac=1.0, random_state=3).to_parquet(path, index=False)
        again = shuffled.sample(shuffled.files([path], "parquet"), columns, 500, seed=0)
    finally:
        shuffled.close()
    assert len(first) == 500
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True))
    result = domain_classifier_drift(first, duck.sample(cur_t, columns, 500, seed=0), columns=columns, max_rows=500)
    assert result.auc is not None and result.n_used == 500  # max_rows in all, balanced
