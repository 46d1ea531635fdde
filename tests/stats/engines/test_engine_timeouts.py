"""An evidence query that runs too long is cancelled, on DuckDB and on Spark, and the engine
stays usable: a gate reports an error instead of waiting forever."""

from __future__ import annotations

import time

import pytest

from govern.stats.engines.base import EngineError


def test_duckdb_interrupts_a_query_past_its_timeout(tmp_path) -> None:
    pytest.importorskip("duckdb")
    from govern.stats.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(root=tmp_path, databases=[], timeout_s=0.5)
    started = time.perf_counter()
    with pytest.raises(EngineError, match=r"DuckDB query on a long scan exceeded 0.5 s"):
        engine._fetch("SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3", {}, what="a long scan")
    assert time.perf_counter() - started < 30
    assert engine._fetch("SELECT 41 + 1", {}, what="after") == [(42,)]
    engine.close()


def test_spark_cancels_a_query_past_its_timeout(spark) -> None:
    from govern.stats.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark, timeout_s=2)
    # 4e10 pairs in the JVM (no Python worker, which could fail on its own): hours unless cancelled
    frame = spark.range(200_000).crossJoin(spark.range(200_000).withColumnRenamed("id", "j")).selectExpr("max(id + j)")
    started = time.perf_counter()
    with pytest.raises(EngineError, match=r"Spark query on a slow table exceeded 2 s"):
        engine._collect(frame, "a slow table")
    assert time.perf_counter() - started < 30
    assert [r[0] for r in engine._collect(spark.range(3), "after")] == [0, 1, 2]  # the tag is gone, the session fine
    assert spark.sparkContext.getLocalProperty("spark.job.interruptOnCancel") is None  # the caller's setting back
