"""`custom` checks: an entry point of the `govern.checks` group, run through `govern check`.

The worked example (examples/custom-check) is registered from its own pyproject in a
temporary dist-info, never pip-installed into the environment; so are small plugins that
fail in the ways a plugin can.
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from pathlib import Path

import pytest

import govern
from govern.errors import InputError, PolicyError
from govern.evaluate.pipeline import check
from tests.checks.minipack import pack_with_checks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "custom-check"
AS_OF = dt.date(2026, 6, 1)

PLUGINS = '''
import math

def raises(evidence, options):
    raise RuntimeError("model server unreachable")

def not_a_mapping(evidence, options):
    return 0.97

def nan(evidence, options):
    return {"score": math.nan}

def escapes(evidence, options):
    return {"size": len(evidence.read_bytes("../outside.txt"))}

def verdict(evidence, options):
    from govern.checks.base import Measurement
    text = evidence.read_text("notes/review.txt")
    return Measurement(measured={"words": len(text.split())}, ok="approved" in text, message="review read")
'''


def _register(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dist-info declaring the example's entry points (from its pyproject) and the test plugins."""
    declared = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]["entry-points"]["govern.checks"]
    site.mkdir(parents=True, exist_ok=True)
    (site / "govern_test_plugins.py").write_text(PLUGINS)
    info = site / "govern_custom_checks_test-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: govern-custom-checks-test\nVersion: 0.0.0\n")
    lines = [f"{name} = {value}" for name, value in declared.items()]
    lines += [f"{name} = govern_test_plugins:{name}" for name in ("raises", "not_a_mapping", "nan", "escapes",
                                                                  "verdict")]
    (info / "entry_points.txt").write_text("[govern.checks]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))


CHECKS = [
    {"id": "calibrated", "kind": "custom", "params": {"entry_point": "calibration_error", "options": {"bins": 5}},
     "condition": "result.ece <= 0.05"},
    {"id": "calibrated_strict", "kind": "custom",
     "params": {"entry_point": "calibration_error", "options": {"bins": 5}}, "condition": "result.ece <= 0.001"},
    {"id": "raises", "kind": "custom", "params": {"entry_point": "raises"}, "condition": "result.x == 1"},
    {"id": "not_a_mapping", "kind": "custom", "params": {"entry_point": "not_a_mapping"},
     "condition": "result.x == 1"},
    {"id": "nan", "kind": "custom", "params": {"entry_point": "nan"}, "condition": "result.score > 0"},
    {"id": "escapes", "kind": "custom", "params": {"entry_point": "escapes"}, "condition": "result.size > 0"},
    {"id": "verdict", "kind": "custom", "params": {"entry_point": "verdict"}},
]


def _pack(tmp_path: Path, checks: list[dict]) -> Path:
    return pack_with_checks(tmp_path, checks)


def _evidence(tmp_path: Path) -> Path:
    evidence = tmp_path / "evidence"
    (evidence / "data").mkdir(parents=True)
    (evidence / "notes").mkdir()
    (evidence / "model_card.md").write_text("---\nname: synthetic\n---\n# Synthetic\n")
    # scores 0.1 / 0.9, each bin's observed rate exactly its score except one flipped label
    rows = ["score,y_true"] + ["0.1,1"] + ["0.1,0"] * 9 + ["0.9,1"] * 8 + ["0.9,0"] * 2
    (evidence / "data" / "predictions.csv").write_text("\n".join(rows) + "\n")
    (evidence / "notes" / "review.txt").write_text("reviewed and approved by the validation team\n")
    (tmp_path / "outside.txt").write_text("not evidence\n")
    return evidence


@pytest.fixture()
def results(tmp_path, monkeypatch):
    _register(tmp_path / "site", monkeypatch)
    pack = _pack(tmp_path, CHECKS)
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    decision = check(policy, use_case, _evidence(tmp_path), target="validation", as_of=AS_OF)
    return {c.id: c for c in decision.checks}


def test_the_example_package_measures_and_its_condition_judges(results):
    # bin [0,0.2): 10 rows, mean score 0.1, observed 0.1; bin [0.8,1]: 10 rows, 0.9 vs 0.8 → ECE 0.05
    passed, failed = results["calibrated"], results["calibrated_strict"]
    assert passed.status == "passed", passed.message
    assert passed.measured["ece"] == pytest.approx(0.05) and passed.measured["n"] == 20
    assert failed.status == "failed"
    # the file the plugin read is in the result, with its digest
    assert [e.path for e in passed.evidence] == ["data/predictions.csv"]
    assert len(passed.evidence[0].sha256) == 64


def test_a_plugin_that_raises_is_an_error_never_a_pass(results):
    got = results["raises"]
    assert got.status == "error"
    assert "RuntimeError: model server unreachable" in got.message


@pytest.mark.parametrize("check_id, expected", [
    ("not_a_mapping", "returned float, expected a mapping"),
    ("nan", "non-finite number (nan) at `result.score`"),
])
def test_a_result_that_is_not_plain_finite_data_is_an_error(results, check_id, expected):
    assert results[check_id].status == "error"
    assert expected in results[check_id].message


def test_the_reader_is_confined_to_the_bundle(results):
    got = results["escapes"]
    assert got.status == "error"
    assert "climbs out with `..`" in got.message and "not evidence" not in str(got.measured)


def test_a_measurement_with_its_own_verdict_needs_no_condition(results):
    got = results["verdict"]
    assert got.status == "passed" and got.measured == {"words": 7}
    assert [e.path for e in got.evidence] == ["notes/review.txt"]


def test_a_missing_entry_point_stops_before_evaluation_with_the_check_named(tmp_path, monkeypatch):
    _register(tmp_path / "site", monkeypatch)
    pack = _pack(tmp_path, [{"id": "fancy", "kind": "custom", "params": {"entry_point": "no_such_check"},
                             "condition": "result.x == 1"}])
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    with pytest.raises(InputError) as err:
        check(policy, use_case, _evidence(tmp_path), target="validation", as_of=AS_OF)
    diagnostic = err.value.diagnostics[0]
    assert diagnostic.code == "custom-check-missing"
    assert "`fancy`" in diagnostic.message and "`no_such_check`" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.file.endswith("high.yaml")
    assert "calibration_error" in (diagnostic.hint or "")  # what is installed


def test_a_missing_entry_point_at_run_time_is_an_error_result(tmp_path, monkeypatch):
    """Uninstalled between planning and running (or called directly): still `error`, with the name."""
    from govern.checks.custom import load_entry_point

    monkeypatch.setattr(sys, "path", [p for p in sys.path if "custom-check" not in p])
    with pytest.raises(InputError) as err:
        load_entry_point("no_such_check_anywhere")
    assert "no `govern.checks` entry point named `no_such_check_anywhere`" in err.value.diagnostics[0].message


def test_a_custom_check_without_an_entry_point_does_not_load(tmp_path):
    pack = _pack(tmp_path, [{"id": "fancy", "kind": "custom", "params": {"options": {}},
                             "condition": "result.x == 1"}])
    with pytest.raises(PolicyError) as err:
        govern.load_policy(pack)
    assert any(d.code == "missing-check-param" and "params.entry_point" in d.message
               for d in err.value.diagnostics)
