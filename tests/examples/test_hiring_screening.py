"""The hiring-screening example: LL144 impact ratios from govern equal a direct computation.

Builds ``examples/hiring-screening`` twice (~3 s each), runs ``govern.evaluate.pipeline.check``
under ``policies/nyc-ll144`` and ``policies/eu-ai-act``, and asserts: the tiers (aedt; high via
Annex III 4(a)); which checks pass / warn / are pending; that every selection-rate and
scoring-rate impact ratio govern reports equals a pandas computation on ``data/predictions.csv``
and fairlearn's ``selection_rate`` per group; that small groups are reported as too small for the
four-fifths warning; and that builds and decision digests are reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

import govern  # noqa: E402
from govern.evaluate.pipeline import check  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hiring-screening"
AS_OF = dt.date(2026, 2, 16)
pytestmark = pytest.mark.slow
LL144_RACE = {"Hispanic or Latino", "White", "Black or African American", "Native Hawaiian or Pacific Islander",
              "Asian", "Native American or Alaska Native", "Two or More Races"}


def _build(out: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "build_evidence.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True, timeout=300)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("hs1") / "evidence"
    second = tmp_path_factory.mktemp("hs2") / "bundle"
    _build(first)
    _build(second)
    return first, second


def _decide(bundle: Path, pack: str, descriptor: str, target: str | None = None):
    policy = govern.load_policy(ROOT / "policies" / pack)
    use_case = govern.load_use_case(EXAMPLE / descriptor, policy)
    return check(policy, use_case, bundle, as_of=AS_OF, target=target)


def _checks(decision) -> dict[str, dict]:
    data = decision.to_dict()
    return {f"{g['id']}.{c['id']}": c for g in data["gates"] for c in g.get("checks", [])}


@pytest.fixture(scope="module")
def ll144(bundles):
    return _decide(bundles[0], "nyc-ll144", "use_case.nyc-ll144.yaml")


def test_builds_are_byte_identical_and_match_the_committed_bundle(bundles):
    assert _digests(bundles[0]) == _digests(bundles[1])
    assert _digests(EXAMPLE / "evidence") == _digests(bundles[0])


def test_categories_are_the_laws(bundles):
    pred = pd.read_csv(bundles[0] / "data/predictions.csv")
    assert set(pred.sex) == {"Male", "Female"}
    assert set(pred.race_ethnicity) == LL144_RACE


def test_ll144_outcome(ll144):
    assert ll144.tier == "aedt"
    assert not ll144.allowed  # only because people have not acted yet: nothing in the evidence blocks
    # legal/compliance has not registered the tool as an AEDT, the independent auditor has not signed,
    # and the later gate's own sign-offs still stand in the way
    assert list(ll144.determining)[:2] == ["intake.registration", "publication.signoff:independent_auditor"]
    assert all(".signoff:" in item or item.endswith(".registration") for item in ll144.determining)
    gates = {g["id"]: g["status"] for g in ll144.to_dict()["gates"]}
    assert gates == {"intake": "error", "bias_audit": "blocked", "publication": "blocked", "use": "blocked"}
    registration = ll144.to_dict()["gates"][0]["checks"][0]
    assert registration["status"] == "error" and "legal_compliance" in registration["message"]
    status = {k: v["status"] for k, v in _checks(ll144).items()}
    assert status["publication.impact_ratios_selection_rate"] == "passed"
    assert status["publication.impact_ratios_scoring_rate"] == "passed"
    assert status["publication.four_fifths_selection_rate"] == "warned"
    assert status["publication.four_fifths_scoring_rate"] == "warned"
    assert status["publication.audit_record"] == "passed"
    assert status["use.bias_audit_current"] == "passed"
    assert status["use.candidate_notice_lead_time"] == "passed"
    assert status["bias_audit.test_data_explanation"] == "passed"


def _direct(pred: pd.DataFrame, rate: str) -> dict[tuple[str, ...], dict[str, tuple[int, float, float]]]:
    """(attributes) → {group label: (n, rate, impact ratio)} computed with pandas, every category kept."""
    flag = pred.selected if rate == "selection" else (pred.score > pred.score.median()).astype(int)
    work = pred.assign(flag=flag)
    out = {}
    for attrs in (("sex",), ("race_ethnicity",), ("sex", "race_ethnicity")):
        g = work.groupby(list(attrs)).flag.agg(["size", "mean"])
        top = g["mean"].max()
        out[attrs] = {(" & ".join(k) if isinstance(k, tuple) else k): (int(r["size"]), float(r["mean"]), float(r["mean"] / top))
                      for k, r in g.iterrows()}
    return out


@pytest.mark.parametrize("rate", ["selection", "scoring"])
def test_impact_ratios_equal_a_direct_computation(bundles, ll144, rate):
    pred = pd.read_csv(bundles[0] / "data/predictions.csv")
    expected = _direct(pred, rate)
    measured = _checks(ll144)[f"publication.impact_ratios_{rate}_rate"]["measured"]
    assert measured["rate"] == rate
    assert measured["too_small"] == []  # min_group_size 1: every category assessed
    seen = set()
    for grouping in measured["groupings"]:
        attrs = tuple(grouping["attributes"])
        seen.add(attrs)
        for group in grouping["groups"]:
            n, r, ir = expected[attrs][group["label"]]
            assert group["n"] == n
            assert group["selection_rate"] == pytest.approx(r, abs=1e-12)
            assert group["impact_ratio"] == pytest.approx(ir, abs=1e-12)
    assert seen == set(expected)
    assert measured["min_impact_ratio"] == pytest.approx(
        min(ir for groups in expected.values() for _, _, ir in groups.values()), abs=1e-12)


def test_selection_rates_equal_fairlearn(bundles, ll144):
    fairlearn = pytest.importorskip("fairlearn.metrics")
    pred = pd.read_csv(bundles[0] / "data/predictions.csv")
    measured = _checks(ll144)["publication.impact_ratios_selection_rate"]["measured"]
    for grouping in measured["groupings"]:
        attrs = list(grouping["attributes"])
        frame = fairlearn.MetricFrame(metrics=fairlearn.selection_rate, y_true=pred.qualified, y_pred=pred.selected,
                                      sensitive_features=pred[attrs])
        by_group = frame.by_group
        for group in grouping["groups"]:
            key = tuple(group["group"][a] for a in attrs)
            value = by_group.loc[key if len(key) > 1 else key[0]]
            assert group["selection_rate"] == pytest.approx(float(value), abs=1e-12)
        if len(attrs) == 1:
            assert frame.ratio() == pytest.approx(
                min(g["impact_ratio"] for g in grouping["groups"]), abs=1e-12)


def test_four_fifths_reports_small_groups(bundles, ll144):
    pred = pd.read_csv(bundles[0] / "data/predictions.csv")
    measured = _checks(ll144)["publication.four_fifths_selection_rate"]["measured"]
    sizes = pred.groupby(["sex", "race_ethnicity"]).size()
    small = {f"{s} & {r}" for (s, r), n in sizes.items() if n < 30}
    small |= {r for r, n in pred.groupby("race_ethnicity").size().items() if n < 30}
    assert set(measured["too_small"]) == small
    assert measured["min_impact_ratio"] < 0.8


def test_eu_ai_act_is_high_and_the_bias_examination_blocks(bundles):
    decision = _decide(bundles[0], "eu-ai-act", "use_case.eu-ai-act.yaml", target="pre_production")
    assert decision.tier == "high"
    assert not decision.allowed
    checks = _checks(decision)
    assert checks["pre_production.bias_examination"]["status"] == "failed"  # four-fifths as a block there
    assert checks["pre_production.bias_examination"]["measured"]["min_impact_ratio"] < 0.8


def test_decision_digest_is_reproducible(bundles):
    a = _decide(bundles[0], "nyc-ll144", "use_case.nyc-ll144.yaml").digest
    b = _decide(bundles[1], "nyc-ll144", "use_case.nyc-ll144.yaml").digest
    assert a == b
