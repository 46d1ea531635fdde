"""A metric outside the range its definition allows is an evidence error, never a pass (through the engine)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import govern
from govern.evaluate.pipeline import check

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def pack():
    policy = govern.load_policy(MINI)
    return policy, govern.load_use_case(MINI / "use_cases" / "credit.yaml", policy)


@pytest.fixture
def bundle(tmp_path) -> Path:
    target = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, target)
    (target / "manifest.yaml").unlink()  # so that files may change
    return target


def _set(path: Path, dotted: str, value: float) -> None:
    data = json.loads(path.read_text())
    node = data
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    path.write_text(json.dumps(data, indent=2))


def _checks(pack, bundle: Path) -> dict:
    decision = check(*pack, bundle, target="validation", as_of=AS_OF)
    return {c.id: c for c in decision.checks} | {"_gate": decision.gate("validation")}


def test_absurd_auc_clears_no_floor(pack, bundle):
    _set(bundle / "metrics.json", "test.auc", 1e35)
    got = _checks(pack, bundle)
    auc = got["auc"]  # condition: metrics.test.auc >= params.min_auc
    assert auc.status == "error", auc
    assert "`test.auc` is 1e+35, outside [0, 1]" in auc.message and "metrics.json:" in auc.message
    assert got["no_drop"].status == "error"  # reads the same broken file
    assert got["_gate"].status == "error"


def test_champion_metrics_are_held_to_the_same_ranges(pack, bundle):
    _set(bundle / "champion_metrics.json", "test.auc", -0.2)
    got = _checks(pack, bundle)
    assert got["no_drop"].status == "error" and "outside [0, 1]" in got["no_drop"].message
    assert got["auc"].status == "passed"  # reads metrics.json only, which is sound


def test_percentage_accuracy_is_caught(pack, bundle):
    _set(bundle / "metrics.json", "holdout.accuracy", 78.5)
    got = _checks(pack, bundle)
    assert got["auc"].status == "error" and "holdout.accuracy" in got["auc"].message
