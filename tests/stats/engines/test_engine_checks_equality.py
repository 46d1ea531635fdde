"""performance_by_group, data_quality and latency: DuckDB and Spark give the pandas engine's result objects.

The pandas engine runs the same finishing code from its own aggregates (tests/stats/test_performance.py
and test_quality.py hold it to sklearn and to hand counts); here the same tables are written to
files and each engine's result object must equal it — counts identical, floats within 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govern.stats.engines.duckdb_engine import DuckDBEngine
from govern.stats.latency import LatencyDataError, engine_latency
from govern.stats.performance import METRICS, engine_performance, performance_by_group
from govern.stats.quality import data_quality, engine_quality
from tests.stats.engines.test_engine_equality import _credit_predictions, _credit_split, _files


@pytest.fixture()
def duck(tmp_path):
    engine = DuckDBEngine(root=tmp_path, threads=2)
    yield engine
    engine.close()


def _read_back(tmp_path, frame: pd.DataFrame, fmt: str, name: str) -> pd.DataFrame:
    """What the pandas engine reads from the file an SQL engine reads."""
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
        return pd.read_csv(path)
    frame.to_parquet(path, index=False)
    return pd.read_parquet(path)


def _predictions_edge_cases(seed: int = 4, n: int = 3000) -> pd.DataFrame:
    """Ties in scores, missing outcomes/scores/groups, integer codes read as floats, a one-class group,
    a one-row group and 300 small groups."""
    rng = np.random.default_rng(seed)
    score = rng.random(n).round(2)  # 101 distinct scores: runs of ties everywhere
    frame = pd.DataFrame({
        "g": rng.choice(["a", "b", "c"], n).astype(object),
        "code": rng.integers(1, 4, n).astype(float),
        "many": rng.choice([f"m{i:03d}" for i in range(300)], n),
        "score": score,
        "y": (rng.random(n) < score).astype(float),
        "pred": (score >= 0.5).astype(int),
    })
    frame.loc[frame["g"] == "c", "y"] = 1.0  # one class only: AUC, FPR-like metrics undefined there
    frame.loc[::23, "g"] = None
    frame.loc[::19, "code"] = np.nan
    frame.loc[::31, "y"] = np.nan
    frame.loc[::37, "score"] = np.nan
    frame.loc[5, "g"] = "solo"  # a group of one row: R² undefined
    return frame


PERF = [("all", dict(y_pred="pred", score="score", metrics=list(METRICS))),
        ("thresholded", dict(score="score", metrics=["accuracy", "precision", "recall", "f1", "auc", "brier"]))]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("name,mode", PERF, ids=[p[0] for p in PERF])
def test_duckdb_performance_on_german_credit(duck, tmp_path, german_credit, same, fmt, name, mode):
    frame = _credit_predictions(german_credit)
    frame.loc[::37, "score"] = np.nan
    frame = _read_back(tmp_path, frame, fmt, "p")
    kwargs = dict(y_true="y", group_by=["personal_status_and_sex", "foreign_worker"], min_group_size=20, **mode)
    expected = performance_by_group(frame, **kwargs)
    table = duck.files([tmp_path / f"p.{fmt}"], fmt)
    same(expected.to_dict(), engine_performance(duck, table, **kwargs).to_dict())
    assert expected.n_dropped == len(frame) // 37 + 1 and expected.metric("auc").overall is not None


@pytest.mark.parametrize("group_by", [["g"], ["code", "g"], ["many"]])
def test_duckdb_performance_edge_cases(duck, tmp_path, same, group_by):
    frame = _read_back(tmp_path, _predictions_edge_cases(), "parquet", "p")
    kwargs = dict(y_true="y", y_pred="pred", score="score", group_by=group_by, metrics=list(METRICS),
                  min_group_size=5)
    expected = performance_by_group(frame, **kwargs)
    table = duck.files([tmp_path / "p.parquet"], "parquet")
    actual = engine_performance(duck, table, **kwargs)
    same(expected.to_dict(), actual.to_dict())
    if group_by == ["g"]:
        auc = actual.metric("auc")
        assert {g.label for g in auc.groups} == {"(missing)", "a", "b", "c", "solo"}
        assert "c" in auc.undefined_groups and actual.metric("r2").groups[-1].reason.startswith("fewer than two")
    if group_by == ["code", "g"]:
        assert any(g.label.startswith("1 & ") for g in actual.metric("auc").groups)  # 1.0 is the code 1


def test_exact_auc_is_the_mann_whitney_statistic(duck, tmp_path):
    """Ties count half: a hand-made case where AUC is a known fraction."""
    frame = pd.DataFrame({"g": ["x"] * 6, "y": [1, 1, 0, 0, 1, 0], "s": [0.9, 0.5, 0.5, 0.1, 0.5, 0.9]})
    (table,) = _files(duck, tmp_path, [frame])
    got = engine_performance(duck, table, y_true="y", score="s", group_by=["g"], metrics=["auc"], min_group_size=1)
    # positives 0.9, 0.5, 0.5 vs negatives 0.5, 0.1, 0.9: wins 1+1+1+0.5+0.5+0.5+0.5+... = 2U / 2PN
    pairs = [(p, q) for p in (0.9, 0.5, 0.5) for q in (0.5, 0.1, 0.9)]
    exact = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs) / 9
    assert got.metric("auc").overall == exact == performance_by_group(
        frame, y_true="y", score="s", group_by=["g"], metrics=["auc"]).metric("auc").overall


def _quality_pair(german_credit: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    reference, current = _credit_split(german_credit)
    current.loc[::41, "credit_amount"] = np.nan
    current.loc[::53, "purpose"] = None
    current = pd.concat([current, current.iloc[:7]], ignore_index=True)  # seven exact duplicates, NaNs included
    reference = reference[reference["purpose"] != "retraining"]  # a category the reference lacks
    return reference, current


QUALITY = dict(schema={"duration_in_month": "integer", "credit_amount": "integer", "purpose": "category",
                       "age_in_years": "number", "housing": "bool", "absent": "number"},
               max_missing=0.01, ranges={"duration_in_month": (6, 48), "age_in_years": (None, 60)})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_duckdb_data_quality_on_german_credit(duck, tmp_path, german_credit, same, fmt):
    reference, current = _quality_pair(german_credit)
    reference, current = _read_back(tmp_path, reference, fmt, "r"), _read_back(tmp_path, current, fmt, "c")
    expected = data_quality(current, reference_df=reference, **QUALITY)
    ref_t, cur_t = duck.files([tmp_path / f"r.{fmt}"], fmt), duck.files([tmp_path / f"c.{fmt}"], fmt)
    actual = engine_quality(duck, cur_t, reference=ref_t, **QUALITY)
    same(expected.to_dict(), actual.to_dict())
    assert actual.n_duplicate_rows == 7 and actual.column("purpose").unseen_categories == ("retraining",)
    assert actual.column("credit_amount").type == "number"  # an integer column with gaps reads as floats
    assert {m.column for m in actual.schema.type_mismatches} == {"housing"}


def test_duckdb_data_quality_on_synthetic_edge_cases(duck, tmp_path, synthetic_pair, same):
    reference, current = synthetic_pair
    reference = reference[~reference["many"].isin(["c000", "c001"])]
    current["flag"] = current["flag"].astype(object)
    current.loc[::50, "flag"] = None  # booleans with a gap read as objects (text)
    current["zeros"] = current["zeros"].where(current.index % 7 != 0, np.inf)
    current = pd.concat([current, current.iloc[:5]], ignore_index=True)
    options = dict(schema={"normal": "number", "code": "integer", "ties": "integer", "many": "category",
                           "flag": "bool", "when": "datetime"},
                   max_missing={"normal": 0.01}, ranges={"zeros": (0, 3), "many": (0, 1)})
    columns = ["normal", "ties", "zeros", "code", "many", "flag", "when", "segment"]
    expected = data_quality(_read_back(tmp_path, current, "parquet", "c"),
                            reference_df=_read_back(tmp_path, reference, "parquet", "r"), **options)
    ref_t, cur_t = duck.files([tmp_path / "r.parquet"], "parquet"), duck.files([tmp_path / "c.parquet"], "parquet")
    actual = engine_quality(duck, cur_t, reference=ref_t, columns=columns, **options)
    same(expected.to_dict(), actual.to_dict())
    assert actual.n_duplicate_rows == 5
    assert set(actual.column("many").unseen_categories) == {"c000", "c001"}
    assert actual.column("flag").type == "string" and actual.column("zeros").n_out_of_range > 0


def _latencies(n: int = 2001, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"latency_ms": rng.exponential(80, n).round(1), "code": rng.integers(0, 500, n)})


@pytest.mark.parametrize("column,n", [("latency_ms", 2001), ("code", 1), ("latency_ms", 2)])
def test_duckdb_latency_percentiles_are_exact(duck, tmp_path, same, column, n):
    frame = _latencies().iloc[:n]
    (table,) = _files(duck, tmp_path, [frame])
    from govern.stats.engines.pandas_engine import PandasEngine

    expected = engine_latency(PandasEngine(), frame, column, 200.0)
    same(expected.to_dict(), engine_latency(duck, table, column, 200.0).to_dict())
    values = frame[column].to_numpy(dtype=np.float64)
    for key, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        assert getattr(expected, key) == pytest.approx(np.percentile(values, q), rel=1e-12)
    assert expected.max == values.max() and expected.share_over == (values > 200).mean()


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_latency_refuses_bad_values_on_every_engine(duck, tmp_path, bad):
    frame = _latencies(50)
    frame.loc[7, "latency_ms"] = bad
    (table,) = _files(duck, tmp_path, [frame])
    from govern.stats.engines.pandas_engine import PandasEngine

    for engine, t in ((PandasEngine(), frame), (duck, table)):
        with pytest.raises(LatencyDataError, match="finite, non-negative"):
            engine_latency(engine, t, "latency_ms", 200.0)


@pytest.mark.slow
def test_spark_checks_match_pandas(spark, tmp_path, german_credit, synthetic_pair, same):
    """One Spark test, few jobs: AUC over several score ranges (``single_bucket`` small), quality with
    reference ranges, categories and duplicates, latency percentiles."""
    from govern.stats.engines.pandas_engine import PandasEngine
    from govern.stats.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark, partitions=4, single_bucket=40)
    frame = _read_back(tmp_path, _predictions_edge_cases(), "parquet", "p")
    kwargs = dict(y_true="y", y_pred="pred", score="score", group_by=["code", "g"],
                  metrics=["accuracy", "auc", "r2"], min_group_size=5)
    table = engine.files([str(tmp_path / "p.parquet")], "parquet")
    same(performance_by_group(frame, **kwargs).to_dict(), engine_performance(engine, table, **kwargs).to_dict())

    reference, current = (frame[["duration_in_month", "credit_amount", "purpose", "age_in_years", "housing"]]
                          for frame in _quality_pair(german_credit))
    reference, current = _read_back(tmp_path, reference, "parquet", "r"), _read_back(tmp_path, current, "parquet", "c")
    ref_t = engine.files([str(tmp_path / "r.parquet")], "parquet")
    cur_t = engine.files([str(tmp_path / "c.parquet")], "parquet")
    same(data_quality(current, reference_df=reference, **QUALITY).to_dict(),
         engine_quality(engine, cur_t, reference=ref_t, **QUALITY).to_dict())

    latencies = _read_back(tmp_path, _latencies(), "parquet", "l")
    lat_t = engine.files([str(tmp_path / "l.parquet")], "parquet")
    same(engine_latency(PandasEngine(), latencies, "latency_ms", 150.0).to_dict(),
         engine_latency(engine, lat_t, "latency_ms", 150.0).to_dict())


def test_duckdb_auc_in_value_ranges_gives_the_same_numbers(tmp_path, same):
    """Cut into many score ranges (as on data too large for one window), AUC stays the exact same number."""
    frame = _read_back(tmp_path, _predictions_edge_cases(), "parquet", "p")
    kwargs = dict(y_true="y", score="score", group_by=["g"], metrics=["auc"], min_group_size=5)
    engine = DuckDBEngine(root=tmp_path, range_values=30)
    try:
        table = engine.files([tmp_path / "p.parquet"], "parquet")
        same(performance_by_group(frame, **kwargs).to_dict(), engine_performance(engine, table, **kwargs).to_dict())
    finally:
        engine.close()


def test_duckdb_sees_nan_in_parquet_statistics_leave_out(duck, tmp_path, same):
    """Parquet min/max statistics leave NaN out (pyarrow, Spark write NaN, not null): DuckDB must not
    prune `isnan` with them, or a file would count no missing value and report NaN as its maximum."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(12)
    x = rng.normal(0, 1, 5000)
    x[::17] = np.nan
    pq.write_table(pa.table({"x": x, "y": rng.normal(0.3, 1, 5000)}), tmp_path / "nan.parquet")
    frame = pd.read_parquet(tmp_path / "nan.parquet")
    table = duck.files([tmp_path / "nan.parquet"], "parquet")
    expected = data_quality(frame, reference_df=frame, max_missing=0.01)
    same(expected.to_dict(), engine_quality(duck, table, reference=table, max_missing=0.01).to_dict())
    assert expected.column("x").n_missing == 295 and expected.column("x").range_high is not None
    from govern.stats.drift import dataset_drift, engine_drift

    same(dataset_drift(frame[["x"]], frame[["y"]].rename(columns={"y": "x"})).features[0].stats.to_dict()["n_missing_reference"],
         engine_drift(duck, table, table, columns=["x"]).features[0].stats.to_dict()["n_missing_reference"])
