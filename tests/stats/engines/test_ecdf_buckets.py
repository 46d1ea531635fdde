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


def test_small_columns_take_the_plain_window(tmp_path, same):
    """A few thousand values: one window query beats several bucket passes; the result is the same."""
    rng = np.random.default_rng(8)
    reference, current = pd.DataFrame({"x": rng.normal(0, 1, 2000)}), pd.DataFrame({"x": rng.normal(0.1, 1, 1500)})
    reference.to_parquet(tmp_path / "reference.parquet", index=False)
    current.to_parquet(tmp_path / "current.parquet", index=False)
    result, trace = _run(tmp_path, Tuning())
    same(dataset_drift(reference, current).to_dict(), result.to_dict())
    assert trace["window"] == 1 and trace.get("levels", 0) == 0


def test_infinities_take_the_plain_window(tmp_path, same):
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"x": np.concatenate((rng.normal(0, 1, 500), [np.inf, -np.inf]))})
    current = pd.DataFrame({"x": np.concatenate((rng.normal(0.2, 1, 400), [np.inf]))})
    reference.to_parquet(tmp_path / "reference.parquet", index=False)
    current.to_parquet(tmp_path / "current.parquet", index=False)
    result, trace = _run(tmp_path, Tuning(buckets=16, window_rows=0))
    same(dataset_drift(reference, current).to_dict(), result.to_dict())
    assert trace["window"] == 1 and trace.get("levels", 0) == 0


@pytest.mark.slow
def test_spark_runs_the_same_refinement(spark, tmp_path, same):
    """Spark's primitives (a groupBy per level, a window partitioned by bucket) under the same finishing code."""
    from govern.stats.engines.spark_engine import SparkEngine

    reference, current = _hard_pair(20_000)
    columns = ["skew", "big_tiny"]
    engine = SparkEngine(spark, single_bucket=3_000, tuning=Tuning(buckets=16, sub_buckets=8, exact_rows=300,
                                                                    max_depth=2, window_rows=0))
    reference.to_parquet(tmp_path / "r.parquet", index=False)
    current.to_parquet(tmp_path / "c.parquet", index=False)
    result = engine_drift(engine, engine.files([str(tmp_path / "r.parquet")], "parquet"),
                          engine.files([str(tmp_path / "c.parquet")], "parquet"), columns=columns)
    same(dataset_drift(reference, current, columns=columns).to_dict(), result.to_dict())
    trace = engine.ecdf_trace
    assert trace["split"] > 0 and trace["exact_rows"] > 0 and trace["summarised"] > 0
    assert trace["ranged_window"] > 0 and trace["window"] == 0


@pytest.mark.parametrize("seed", range(12))
def test_random_shapes_and_tunings_are_bit_exact(tmp_path, seed):
    """Random data shapes × random bucket tunings: KS extremes, PSI edges and bins identical to the
    in-memory merge, the area within 1e-9 (it is a float sum taken in another order)."""
    import math

    from govern.stats.ecdf import summarise_sorted

    rng = np.random.default_rng(seed)
    n1, n2 = (int(v) for v in rng.integers(1, 3000, 2))
    shift = float(rng.choice([0.0, 0.0, 0.3]))
    draw = [lambda n, s: rng.normal(s, 1, n), lambda n, s: np.round(rng.normal(s, 1, n), 1),
            lambda n, s: rng.lognormal(0, 2 + s, n), lambda n, s: 1e9 + rng.integers(0, 5, n) * 1e-6,
            lambda n, s: np.where(np.arange(n) < max(1, n // 100), 1e8 * (1 + s), rng.exponential(1, n)),
            lambda n, s: rng.integers(-3, 3, n).astype(float) * 0.5][seed % 6]
    a, b = draw(n1, 0.0), draw(n2, shift)
    pd.DataFrame({"x": a}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"x": b}).to_parquet(tmp_path / "b.parquet")
    tuning = Tuning(buckets=int(rng.choice([2, 4, 16, 64])), sub_buckets=int(rng.choice([2, 3, 8])),
                    exact_rows=int(rng.choice([1, 10, 100])), max_depth=int(rng.choice([1, 2, 4])), window_rows=0)
    engine = DuckDBEngine(root=tmp_path, range_values=int(rng.choice([1000, 10**6])), tuning=tuning)
    try:
        got = engine.ecdf(engine.files([tmp_path / "a.parquet"], "parquet"),
                          engine.files([tmp_path / "b.parquet"], "parquet"), "x", 10)
    finally:
        engine.close()
    expected = summarise_sorted(np.sort(a), np.sort(b), 0, 0, 10)
    fields = ("h_max", "h_max_float", "h_min", "h_min_float", "edges", "reference_bins", "current_bins")
    assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert math.isclose(got.integral, expected.integral, rel_tol=1e-9, abs_tol=1e-300)
