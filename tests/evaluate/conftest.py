from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import govern

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
BLOCKED = ROOT / "examples" / "credit-risk" / "evidence-blocked"
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture(scope="session")
def policy():
    return govern.load_policy(MINI)


@pytest.fixture(scope="session")
def use_case(policy):
    return govern.load_use_case(MINI / "use_cases" / "credit.yaml", policy)


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A private copy of the passing credit-risk bundle, without its manifest (so files can change)."""
    target = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, target)
    (target / "manifest.yaml").unlink()
    return target
