"""A Parquet window larger than DuckDB's memory limit is still assessed, exactly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.stats.drift import engine_drift, numeric_from_summary
from govern.stats.ecdf import summarise_sorted
from govern.stats.engines.duckdb_engine import DuckDBEngine


@pytest.mark.slow
def test_parquet_larger_than_memory_limit_completes_exactly(tmp_path):
    rng = np.random.default_rng(3)
    n = 9_000_000  # 2 × 9M distinct doubles: 144 MB of Parquet, ~600 MB of aggregate state, a 128 MB limit
    paths = []
    for side, shift in (("reference", 0.0), ("current", 0.01)):
        values = rng.normal(shift, 1, n)
        path = tmp_path / f"{side}.parquet"
        pq.write_table(pa.table({"x": values}), path, compression="none", row_group_size=1 << 20)
        paths.append((path, values))
    size = sum(p.stat().st_size for p, _ in paths)
    assert size > 128 * 2**20
    engine = DuckDBEngine(root=tmp_path, memory_limit="128MB", threads=2, range_values=1_000_000)
    try:
        ref_t, cur_t = (engine.files([p], "parquet") for p, _ in paths)
        # 18M distinct values: bucket histograms and windows over the buckets that need them must fit 128 MB (or
        # spill); an out-of-memory error would fail this test
        result = engine_drift(engine, ref_t, cur_t, bins=10)
    finally:
        engine.close()
    expected = numeric_from_summary(summarise_sorted(np.sort(paths[0][1]), np.sort(paths[1][1]), 0, 0, 10), 1e-4)
    got = result.features[0].stats
    assert got.n_reference == got.n_current == n
    assert got.ks_statistic == expected.ks_statistic and got.psi == expected.psi
    assert got.ks_pvalue == pytest.approx(expected.ks_pvalue, rel=1e-9, abs=1e-300)
    assert got.wasserstein == pytest.approx(expected.wasserstein, rel=1e-9)
