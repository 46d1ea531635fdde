"""The recommender-portfolio example on 60 clients: promotion logic, human in command, determinism.

Runs ``examples/recommender-portfolio/portfolio.py`` as a user would (a subprocess, one
command) twice — into two folders, with 2 worker processes and in-process — and checks the
decisions it wrote: a challenger is promoted exactly when its test RMSE is better and nothing
else stands in the way; a frozen model is never promoted, even with a better challenger; a
model the client turned off is blocked from production; and both runs give the same decision
digests (generation and evaluation are deterministic, whatever the number of workers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("yaml")

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "recommender-portfolio" / "portfolio.py"
CLIENTS = 60


def _run(out: Path, *extra: str) -> tuple[list[dict], dict, str]:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--clients", str(CLIENTS), "--out", str(out),
                           "--progress", "never", *extra], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    return rows, summary, proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    first = _run(tmp_path_factory.mktemp("portfolio-a"), "--workers", "2")
    second = _run(tmp_path_factory.mktemp("portfolio-b"), "--workers", "1", "--no-record")
    return first, second


def test_every_client_classified_and_evaluated(runs):
    (rows, summary, _), _ = runs
    assert [r["client"] for r in rows] == [f"client-{i:04d}" for i in range(CLIENTS)]
    assert {r["tier"] for r in rows} <= {"minimal", "limited"}
    assert {r["eu_ai_act_tier"] for r in rows} <= {"minimal", "limited"}
    assert all(r["tier"] == r["eu_ai_act_tier"] for r in rows)  # the example pack agrees with the shipped one
    assert summary["tier_disagreements_with_eu_ai_act"] == []
    assert sum(summary["outcomes"].values()) == CLIENTS
    for outcome in ("promoted", "kept_champion", "frozen", "off", "blocked"):
        assert summary["outcomes"][outcome] > 0, outcome


def test_better_rmse_is_promoted_worse_is_not(runs):
    (rows, _, _), _ = runs
    on = [r for r in rows if r["control"] == "on"]
    for r in on:
        better = r["challenger_rmse"] < r["champion_rmse"]
        if r["outcome"] == "promoted":
            assert r["allowed"] and better, r
        elif r["outcome"] == "kept_champion":
            assert not r["allowed"] and not better, r
            assert r["determining"] == ["production.challenger_beats_champion"]
        else:
            assert r["outcome"] == "blocked" and not r["allowed"]
            assert r["determining"] and set(r["determining"]) != {"production.challenger_beats_champion"}, r
    # a promotion happens exactly when the RMSE is better and every other gate passes
    assert any(r["outcome"] == "promoted" for r in on) and any(r["outcome"] == "kept_champion" for r in on)


def test_frozen_is_never_promoted_even_when_better(runs):
    (rows, _, _), _ = runs
    frozen = [r for r in rows if r["control"] == "frozen"]
    assert frozen
    assert all(not r["allowed"] and r["outcome"] == "frozen" for r in frozen)
    assert any(r["challenger_rmse"] < r["champion_rmse"] for r in frozen), "no frozen client with a better challenger"


def test_off_is_blocked_from_production(runs):
    (rows, _, _), _ = runs
    off = [r for r in rows if r["control"] == "off"]
    assert off
    assert all(not r["allowed"] and r["outcome"] == "off" for r in off)


def test_same_decision_digests_twice(runs):
    (rows_a, summary_a, _), (rows_b, summary_b, _) = runs
    assert [(r["client"], r["decision_digest"]) for r in rows_a] == [(r["client"], r["decision_digest"]) for r in rows_b]
    assert summary_a["portfolio_digest"] == summary_b["portfolio_digest"]
    assert all(r["decision_digest"].startswith("sha256:") for r in rows_a)


def test_decisions_recorded_and_status_shown(runs):
    (_, summary, stdout), _ = runs
    pytest.importorskip("sqlalchemy")
    assert "record" in summary["timings_s"], stdout
    assert f"{CLIENTS} use cases;" in stdout  # the last line of `govern status`
