"""`govern check` end to end: data_quality and performance_by_group on a DuckDB database and a Parquet glob
(`data.engine: duckdb`) pass and fail exactly as they do on the same rows as CSV files in pandas; the latency
check gives the same exact percentiles on both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
import yaml

from tests.checks.test_data_checks import ROOT, setup  # noqa: F401  (the fixture)
from tests.checks.test_engine_sources import _close

GATE = {"stages": [
    {"id": "development", "raci": {"data_scientist": "A/R"}},
    {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
        {"id": "segments", "kind": "performance_by_group",
         "params": {"group_by": ["segment", "sex"], "metric": "auc", "min_group_size": 20},
         "condition": "result.worst >= 0.5"},
        {"id": "quality", "kind": "data_quality",
         "params": {"max_missing": 0.05, "ranges": {"x": [-10, 10]}, "schema": {"x": "number", "colour": "category"}}},
    ]}},
]}


def _govern_check(pack, evidence) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GOVERN_DUCKDB_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "govern", "check", str(pack / "use_cases" / "credit.yaml"),
                           "-p", str(pack), "-e", str(evidence), "--target", "validation", "--no-store",
                           "--as-of", "2026-06-01", "-f", "json"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=evidence.parent)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, {c["id"]: c for g in json.loads(done.stdout)["gates"] for c in g["checks"]}


def _to_duckdb(evidence, predictions, current):
    """The predictions as a table of a DuckDB database, the current window as two Parquet parts."""
    con = duckdb.connect(str(evidence / "data" / "scored.duckdb"))
    con.register("frame", predictions)
    con.execute("CREATE TABLE scored AS SELECT * FROM frame")
    con.close()
    (evidence / "data" / "window").mkdir(exist_ok=True)
    half = len(current) // 2
    current.iloc[:half].to_parquet(evidence / "data" / "window" / "part-0.parquet", index=False)
    current.iloc[half:].to_parquet(evidence / "data" / "window" / "part-1.parquet", index=False)
    manifest = yaml.safe_load((evidence / "manifest.yaml").read_text())
    manifest["data"] = {"engine": "duckdb", "sources": {
        "data/predictions.csv": {"duckdb": "data/scored.duckdb", "table": "scored"},
        "data/current.csv": "parquet:data/window/*.parquet"}}
    (evidence / "manifest.yaml").write_text(yaml.safe_dump(manifest))


@pytest.mark.parametrize("broken", [False, True], ids=["passes", "duplicates-fail"])
def test_govern_check_runs_quality_and_performance_in_duckdb_as_in_pandas(setup, tmp_path, broken):  # noqa: F811
    policy, use_case, evidence, predictions, reference, current = setup
    pack = tmp_path / "pack"
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(GATE, sort_keys=False))
    if broken:  # the window repeats 12 rows: a data-quality problem on every engine
        current = pd.concat([current, current.iloc[:12]], ignore_index=True)
        current.to_csv(evidence / "data" / "current.csv", index=False)
    code_pandas, in_memory = _govern_check(pack, evidence)

    _to_duckdb(evidence, predictions, current)
    (evidence / "data" / "predictions.csv").unlink()
    (evidence / "data" / "current.csv").unlink()
    code_duckdb, in_duckdb = _govern_check(pack, evidence)

    assert code_duckdb == code_pandas == (1 if broken else 0)
    for check_id in ("segments", "quality"):
        assert in_duckdb[check_id]["status"] == in_memory[check_id]["status"]
        measured = dict(in_duckdb[check_id]["measured"])
        assert measured.pop("engine") == "duckdb" and "engine" not in in_memory[check_id]["measured"]
        _close(in_memory[check_id]["measured"], measured, check_id)
    assert in_duckdb["quality"]["status"] == ("failed" if broken else "passed")
    assert in_duckdb["quality"]["measured"]["duplicates"] == (12 if broken else 0)
    assert in_duckdb["segments"]["status"] == "passed" and len(in_duckdb["segments"]["measured"]["groups"]) == 6
    assert "data/scored.duckdb" in {e["path"] for e in in_duckdb["segments"]["evidence"]}


LATENCY_GATE = {"stages": [
    {"id": "development", "raci": {"data_scientist": "A/R"}},
    {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
        {"id": "latency", "kind": "latency", "params": {"file": "data/latency.csv", "over_ms": 150},
         "condition": "result.p95 <= 400"}]}},
]}


def test_latency_check_is_exact_on_pandas_and_duckdb_and_names_a_bad_line(setup, tmp_path):  # noqa: F811
    import numpy as np

    from govern.evaluate.pipeline import check
    from tests.checks.test_data_checks import AS_OF, results

    _, _, evidence, *_ = setup
    pack = tmp_path / "pack"
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(LATENCY_GATE, sort_keys=False))
    import govern

    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    values = np.random.default_rng(3).exponential(90, 999).round(1)
    pd.DataFrame({"latency_ms": values}).to_csv(evidence / "data" / "latency.csv", index=False)
    in_memory = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["latency"]
    assert in_memory.status == "passed" and in_memory.measured["n"] == 999
    for key, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        assert in_memory.measured[key] == pytest.approx(np.percentile(values, q), rel=1e-12)
    assert in_memory.measured["share_over"] == (values > 150).mean()

    manifest = yaml.safe_load((evidence / "manifest.yaml").read_text())
    manifest["data"] = {"engine": "duckdb"}
    (evidence / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    in_duckdb = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["latency"]
    measured = dict(in_duckdb.measured)
    assert measured.pop("engine") == "duckdb"
    _close(in_memory.measured, measured)

    manifest["data"] = {"engine": "pandas"}
    (evidence / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    (evidence / "data" / "latency.csv").write_text("latency_ms\n12.5\n13.0\n-4\n")
    broken = results(check(policy, use_case, evidence, target="validation", as_of=AS_OF))["latency"]
    assert broken.status == "error" and "`-4` in column `latency_ms`" in broken.message
    assert "(data/latency.csv:4:1)" in broken.message  # the CSV line of the value
