"""docs/packs.md stays true: its examples form a pack that loads and whose cases pass, and it
names every key of every file format."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from govern.load.pack import load_policy
from govern.load.safe_yaml import load_yaml_text
from govern.load.use_case import Descriptor, ModelRef, use_case_from_text
from govern.load.validation import validate_document
from govern.packtest import run_pack_tests
from govern.policy import model

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "packs.md").read_text()
MINI = ROOT / "tests" / "golden" / "mini"


def _blocks() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
    names = ["policy", "facts", "template", "tests", "use_case"]
    assert len(blocks) == len(names)
    return dict(zip(names, blocks))


def test_the_examples_are_a_pack_that_loads_and_whose_cases_pass(tmp_path):
    blocks = _blocks()
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    (pack / "policy.yaml").write_text(blocks["policy"])
    (pack / "templates" / "high.yaml").write_text(blocks["template"])
    (pack / "tests" / "cases.yaml").write_text(blocks["tests"])
    policy = load_policy(pack)
    assert policy.manifest.max_waiver_days == 180
    run = run_pack_tests(policy)
    assert run.failed == 0 and len(run.cases) == 3, [c.differences for c in run.cases if not c.passed]
    use_case = use_case_from_text(blocks["use_case"], policy.facts)
    assert use_case.id == "consumer-credit"
    facts, problems = validate_document(load_yaml_text(blocks["facts"], "facts.yaml"), model.FactsFile)
    assert facts is not None and not problems
    for name, fact in facts.facts.items():  # an excerpt of the pack's questionnaire, not a variant of it
        assert fact.type == policy.facts[name].type and fact.values == policy.facts[name].values


@pytest.mark.parametrize("shape", [
    model.Manifest, model.TierDef, model.RoleDef, model.PersonDef, model.FactDef, model.Template, model.StageSpec,
    model.GateSpec, model.CheckSpec, model.SignoffSpec, model.DocumentSpec, model.PackTestFile, model.PackTestCase,
    model.Expectation, Descriptor, ModelRef,
], ids=lambda shape: shape.__name__)
def test_every_key_is_documented(shape):
    missing = [name for name in shape.model_fields if f"`{name}`" not in DOC]
    assert not missing, f"docs/packs.md does not mention {shape.__name__} keys {missing}"
