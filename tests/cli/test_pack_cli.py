"""Pack-facing commands say exactly what is wrong and where: validate (with the pack's tests), schema --policy, plan -f dot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.cli.test_cli import CREDIT, MINI, ROOT, govern


@pytest.fixture
def pack(tmp_path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


BROKEN_TESTS = """\
cases:
  - name: a fact name with a typo
    facts: {domian: credit, purpose: credit_scoring}
    expect: {tier: high}
  - name: expectations with typos
    facts: {purpose: social_scoring}
    expect: {tier: prohibitd, fired: [social-scorin], gates: [deploymnt]}
"""


def test_validate_reports_every_error_of_the_pack_tests(pack):
    (pack / "tests" / "broken.yaml").write_text(BROKEN_TESTS)
    result = govern("validate", str(pack), cwd=pack.parent)
    assert result.returncode == 2, result.stdout
    assert "mini/tests/broken.yaml:3:13: error[unknown-fact]: `domian` is not a fact" in result.stderr
    assert "mini/tests/broken.yaml:7:20: error[unknown-tier]: expected tier `prohibitd`" in result.stderr
    assert "mini/tests/broken.yaml:7:39: error[unknown-rule]: expected rule `social-scorin`" in result.stderr
    assert "mini/tests/broken.yaml:7:63: error[unknown-stage]: expected gate `deploymnt`" in result.stderr
    assert "did you mean `deployment`?" in result.stderr and "govern: 4 errors" in result.stderr
    as_json = govern("validate", str(pack), "-f", "json", cwd=pack.parent)
    assert as_json.returncode == 2 and len(json.loads(as_json.stdout)["errors"]) == 4


def test_validate_reports_malformed_test_files_and_names_of_requirements(pack):
    (pack / "tests" / "shape.yaml").write_text("cases:\n  - name: x\n    facts: {}\n    expected: {tier: high}\n")
    (pack / "tests" / "names.yaml").write_text(
        "cases:\n  - name: y\n    use_case: ../use_cases/credit.yaml\n"
        "    expect: {tier: high, checks: [validation.acu], signoffs: [production.validatr], "
        "documents: [validation.modelcard]}\n")
    result = govern("validate", str(pack), cwd=pack.parent)
    assert result.returncode == 2
    assert "mini/tests/shape.yaml:4:5: error[unknown-key]: unknown key `expected`" in result.stderr
    assert "error[unknown-check]: expected check `validation.acu`" in result.stderr
    assert "did you mean `validation.auc`?" in result.stderr
    assert "error[unknown-signoff]: expected sign-off `production.validatr`" in result.stderr
    assert "error[unknown-document]: expected document `validation.modelcard`" in result.stderr


def test_validate_counts_test_cases_and_a_pack_without_tests_is_still_valid(pack):
    result = govern("validate", str(pack), "-f", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["test_cases"] == 6
    shutil.rmtree(pack / "tests")
    assert govern("validate", str(pack)).returncode == 0
    assert govern("test", str(pack)).returncode == 2  # running tests needs some


def test_shipped_packs_validate_with_their_tests():
    for folder in sorted((ROOT / "policies").iterdir()):
        result = govern("validate", str(folder), "-f", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["test_cases"] > 0


def _load(path: Path):
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


@pytest.mark.parametrize("folder", sorted(p.name for p in (ROOT / "policies").iterdir()) + ["mini"])
def test_schema_with_policy_accepts_the_pack_own_templates_and_tests(folder):
    import jsonschema

    root = MINI if folder == "mini" else ROOT / "policies" / folder
    for kind, pattern in (("template", "templates/*.yaml"), ("tests", "tests/*.yaml")):
        result = govern("schema", kind, "--policy", str(root))
        assert result.returncode == 0, result.stderr
        schema = json.loads(result.stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        for path in sorted(root.glob(pattern)):
            jsonschema.validate(_load(path), schema)


def _errors(schema: dict, data) -> list[str]:
    import jsonschema

    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in jsonschema.Draft202012Validator(schema).iter_errors(data))


def test_schema_with_policy_flags_misspelt_kinds_roles_stages_and_expectations():
    template = json.loads(govern("schema", "template", "--policy", str(MINI)).stdout)
    data = _load(MINI / "templates" / "high.yaml")
    data["stages"][1]["gate"]["checks"][0]["kind"] = "fairnes"
    data["stages"][2]["gate"]["signoffs"][0]["role"] = "validater"
    data["stages"][2]["gate"]["signoffs"][0]["distinct_from"] = ["risk_oficer"]
    data["stages"][2]["raci"]["buisness_owner"] = "A"
    data["stages"][3]["after"] = ["productoin"]
    errors = _errors(template, data)
    assert len(errors) == 5, errors
    assert any(e.startswith("stages/1/gate/checks/0/kind: 'fairnes' is not one of") for e in errors)
    assert any(e.startswith("stages/2/gate/signoffs/0/role: 'validater' is not one of") for e in errors)
    assert "stages/3/after: ['productoin'] is not valid under any of the given schemas" in errors

    tests = json.loads(govern("schema", "tests", "--policy", str(MINI)).stdout)
    case = {"name": "x", "facts": {"domian": "credit", "purpose": "social_scoring"},
            "expect": {"tier": "prohibitd", "fired": ["social-scorin"], "checks": ["validation.acu"]}}
    errors = _errors(tests, {"cases": [case]})
    assert len(errors) == 4, errors
    assert any("'domian' was unexpected" in e for e in errors)
    assert any(e.startswith("cases/0/expect/tier: 'prohibitd' is not one of") for e in errors)


def test_schema_without_policy_stays_generic():
    template = json.loads(govern("schema", "template").stdout)
    assert "enum" not in template["$defs"]["CheckSpec"]["properties"]["kind"]
    tests = json.loads(govern("schema", "tests").stdout)
    assert "enum" not in tests["$defs"]["Expectation"]["properties"]["tier"]
    refused = govern("schema", "facts", "--policy", str(MINI))
    assert refused.returncode == 2 and "--policy does not apply" in refused.stderr


def _dot_labels(dot: str) -> list[list[str]]:
    import re

    return [label.split("\\l")[:-1] for label in re.findall(r'\[label="((?:[^"\\]|\\.)*)"\]', dot)]


def test_plan_dot_wraps_long_labels_and_lays_out_long_chains_top_to_bottom():
    wide = govern("plan", str(ROOT / "examples" / "credit-risk" / "use_case.yaml"), "-p",
                  str(ROOT / "policies" / "eu-ai-act"), "-f", "dot")
    assert wide.returncode == 0, wide.stderr
    assert "  rankdir=TB;" in wide.stdout  # five gates in a row
    labels = _dot_labels(wide.stdout)
    assert len(labels) == 5 and all(len(line) <= 48 for label in labels for line in label)
    flat = " ".join(" ".join(line.strip() for line in label) for label in labels)
    assert "model.retention_years >= params.documentation_retention_years and" in flat  # wrapped, not cut

    narrow = govern("plan", str(CREDIT), "-p", str(MINI), "-f", "dot")
    assert "  rankdir=LR;" in narrow.stdout  # four gates still fit left to right
