"""A core install (no `stats` extra) running a plan with data checks: exit 2 naming the extra, no crash.

The missing libraries are simulated in a subprocess: a ``sitecustomize`` module puts an
import blocker at the front of ``sys.meta_path``, so ``import numpy`` (and pandas) fail
exactly as they do where the packages are not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"

BLOCKER = '''
import sys

class _Blocker:
    """Pretend numpy and pandas are not installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pandas"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Blocker())
'''

TEMPLATE = {"stages": [
    {"id": "development", "raci": {"data_scientist": "A/R"}},
    {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
        {"id": "auc", "kind": "metric", "condition": "metrics.test.auc >= 0.7"},
        {"id": "four_fifths", "kind": "fairness", "params": {"sensitive": ["sex"], "y_pred": "y_pred"}},
    ]}},
]}


def _govern(args: list[str], site: Path | None) -> subprocess.CompletedProcess[str]:
    paths = ([str(site)] if site else []) + [str(ROOT / "src")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "NO_COLOR": "1"}
    env.pop("GOVERN_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "govern", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@pytest.fixture()
def case(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(TEMPLATE, sort_keys=False))
    (pack / "tests" / "cases.yaml").write_text(
        "cases:\n  - name: social scoring\n    facts: {purpose: social_scoring}\n    expect: {tier: prohibited}\n")
    evidence = tmp_path / "evidence"
    (evidence / "data").mkdir(parents=True)
    (evidence / "metrics.json").write_text('{"test": {"auc": 0.8}}\n')
    (evidence / "model_card.md").write_text("---\nname: synthetic\n---\n# Synthetic\n")
    rows = "".join(f"{'f' if i % 2 else 'm'},{i % 3 == 0:d}\n" for i in range(200))
    (evidence / "data" / "predictions.csv").write_text("sex,y_pred\n" + rows)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    args = ["check", str(pack / "use_cases" / "credit.yaml"), "-p", str(pack), "-e", str(evidence),
            "--target", "validation", "--as-of", "2026-06-01", "--no-record"]
    return args, site


def test_blocker_really_hides_numpy(case):
    _, site = case
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, text=True, env=env,
                           timeout=60, check=False)
    assert probe.returncode != 0 and "No module named 'numpy'" in probe.stderr


def test_data_checks_without_the_stats_extra_are_a_usage_error(case):
    args, site = case
    result = _govern(args, site)
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "pip install 'govern[stats]'" in result.stderr
    assert "`fairness` check `four_fifths` needs the `stats` extra" in result.stderr
    assert "error[stats-extra-missing]" in result.stderr
    assert "templates/high.yaml:" in result.stderr  # where the pack requires the check


def test_same_plan_runs_when_the_libraries_are_there(case):
    args, _ = case
    result = _govern(args, None)
    assert result.returncode in (0, 1), result.stderr  # a decision, whatever it is
    assert "four_fifths" in result.stdout
