"""The consumption-forecast example: built twice, checked with govern, numbers recomputed from the files.

Builds ``examples/consumption-forecast`` into temporary folders (~15 s each: 10 gradient-boosting
fits per build), runs ``govern.evaluate.pipeline.check`` under the example's own pack and asserts
which checks pass and fail; recomputes MAPE per region and the hierarchical incoherence from the
published CSV files; and classifies the use case under eu-ai-act (high, Annex III 2) and
mlops-template (level 4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

import govern  # noqa: E402
from govern.evaluate.pipeline import check  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "consumption-forecast"
AS_OF = dt.date(2026, 1, 15)

pytestmark = pytest.mark.slow


def _build(out: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "build_evidence.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True, timeout=600)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    first = tmp_path_factory.mktemp("cf1") / "evidence"
    second = tmp_path_factory.mktemp("cf2") / "bundle"
    _build(first)
    _build(second)
    return {"release": first, "blocked": first.with_name("evidence-blocked"),
            "release2": second, "blocked2": second.with_name("bundle-blocked")}


def _decide(bundle: Path):
    policy = govern.load_policy(EXAMPLE / "policy")
    use_case = govern.load_use_case(EXAMPLE / "use_case.yaml", policy)
    return check(policy, use_case, bundle, as_of=AS_OF)


def _statuses(decision) -> dict[str, str]:
    data = decision.to_dict()
    return {f"{g['id']}.{c['id']}": c["status"] for g in data["gates"] for c in g.get("checks", [])}


def test_builds_are_byte_identical(bundles):
    assert _digests(bundles["release"]) == _digests(bundles["release2"])
    assert _digests(bundles["blocked"]) == _digests(bundles["blocked2"])


def test_committed_bundles_match_a_fresh_build(bundles):
    """The README's outputs come from the committed bundles: they must be what the builder makes."""
    assert _digests(EXAMPLE / "evidence") == _digests(bundles["release"])
    assert _digests(EXAMPLE / "evidence-blocked") == _digests(bundles["blocked"])


def test_release_bundle_is_allowed(bundles):
    decision = _decide(bundles["release"])
    assert decision.allowed
    assert decision.tier == "operational"
    statuses = _statuses(decision)
    assert set(statuses.values()) == {"passed"}, statuses
    assert {"pre_production.mape_by_region", "pre_production.hierarchy_coherence",
            "production.production_time_p99", "production.deadline_misses"} <= set(statuses)


def test_blocked_bundle_fails_for_the_documented_reasons(bundles):
    decision = _decide(bundles["blocked"])
    assert not decision.allowed
    statuses = _statuses(decision)
    assert statuses["pre_production.mape_by_region"] == "failed"
    assert statuses["pre_production.hierarchy_coherence"] == "failed"
    assert statuses["pre_production.validation_suites"] == "failed"
    assert statuses["production.production_time_p99"] == "failed"
    assert statuses["production.deadline_misses"] == "failed"
    assert statuses["monitoring.weekly_mape"] == "warned"
    for still_fine in ("national_mape", "beats_fallback", "fallback_documented", "reproducibility"):
        assert statuses[f"pre_production.{still_fine}"] == "passed"
    # everything between the model and production: upstream failures and the blocked gate's own
    assert set(decision.determining) == {"pre_production.mape_by_region", "pre_production.hierarchy_coherence",
                                         "pre_production.validation_suites", "production.production_time_p99",
                                         "production.deadline_misses"}


def test_decision_digest_is_reproducible(bundles):
    assert _decide(bundles["release"]).digest == _decide(bundles["release2"]).digest
    assert _decide(bundles["blocked"]).digest == _decide(bundles["blocked2"]).digest
    assert _decide(bundles["release"]).digest != _decide(bundles["blocked"]).digest


@pytest.mark.parametrize("variant", ["release", "blocked"])
def test_numbers_recomputed_from_the_files(bundles, variant):
    bundle = bundles[variant]
    pred = pd.read_csv(bundle / "data/predictions.csv")
    national = pd.read_csv(bundle / "data/national.csv")
    runs = pd.read_csv(bundle / "data/forecast_runs.csv")
    metrics = json.loads((bundle / "metrics.json").read_text())
    by_region = {r: float(((g.load_mw - g.forecast_mw).abs() / g.load_mw).mean()) for r, g in pred.groupby("region")}
    assert by_region == pytest.approx(metrics["test"]["mape_by_region"], rel=1e-12)
    # govern's performance_by_group (sklearn's MAPE) agrees with the pandas figure
    decision = _decide(bundle).to_dict()
    measured = next(c for g in decision["gates"] for c in g.get("checks", []) if c["id"] == "mape_by_region")["measured"]
    assert measured["worst"] == pytest.approx(max(by_region.values()), rel=1e-9)
    assert measured["worst_group"] == max(by_region, key=by_region.get)
    # hierarchy: |national - sum of regional forecasts| per hour
    regional_sum = pred.groupby("timestamp").forecast_mw.sum().reindex(national.timestamp).to_numpy()
    incoherence = (national.forecast_mw.to_numpy() - regional_sum)
    assert abs(incoherence).max() == pytest.approx(metrics["hierarchy"]["max_abs_incoherence"], abs=1e-9)
    # deadline: late runs are exactly the ones published as fallback
    late = runs.production_ms > 3_600_000
    assert (runs.published[late] == "fallback").all() and (runs.published[~late] == "primary").all()
    assert int(late.sum()) == metrics["deadline"]["late_runs"]


def test_release_and_blocked_numbers(bundles):
    release = json.loads((bundles["release"] / "metrics.json").read_text())
    blocked = json.loads((bundles["blocked"] / "metrics.json").read_text())
    assert release["test"]["worst_region_mape"] < 0.05 < blocked["test"]["mape_by_region"]["north"]
    assert [r for r, v in blocked["test"]["mape_by_region"].items() if v > 0.05] == ["north"]
    assert release["hierarchy"]["max_abs_incoherence"] <= 0.5 < blocked["hierarchy"]["max_abs_incoherence"]
    assert release["deadline"]["late_runs"] == 0 < blocked["deadline"]["late_runs"]
    # the fallback is worse than the model in every region for the release candidate
    assert all(release["test"]["mape_by_region"][r] < release["fallback"]["mape_by_region"][r]
               for r in release["test"]["mape_by_region"])


@pytest.mark.parametrize(("descriptor", "pack", "tier"), [
    ("use_case.yaml", "examples/consumption-forecast/policy", "operational"),
    ("use_case.eu-ai-act.yaml", "policies/eu-ai-act", "high"),
    ("use_case.mlops-template.yaml", "policies/mlops-template", "level_4"),
])
def test_classification(descriptor, pack, tier):
    policy = govern.load_policy(ROOT / pack)
    use_case = govern.load_use_case(EXAMPLE / descriptor, policy)
    result = govern.classify(policy, use_case)
    assert result.tier == tier


def test_example_pack_tests_pass_with_full_coverage():
    proc = subprocess.run([sys.executable, "-m", "govern", "test", str(EXAMPLE / "policy"), "--min-coverage", "100"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
