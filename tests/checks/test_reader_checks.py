"""Checks on what the tools wrote, through the engine: `suite`, metrics from a Hub card, lineage from DVC."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

import govern
from govern.evaluate.pipeline import check
from tests.checks.minipack import pack_with_checks

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
READERS = ROOT / "tests" / "fixtures" / "readers"
AS_OF = dt.date(2026, 6, 1)


def _evaluate(tmp_path: Path, checks: list[dict], evidence: dict[str, Path | str]):
    pack = pack_with_checks(tmp_path, checks)
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    bundle = tmp_path / "evidence"
    for rel, source in evidence.items():
        target = bundle / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copy(source, target)
        else:
            target.write_text(source)
    decision = check(policy, use_case, bundle, target="validation", as_of=AS_OF)
    return {c.id: c for c in decision.checks}


SUITES = {
    "great_expectations/credit_schema.json": READERS / "great_expectations" / "credit_schema.json",
    "great_expectations/credit_ranges.json": READERS / "great_expectations" / "credit_ranges.json",
    "evidently/drift_tests.json": READERS / "evidently" / "test_suite.json",
    "deepchecks/integrity.json": READERS / "deepchecks" / "data_integrity.json",
    "deepchecks/train_test.json": READERS / "deepchecks" / "train_test_validation.json",
    "model_card.md": "---\nname: credit\n---\n# Credit\n",
}


def test_suite_check_passes_and_fails_by_the_tools_results(tmp_path):
    got = _evaluate(tmp_path, [
        {"id": "schema", "kind": "suite", "params": {"suite": "credit_schema"}},
        {"id": "ranges", "kind": "suite", "params": {"suite": "credit_ranges", "tool": "great_expectations"}},
        {"id": "drift", "kind": "suite", "params": {"suite": "drift_tests"}},
        {"id": "integrity", "kind": "suite", "params": {"suite": "Data Integrity Suite"}},
        {"id": "integrity_strict", "kind": "suite",
         "params": {"file": "deepchecks/integrity.json", "allow_not_run": False}},
        {"id": "train_test", "kind": "suite", "params": {"suite": "Train Test Validation Suite"}},
        {"id": "tolerant", "kind": "suite", "params": {"suite": "credit_ranges"},
         "condition": "result.failed <= 2"},
    ], SUITES)
    assert got["schema"].status == "passed" and got["schema"].message == \
        "suite `credit_schema` (great_expectations): 8 of 8 passed"
    ranges = got["ranges"]
    assert ranges.status == "failed"
    assert ranges.measured["failed_tests"] == ["expect_column_values_to_be_between(age_in_years)",
                                               "expect_column_values_to_be_in_set(foreign_worker)"]
    assert any("6 unexpected of 1000" in d for d in ranges.details)
    assert ranges.evidence[0].path == "great_expectations/credit_ranges.json"
    assert got["drift"].status == "failed" and got["drift"].measured["failed_tests"] == ["Number of Drifted Features"]
    assert got["integrity"].status == "passed" and "1 not run" in got["integrity"].message
    assert got["integrity_strict"].status == "failed"
    assert got["integrity_strict"].measured["failed_tests"] == ["Identifier Label Correlation"]
    assert got["train_test"].status == "failed"
    assert got["tolerant"].status == "passed"


def test_a_missing_suite_is_an_error_that_lists_the_suites_found(tmp_path):
    got = _evaluate(tmp_path, [{"id": "s", "kind": "suite", "params": {"suite": "credit_shcema"}}], SUITES)
    assert got["s"].status == "error"
    assert "no results of suite `credit_shcema`" in got["s"].message and "credit_schema" in got["s"].message


def test_a_suite_claiming_success_over_failures_is_not_believed(tmp_path):
    text = (READERS / "great_expectations" / "credit_ranges.json").read_text()
    forged = text.replace('"success": false,\n  "suite_name"', '"success": true,\n  "suite_name"')
    assert forged != text
    got = _evaluate(tmp_path, [{"id": "s", "kind": "suite", "params": {"suite": "credit_ranges"}}],
                    {"great_expectations/r.json": forged, "model_card.md": "---\nname: x\n---\n"})
    assert got["s"].status == "failed"


def test_the_suite_kind_is_declared_with_its_parameters(tmp_path):
    from govern.errors import GovernError

    with pytest.raises(GovernError) as exc:
        _evaluate(tmp_path, [{"id": "s", "kind": "suite", "params": {"suites": "credit_schema"}}], SUITES)
    assert "suites" in str(exc.value.diagnostics[0].message)


def test_metric_conditions_read_a_hub_card(tmp_path):
    got = _evaluate(tmp_path, [
        {"id": "auc", "kind": "metric", "condition": "metrics.test.roc_auc >= params.min_auc"},
        {"id": "full", "kind": "metric",
         "condition": 'metrics.datasets."german-credit".test.accuracy >= 0.8'},
        {"id": "docs", "kind": "documentation", "params": {"sections": ["Uses", "Bias, Risks, and Limitations"],
                                                           "metadata": ["license", "model-index"]}},
    ], {"README.md": READERS / "huggingface" / "README.md"})
    assert got["auc"].status == "passed" and got["auc"].measured["metrics.test.roc_auc"] == 0.7502
    assert got["auc"].evidence[0].path == "README.md"
    full = got["full"]
    assert full.status == "failed" and full.measured['metrics.datasets."german-credit".test.accuracy'] == 0.7433
    assert got["docs"].status == "passed", got["docs"].message


def test_lineage_check_reads_dvc(tmp_path):
    evidence: dict[str, Path | str] = {f"pipeline/{n}": READERS / "dvc" / n for n in ("dvc.lock", "dvc.yaml")}
    evidence["model_card.md"] = "---\nname: credit\n---\n"
    got = _evaluate(tmp_path, [{"id": "lineage", "kind": "lineage",
                                "params": {"model": "credit-model", "rules": ["registered_sources"]}}], evidence)
    lineage = got["lineage"]
    assert lineage.status == "failed"
    assert list(lineage.details) == ["training input does not reach a registered source: "
                               "dataset:pipeline/data/german_credit.csv → job:prepare → "
                               "dataset:pipeline/data/train.csv → job:train → dataset:pipeline/model/model.skops → "
                               "model:credit-model"]
    assert {e.path for e in lineage.evidence} == {"pipeline/dvc.lock", "pipeline/dvc.yaml"}


def test_from_the_command_line_a_malformed_result_is_named_and_a_listed_missing_file_is_exit_2(tmp_path):
    from tests.sign.conftest import govern

    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    template = {"stages": [{"id": "development", "raci": {"data_scientist": "A/R"}},
                           {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
                               {"id": "contract", "kind": "suite", "params": {"suite": "credit_ranges"}}]}}]}
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(template, sort_keys=False))
    evidence = tmp_path / "evidence"
    (evidence / "great_expectations").mkdir(parents=True)
    shutil.copy(READERS / "huggingface" / "README.md", evidence / "README.md")
    text = (READERS / "great_expectations" / "credit_ranges.json").read_text()
    broken = text.replace('"evaluated_expectations": 4', '"evaluated_expectations": NaN', 1)
    assert broken != text
    (evidence / "great_expectations" / "credit_ranges.json").write_text(broken)
    args = ("check", pack / "use_cases" / "credit.yaml", "-p", pack, "-e", evidence, "--target", "validation",
            "--no-store", "--as-of", "2026-06-01")
    result = govern(*args)
    assert result.code == 1
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "NaN" in x)) + 1
    assert f"great_expectations/credit_ranges.json:{line}" in result.out and "not a finite number" in result.out

    (evidence / "manifest.yaml").write_text(
        "bundle: b\nmodel: {name: credit, version: '1'}\nfiles:\n"
        "  - {path: great_expectations/credit_ranges.json, role: suite_results}\n"
        "  - {path: pipeline/dvc.lock, role: lineage}\n")
    result = govern(*args)
    assert result.code == 2 and "manifest lists `pipeline/dvc.lock`, which does not exist" in result.err
