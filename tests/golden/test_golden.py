"""Golden tests: the mini pack classifies and plans its use cases exactly as recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import govern
from govern.classification import tier_of
from govern.load.use_case import use_case_from_facts
from govern.packtest import run_pack_tests

HERE = Path(__file__).parent
PACK = HERE / "mini"
AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def policy():
    return govern.load_policy(PACK)


def test_pack_tests_pass_with_full_coverage(policy):
    run = run_pack_tests(policy)
    assert run.failed == 0, [c.differences for c in run.cases if not c.passed]
    assert run.coverage == 100.0


def _golden(name: str, data: dict) -> None:
    path = HERE / "expected" / name
    if not path.exists():  # first run writes the snapshot; review it before committing
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    assert data == json.loads(path.read_text())


def test_credit_classification_and_explanation(policy):
    use_case = govern.load_use_case(PACK / "use_cases" / "credit.yaml", policy)
    result = govern.classify(policy, use_case, AS_OF)
    _golden("credit.classify.json", json.loads(json.dumps(result.to_dict(), default=str)))
    assert result.tier == "high"
    fired = {o.rule_id: o for o in result.relevant}
    assert fired["credit-scoring"].reads["use_case.domain"] == "credit"
    assert fired["credit-scoring"].location == "rules/tiers.rules:9:1"


def test_credit_plan(policy):
    use_case = govern.load_use_case(PACK / "use_cases" / "credit.yaml", policy)
    plan = govern.compile_plan(policy, use_case, govern.classify(policy, use_case, AS_OF))
    _golden("credit.plan.json", plan.to_dict())
    assert plan.order == ["development", "validation", "production", "monitoring"]


def test_applicability_drops_a_check_when_false(policy):
    use_case = use_case_from_facts({"domain": "credit", "purpose": "credit_scoring", "affects_individuals": True,
                                    "audience": "internal_few"}, policy.facts)
    plan = govern.compile_plan(policy, use_case, govern.classify(policy, use_case, AS_OF))
    assert [c.id for c in plan.gates["production"].checks] == ["validation_suites"]


def test_prohibited_tier_compiles_to_a_forbidden_gate(policy):
    use_case = use_case_from_facts({"purpose": "social_scoring"}, policy.facts)
    result = govern.classify(policy, use_case, AS_OF)
    plan = govern.compile_plan(policy, use_case, result)
    assert result.tier == "prohibited"
    (gate,) = plan.gates.values()
    assert gate.checks[0].spec.kind == "prohibited" and not gate.checks[0].spec.waivable


def test_digests_are_stable_and_sensitive(policy, tmp_path):
    use_case = govern.load_use_case(PACK / "use_cases" / "credit.yaml", policy)
    first = govern.compile_plan(policy, use_case, govern.classify(policy, use_case, AS_OF)).digest
    again = govern.load_policy(PACK)
    assert govern.compile_plan(again, use_case, govern.classify(again, use_case, AS_OF)).digest == first
    changed = use_case_from_facts({**use_case.facts, "impact_eur": 25001}, policy.facts)
    assert govern.compile_plan(policy, changed, govern.classify(policy, changed, AS_OF)).digest != first


def test_fast_tier_agrees_with_full_classification(policy):
    import itertools

    domains = [None, "credit", "marketing"]
    purposes = ["credit_scoring", "fraud_detection", "social_scoring"]
    for domain, purpose, affects, public in itertools.product(domains, purposes, [None, True, False],
                                                              [True, False]):
        answers = {"purpose": purpose, "domain": domain, "affects_individuals": affects,
                   "audience": "public" if public else "internal_few", "impact_eur": 2e6 if public else 1}
        use_case = use_case_from_facts(answers, policy.facts)
        assert tier_of(policy, use_case.env(), AS_OF) == govern.classify(policy, use_case, AS_OF).tier
