"""The consumption-forecast monitoring gate: a generated Parquet window, drift counted by DuckDB.

The example's default window is 10M rows (README: `make_window.py`, then `govern check`); here a
300k-row window, split into parts the same way, keeps the test fast. The DuckDB numbers are
compared with the pandas engine's on the same files, and a warm spell (`--shift`) blocks the gate.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

import govern  # noqa: E402
from govern.evaluate.pipeline import check  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "consumption-forecast"
AS_OF = dt.date(2026, 1, 15)


def _window(out: Path, *extra: str) -> Path:
    subprocess.run([sys.executable, str(EXAMPLE / "monitoring" / "make_window.py"), "--rows", "300000",
                    "--out", str(out), *extra], check=True, capture_output=True, text=True, timeout=300)
    return out


def _drift(evidence: Path):
    policy = govern.load_policy(EXAMPLE / "monitoring" / "policy")
    use_case = govern.load_use_case(EXAMPLE / "use_case.yaml", policy)
    decision = check(policy, use_case, evidence, target="monitoring", as_of=AS_OF)
    return decision, next(c for c in decision.checks if c.id == "input_drift")


def test_monitoring_gate_runs_drift_in_duckdb_and_matches_pandas(tmp_path):
    evidence = _window(tmp_path / "evidence")
    assert len(list((evidence / "data" / "window").glob("*.parquet"))) == 1
    decision, drift = _drift(evidence)
    assert drift.status == "passed" and drift.measured["engine"] == "duckdb"
    assert drift.measured["n_features"] == 5 and decision.allowed
    paths = {ref.path for ref in drift.evidence}
    assert paths == {"data/reference.parquet", "data/window/part-0000.parquet"}

    manifest = evidence / "manifest.yaml"  # the same files, counted in memory by pandas
    manifest.write_text(manifest.read_text().replace("engine: duckdb", "engine: pandas"))
    _, in_memory = _drift(evidence)
    assert "engine" not in in_memory.measured
    for mine, theirs in zip(drift.measured["features"], in_memory.measured["features"]):
        for key, value in theirs["stats"].items():
            if isinstance(value, float):
                assert math.isclose(mine["stats"][key], value, rel_tol=1e-9, abs_tol=1e-300), (mine["name"], key)
            else:
                assert mine["stats"][key] == value, (mine["name"], key)


def test_a_warm_spell_blocks_the_gate(tmp_path):
    _, drift = _drift(_window(tmp_path / "evidence", "--shift", "4"))
    assert drift.status == "failed" and drift.measured["drifted"] == ["temperature_c"]
