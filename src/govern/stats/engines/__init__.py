"""Where a statistic's aggregates are computed: in memory (pandas/numpy), in DuckDB, or in Spark.

Every engine answers the same small questions — how many values per category, the extremes
and area of the difference of two ECDFs over the sorted union of two samples, a few order
statistics, counts per group cell — and returns plain Python/numpy aggregates. The statistics
themselves (KS and its p-value, Wasserstein, PSI, χ², Cramér's V, rates and ratios) are
finished once, in :mod:`govern.stats.drift` and :mod:`govern.stats.fairness`, from those
aggregates. So an engine cannot change a number, only where the rows are counted: no raw row
ever leaves DuckDB or Spark.

- ``base`` — the :class:`~govern.stats.engines.base.Engine` interface and its errors
- ``pandas_engine`` — DataFrames in memory (the default; what a CSV/Parquet file reads into)
- ``duckdb_engine`` — Parquet/CSV files or a DuckDB database, out of core (``memory_limit``)
- ``spark_engine`` — a Spark session: local, a master URL, or Spark Connect (``SPARK_REMOTE``)
"""

from __future__ import annotations

ENGINES = ("pandas", "duckdb", "spark")

__all__ = ["ENGINES"]
