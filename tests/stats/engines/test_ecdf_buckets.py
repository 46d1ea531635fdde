"""The bucketed exact ECDF (stats/ecdf_buckets.py) gives the pandas engine's numbers on data built to
break it: heavy skew with a far outlier, large values with tiny spreads, ties, identical samples.

Small buckets are forced so that splitting, a third level and the ranged window at the deepest level
really run on 200k rows; the engine's trace proves they did (a test that fell back to the plain
window everywhere would fail on the trace, not pass silently).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govern.stats.drift import dataset_drift, engine_drift
from govern.stats.ecdf_buckets import Tuning
from govern.stats.engines.duckdb_engine import DuckDBEngine

N = 200_000
SMALL = Tuning(buckets=16, sub_buckets=8, exact_rows=300, max_depth=3)


def _hard_pair(n: int = N) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(16)
    N = n  # noqa: N806 (the size of this pair)

    def table(shift: float) -> pd.DataFrame:
        skew = rng.lognormal(10 + shift, 1.0, N)
        skew[7] = 1e12  # one outlier stretches the range: all other values land in the first bucket
        frame = pd.DataFrame({
            "skew": skew,
            "big_tiny": 1e9 + rng.normal(shift * 1e-4, 1e-4, N),  # |x| ≫ spread: offsets must not cancel
            "normal": rng.normal(shift, 1.0, N),
            "few": rng.integers(0, 3, N).astype(float) + (rng.random(N) < shift),  # a handful of distinct values
            "constant": np.full(N, 2.5),
            "negative": -rng.exponential(1.0 + shift, N),
        })
        frame.loc[rng.random(N) < 0.01, "normal"] = np.nan
        return frame

    reference, current = table(0.0), table(0.05)
    current["identical"] = reference["normal"].sample(frac=1.0, random_state=2).to_numpy()  # h ≡ 0 everywhere
    reference["identical"] = reference["normal"]
    return reference, current


@pytest.fixture(scope="module")
def hard_files(tmp_path_factory):
    reference, current = _hard_pair()
    root = tmp_path_factory.mktemp("buckets")
    reference.to_parquet(root / "reference.parquet", index=False)
    current.to_parquet(root / "current.parquet", index=False)
    return root, reference, current, dataset_drift(reference, current)


def _run(root, tuning: Tuning, columns=None, **engine_kwargs):
    engine = DuckDBEngine(root=root, threads=2, tuning=tuning, **engine_kwargs)
    try:
        result = engine_drift(engine, engine.files([root / "reference.parquet"], "parquet"),
                              engine.files([root / "current.parquet"], "parquet"), columns=columns)
        return result, dict(engine.ecdf_trace)
    finally:
        engine.close()


@pytest.mark.slow
def test_split_buckets_and_refinement_match_pandas(hard_files, same):
    root, _, _, expected = hard_files
    result, trace = _run(root, SMALL)
    same(expected.to_dict(), result.to_dict())
    # the paths under test ran: buckets split to the third level, exact windows over chosen buckets,
    # and no column fell back to the window over all distinct values
    assert trace["levels"] >= 3 * 5 and trace["split"] > 0 and trace["exact_rows"] > 0
    assert trace.get("window", 0) == 0
    # buckets whose area came from their aggregates alone (no window) exist too
    assert trace["summarised"] > 0 and trace["exact_rows"] < 7 * 2 * N


@pytest.mark.slow
def test_ranged_window_at_the_deepest_level_matches_pandas(hard_files, same):
    """Two levels only and a tiny window budget: big candidate buckets are windowed range by range."""
    root, reference, current, _ = hard_files
    result, trace = _run(root, Tuning(buckets=16, sub_buckets=4, exact_rows=300, max_depth=2), range_values=20_000,
                         columns=["skew"])
    same(dataset_drift(reference, current, columns=["skew"]).to_dict(), result.to_dict())
    assert trace["ranged_window"] > 0


def test_default_buckets_match_pandas(hard_files, same):
    root, _, _, expected = hard_files
    result, trace = _run(root, Tuning())
    same(expected.to_dict(), result.to_dict())
    assert trace.get("window", 0) == 0
    identical = next(f for f in result.features if f.name == "identical").stats
    assert identical.ks_statistic == 0.0 and identical.wasserstein == 0.0


def test_infinities_take_the_plain_window(tmp_path, same):
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"x": np.concatenate((rng.normal(0, 1, 500), [np.inf, -np.inf]))})
    current = pd.DataFrame({"x": np.concatenate((rng.normal(0.2, 1, 400), [np.inf]))})
    reference.to_parquet(tmp_path / "reference.parquet", index=False)
    current.to_parquet(tmp_path / "current.parquet", index=False)
    result, trace = _run(tmp_path, SMALL)
    same(dataset_drift(reference, current).to_dict(), result.to_dict())
    assert trace["window"] == 1 and trace.get("levels", 0) == 0


@pytest.mark.slow
def test_spark_runs_the_same_refinement(spark, tmp_path, same):
    """Spark's primitives (a groupBy per level, a window partitioned by bucket) under the same finishing code."""
    from govern.stats.engines.spark_engine import SparkEngine

    reference, current = _hard_pair(20_000)
    columns = ["skew", "identical"]
    engine = SparkEngine(spark, single_bucket=3_000, tuning=Tuning(buckets=16, sub_buckets=8, exact_rows=300,
                                                                    max_depth=2))
    reference.to_parquet(tmp_path / "r.parquet", index=False)
    current.to_parquet(tmp_path / "c.parquet", index=False)
    result = engine_drift(engine, engine.files([str(tmp_path / "r.parquet")], "parquet"),
                          engine.files([str(tmp_path / "c.parquet")], "parquet"), columns=columns)
    same(dataset_drift(reference, current, columns=columns).to_dict(), result.to_dict())
    trace = engine.ecdf_trace
    assert trace["split"] > 0 and trace["exact_rows"] > 0 and trace["summarised"] > 0
    assert trace["ranged_window"] > 0 and trace["window"] == 0
