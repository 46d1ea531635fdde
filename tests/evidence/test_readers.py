"""Readers of what ML tools write, on files the real tools produced (tests/fixtures/readers, PROVENANCE.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.evidence.bundle import EvidenceBundle
from govern.evidence.lineage import lineage_from_bundle
from govern.evidence.lineage_graph import pii_without_anonymisation, unregistered_training_inputs
from govern.evidence.model_card import load_model_card
from govern.evidence.readers.dvc import load_dvc
from govern.evidence.readers.huggingface import card_metrics
from govern.evidence.readers.suites import load_suite_results

from .conftest import write_tree

READERS = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
CARD = READERS / "huggingface" / "README.md"


def _codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


# -- Hugging Face ------------------------------------------------------------------------------
def test_hub_card_results_become_metrics_at_both_addresses():
    metrics = card_metrics(load_model_card(CARD))
    assert metrics.number("test.roc_auc") == 0.7502
    assert metrics.number("test.accuracy") == 0.7433
    assert metrics.number(("datasets", "german-credit", "test", "f1")) == 0.8262
    assert metrics.number('datasets."german-credit".validation.roc_auc') == metrics.data["validation"]["roc_auc"]
    assert metrics.file == CARD.as_posix()


def test_a_bad_value_in_the_card_is_reported_at_its_line(tmp_path):
    text = CARD.read_text().replace("value: 0.7433", "value: 74.33")
    (tmp_path / "README.md").write_text(text)
    with pytest.raises(InputError) as exc:
        card_metrics(load_model_card(tmp_path / "README.md"))
    (diag,) = exc.value.diagnostics
    assert diag.code == "metrics-out-of-range" and "0.7433, not 74.33" in diag.hint
    assert text.splitlines()[diag.span.line - 1].strip() == "value: 74.33"


def test_two_datasets_with_one_split_have_no_short_address(tmp_path):
    card = ("---\nmodel-index:\n- name: m\n  results:\n"
            "  - dataset: {type: german-credit, split: test}\n    metrics: [{type: accuracy, value: 0.74}]\n"
            "  - dataset: {type: taiwan-credit, config: v2, split: test}\n    metrics: [{type: accuracy, value: 0.81}]\n"
            "---\n# Card\n")
    (tmp_path / "README.md").write_text(card)
    metrics = card_metrics(load_model_card(tmp_path / "README.md"))
    assert "test" not in metrics.data  # which dataset's accuracy would `metrics.test.accuracy` be? neither
    assert metrics.lookup(("datasets", "taiwan-credit:v2", "test", "accuracy")) == 0.81


def test_a_malformed_model_index_names_the_place(tmp_path):
    card = "---\nmodel-index:\n- name: m\n  results:\n  - dataset: {name: no type}\n    metrics: []\n---\n"
    (tmp_path / "README.md").write_text(card)
    with pytest.raises(InputError) as exc:
        card_metrics(load_model_card(tmp_path / "README.md"))
    (diag,) = exc.value.diagnostics
    assert diag.code == "model-index-invalid" and "dataset.type" in diag.message and diag.span.line == 5


def test_readme_is_the_model_card_unless_another_file_is(tmp_path):
    shutil.copy(CARD, tmp_path / "README.md")
    assert EvidenceBundle.open(tmp_path).file("model_card").path == "README.md"
    (tmp_path / "model_card.md").write_text("---\nname: x\n---\n# x\n")
    bundle = EvidenceBundle.open(tmp_path)
    assert bundle.file("model_card").path == "model_card.md"
    assert bundle.file("README.md").role == "other"


# -- validation suites -------------------------------------------------------------------------
@pytest.mark.parametrize("path, name, tool, counts, failing", [
    ("great_expectations/credit_schema.json", "credit_schema", "great_expectations",
     {"passed": 8, "failed": 0}, []),
    ("great_expectations/credit_ranges.json", "credit_ranges", "great_expectations", {"passed": 2, "failed": 2},
     ["expect_column_values_to_be_between(age_in_years)", "expect_column_values_to_be_in_set(foreign_worker)"]),
    ("evidently/test_suite.json", "test_suite", "evidently", {"passed": 4, "failed": 1},
     ["Number of Drifted Features"]),
    ("deepchecks/data_integrity.json", "Data Integrity Suite", "deepchecks", {"passed": 10, "not_run": 1}, []),
    ("deepchecks/train_test_validation.json", "Train Test Validation Suite", "deepchecks",
     {"failed": 1, "not_run": 3}, ["Feature Label Correlation Change: Train-Test features' Predictive Power Score "
                                   "difference is less than 0.2"]),
])
def test_each_tool_format_is_read(path, name, tool, counts, failing):
    suite = load_suite_results(READERS / path)
    assert (suite.name, suite.tool) == (name, tool)
    got = suite.counts()
    assert {k: got[k] for k in counts} == counts
    assert [t.name for t in suite.with_outcome("failed", "error")] == failing


def test_evidently_report_with_tests():
    suite = load_suite_results(READERS / "evidently" / "report.json")
    assert suite.tool == "evidently" and suite.tool_success is None
    failed = suite.with_outcome("failed")
    assert len(suite.tests) == 122 and len(failed) == 9
    assert any(t.name.startswith("Value Drift for column purpose") for t in failed)
    assert all(t.detail for t in failed)


def test_an_unknown_json_is_refused_with_what_was_expected(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"accuracy": 0.9}))
    with pytest.raises(InputError) as exc:
        load_suite_results(tmp_path / "x.json")
    assert _codes(exc) == ["suite-results-unknown"]
    assert "Great Expectations" in exc.value.diagnostics[0].hint


def test_an_unknown_status_is_an_error_at_its_line(tmp_path):
    data = json.loads((READERS / "evidently" / "test_suite.json").read_text())
    data["tests"][2]["status"] = "PASSED-ISH"
    (tmp_path / "e.json").write_text(json.dumps(data, indent=1))
    with pytest.raises(InputError) as exc:
        load_suite_results(tmp_path / "e.json")
    (diag,) = exc.value.diagnostics
    assert diag.code == "suite-results-invalid" and "PASSED-ISH" in diag.message
    assert "PASSED-ISH" in (diag.source_line or "")


# -- DVC ---------------------------------------------------------------------------------------
def _dvc_bundle(tmp_path: Path, **replace: str) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "pipeline").mkdir(parents=True)
    for name in ("dvc.lock", "dvc.yaml"):
        text = (READERS / "dvc" / name).read_text()
        for old, new in replace.items():
            text = text.replace(old.replace("_", " "), new)
        (bundle / "pipeline" / name).write_text(text)
    return bundle


def test_dvc_stages_deps_and_outs_become_lineage_with_hashes(tmp_path):
    bundle = EvidenceBundle.open(_dvc_bundle(tmp_path))
    assert {f.path for f in bundle.files_with_role("lineage")} == {"pipeline/dvc.lock", "pipeline/dvc.yaml"}
    graph = lineage_from_bundle(bundle)
    train = graph.nodes["job:train"]
    assert train["kind"] == "training" and train["params"] == {"params.yaml": {"train.C": 0.5, "train.seed": 7}}
    assert train["code"][0]["path"] == "pipeline/src/train.py" and train["code"][0]["digest"].startswith("md5:")
    assert graph.nodes["job:prepare"]["kind"] == "anonymisation"  # from dvc.yaml's meta.govern.kind
    raw = graph.nodes["dataset:pipeline/data/german_credit.csv"]
    assert raw["digest"] == "md5:3a686d430b756cd88b7ac073fc0fdb44" and raw["size"] == 268042
    assert graph.has_edge("dataset:pipeline/model/model.skops", "model:credit-model")
    # the raw file is the only origin: code is on the job, not an "unregistered source"
    assert unregistered_training_inputs(graph, "credit-model") == [[
        "dataset:pipeline/data/german_credit.csv", "job:prepare", "dataset:pipeline/data/train.csv", "job:train",
        "dataset:pipeline/model/model.skops", "model:credit-model"]]


def test_lineage_yaml_tags_dvc_paths(tmp_path):
    root = _dvc_bundle(tmp_path)
    write_tree(root, {"lineage.yaml": (
        "datasets:\n  - id: pipeline/data/german_credit.csv\n    registered_source: true\n"
        "    tags: {pii: true, licence: CC-BY-4.0}\n")})
    graph = lineage_from_bundle(EvidenceBundle.open(root))
    assert unregistered_training_inputs(graph, "credit-model") == []
    assert pii_without_anonymisation(graph, "credit-model") == []  # prepare is declared an anonymisation


def test_a_stage_not_in_the_lock_is_a_stale_lock(tmp_path):
    root = _dvc_bundle(tmp_path)
    lock = root / "pipeline" / "dvc.lock"
    text = lock.read_text()
    lock.write_text(text[: text.index("  evaluate:")])
    with pytest.raises(InputError) as exc:
        lineage_from_bundle(EvidenceBundle.open(root))
    (diag,) = exc.value.diagnostics
    assert diag.code == "dvc-stale-lock" and "`evaluate`" in diag.message and "dvc repro" in diag.hint
    assert diag.span.file == "pipeline/dvc.yaml" and diag.span.line > 1


def test_a_changed_command_is_a_stale_lock(tmp_path):
    root = _dvc_bundle(tmp_path)
    pipeline = root / "pipeline" / "dvc.yaml"
    pipeline.write_text(pipeline.read_text().replace("cmd: python src/train.py", "cmd: python src/train.py --fast"))
    with pytest.raises(InputError) as exc:
        lineage_from_bundle(EvidenceBundle.open(root))
    assert _codes(exc) == ["dvc-stale-lock"] and "--fast" in exc.value.diagnostics[0].message


def test_dvc_yaml_without_its_lock_is_refused(tmp_path):
    root = _dvc_bundle(tmp_path)
    (root / "pipeline" / "dvc.lock").unlink()
    with pytest.raises(InputError) as exc:
        lineage_from_bundle(EvidenceBundle.open(root))
    assert _codes(exc) == ["evidence-missing"] and "pipeline/dvc.yaml" in exc.value.diagnostics[0].message


def test_an_unknown_kind_in_dvc_yaml_is_an_error(tmp_path):
    with pytest.raises(InputError) as exc:
        load_dvc(_dvc_bundle(tmp_path, anonymisation="scrubbing") / "pipeline" / "dvc.lock",
                 tmp_path / "bundle" / "pipeline" / "dvc.yaml")
    assert _codes(exc) == ["dvc-invalid"] and "scrubbing" in exc.value.diagnostics[0].message


def test_a_lock_that_is_not_one(tmp_path):
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstage: {}\n")
    with pytest.raises(InputError) as exc:
        load_dvc(tmp_path / "dvc.lock")
    assert _codes(exc) == ["dvc-invalid"] and "stages" in exc.value.diagnostics[0].message


@pytest.mark.parametrize("path, role", [
    ("great_expectations/credit_ranges.json", "suite_results"),
    ("gx/uncommitted/validations/credit_ranges/__none__/20261127T091205Z/credit-applicants.json", "suite_results"),
    ("evidently/nightly/drift.json", "suite_results"),
    ("deepchecks/integrity.json", "suite_results"),
    ("dvc.lock", "lineage"),
    ("pipeline/dvc.yaml", "lineage"),
    ("gx/expectations/credit_ranges.json", None),  # a suite's definition is not a result
    ("great_expectations.json", None),
])
def test_conventional_paths(path, role):
    from govern.evidence.bundle import conventional_role

    assert conventional_role(path) == role
