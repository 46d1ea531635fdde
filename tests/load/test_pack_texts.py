"""The shipped packs say what their texts say (issue 17 §4): help texts and requirements, with citations."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import govern
from govern.errors import PolicyError

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"


def test_eu_ai_act_emotion_recognition_help_follows_recital_18():
    facts = govern.load_policy(POLICIES / "eu-ai-act").facts
    for fact, value in (("annex_iii_uses", "emotion_recognition"), ("art5_practices", "emotion_inference_work_education")):
        text = facts[fact].value_help[value]
        assert "Recital 18" in text and "fatigue" in text, (fact, text)
    # fatigue detection needs no medical/safety carve-out: it is not emotion recognition at all
    carve_out = facts["excepted_purposes"].value_help["medical_or_safety_reasons"]
    assert "pilot fatigue" not in carve_out and "Recital 18" in carve_out


def test_eu_ai_act_5b_5c_read_whom_the_system_evaluates():
    policy = govern.load_policy(POLICIES / "eu-ai-act")
    rules = {r.rule.id: r for r in policy.rules}
    for rule_id in ("annex-iii-5b-creditworthiness", "annex-iii-5c-life-health-insurance"):
        assert "use_case.assesses_natural_persons" in rules[rule_id].reads
        assert "use_case.affects_natural_persons" not in rules[rule_id].reads
    assert "natural persons" in policy.facts["assesses_natural_persons"].question


def test_bank_mrm_names_the_senior_manager_accountable_for_the_framework():
    policy = govern.load_policy(POLICIES / "bank-mrm")
    role = policy.manifest.roles["mrm_accountable_smf"]
    assert role.min_holders == 1
    assert [p.id for p in policy.manifest.people if "mrm_accountable_smf" in p.roles]


def test_a_bank_pack_without_the_accountable_senior_manager_does_not_load(tmp_path):
    """PRA SS1/23 Principle 2: the SMF is a named person; removing them is a load error at the role."""
    pack = tmp_path / "bank-mrm"
    shutil.copytree(POLICIES / "bank-mrm", pack)
    manifest = pack / "policy.yaml"
    text, n = re.subn(r"(?m)^  - \{id: sofia.*\n", "", manifest.read_text())
    assert n == 1
    manifest.write_text(text)
    with pytest.raises(PolicyError) as err:
        govern.load_policy(pack)
    (d,) = [d for d in err.value.diagnostics if d.code == "role-unheld"]
    assert "`mrm_accountable_smf` needs at least 1 named holder" in d.message
    assert d.span.file.endswith("policy.yaml") and text.splitlines()[d.span.line - 1].strip().startswith(
        "mrm_accountable_smf:")


@pytest.mark.parametrize("tier", ["tier_1", "tier_2", "tier_3"])
def test_bank_mrm_reviews_every_tier_at_least_annually(tier):
    policy = govern.load_policy(POLICIES / "bank-mrm")
    stage = next(s for s in policy.templates[tier].stages if s.id == "periodic_review")
    check = next(c for c in stage.gate.checks if c.id == "annual_review_current")
    assert check.citation.startswith("SR 11-7 §V") and not check.waivable
    assert policy.manifest.parameters["periodic_review_max_days"] == 365
    assert all(s.valid_for == "params.periodic_review_max_days" for s in stage.gate.signoffs)
    for other in policy.templates[tier].stages:  # periodic review and vendor products are §V, not §VI
        for item in [*other.gate.checks, *other.gate.documents]:
            assert not re.search(r"§VI \((periodic review|vendor)", item.citation or ""), item.id
