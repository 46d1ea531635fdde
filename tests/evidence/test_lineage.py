"""Lineage graphs from YAML and OpenLineage, merged, and the three graph rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.evidence.bundle import EvidenceBundle
from govern.evidence.lineage import build_lineage, lineage_from_bundle, load_lineage_yaml
from govern.evidence.lineage_graph import (
    normalise_kind, pii_without_anonymisation, sources_without_licence, unregistered_training_inputs,
)
from govern.evidence.openlineage import load_openlineage


def yaml_graph(tmp_path: Path, text: str):
    (tmp_path / "lineage.yaml").write_text(text)
    return build_lineage([tmp_path / "lineage.yaml"])


def test_fixture_bundle_merged_graph(fixture_bundle: Path) -> None:
    g = lineage_from_bundle(EvidenceBundle.open(fixture_bundle))
    assert g.graph["files"] == ["lineage.yaml", "openlineage/train_run.json"]
    assert g.nodes["dataset:raw_applicants"]["tags"]["pii"] is True
    assert g.nodes["job:anonymise"]["kind"] == "anonymisation"
    assert g.nodes["job:airflow/credit.train"]["kind"] == "training"
    ol_input = "dataset:file//data/training_set.csv"
    assert g.nodes[ol_input]["tags"] == {"source": "warehouse", "licence": "internal-use"}
    assert g.nodes[ol_input]["schema_fields"] == ["age", "amount"]
    assert list(g.successors("job:airflow/credit.train")) == ["dataset:mlflow/models/credit-risk-gbm/1"]
    # the YAML model: clean lineage
    assert unregistered_training_inputs(g, "credit-risk-gbm") == []
    assert pii_without_anonymisation(g, "model:credit-risk-gbm") == []
    # the OpenLineage model: its input has no registered origin
    assert unregistered_training_inputs(g, "mlflow/models/credit-risk-gbm/1") == [
        [ol_input, "job:airflow/credit.train", "dataset:mlflow/models/credit-risk-gbm/1"]]
    assert sources_without_licence(g) == []


LEAKY = """
datasets:
  - {id: raw, registered_source: true, tags: {pii: true, licence: internal}}
  - {id: scraped, tags: {licence: cc-by-4.0}}
  - {id: anon}
  - {id: joined}
  - {id: bought, registered_source: true}
jobs:
  - {id: anonymise, kind: anonymization, inputs: [raw], outputs: [anon]}
  - {id: join, kind: transformation, inputs: [anon, raw, scraped, bought], outputs: [joined]}
models:
  - {id: m, trained_on: [joined]}
"""


def test_rules_report_offending_paths(tmp_path: Path) -> None:
    g = yaml_graph(tmp_path, LEAKY)
    assert pii_without_anonymisation(g, "m") == [["dataset:raw", "job:join", "dataset:joined", "model:m"]]
    assert unregistered_training_inputs(g, "m") == [["dataset:scraped", "job:join", "dataset:joined", "model:m"]]
    assert sources_without_licence(g) == [["dataset:bought"]]


def test_anonymised_pii_and_registered_intermediate(tmp_path: Path) -> None:
    g = yaml_graph(tmp_path, """
datasets:
  - {id: a, tags: {pii: true, anonymised: true, licence: x}}
  - {id: b, registered_source: true, tags: {licence: y}}
jobs:
  - {id: j, kind: ingestion, outputs: [a]}
  - {id: k, kind: transformation, inputs: [a], outputs: [b]}
models:
  - {id: m, trained_on: [a, b]}
""")
    assert pii_without_anonymisation(g, "m") == []
    # a is produced by a job with no inputs: an unregistered origin (b's upstream is the registry's concern)
    assert unregistered_training_inputs(g, "m") == [["job:j", "dataset:a", "model:m"]]


def test_cycles_without_registered_entry_are_origins(tmp_path: Path) -> None:
    g = yaml_graph(tmp_path, """
datasets: [{id: a}, {id: b}]
jobs:
  - {id: f, kind: transformation, inputs: [a], outputs: [b]}
  - {id: g, kind: transformation, inputs: [b], outputs: [a]}
models: [{id: m, trained_on: [b]}]
""")
    assert unregistered_training_inputs(g, "m") == [["dataset:a", "job:f", "dataset:b", "model:m"]]


def test_model_without_inputs_and_unknown_model(tmp_path: Path) -> None:
    g = yaml_graph(tmp_path, "datasets: [{id: a, registered_source: true}]\nmodels: [{id: m, trained_on: [a]}]\n")
    assert unregistered_training_inputs(g, "m") == []
    g.remove_edge("dataset:a", "model:m")
    assert unregistered_training_inputs(g, "m") == [["model:m"]]
    with pytest.raises(InputError) as exc:
        pii_without_anonymisation(g, "nope")
    assert exc.value.diagnostics[0].code == "lineage-model-missing"


def diags(exc: pytest.ExceptionInfo) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in exc.value.diagnostics]


def test_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "lineage.yaml").write_text("datasets:\n  - id: a\n  - id: b\n  - id: a\njobs:\n  - {id: a, kind: other}\n")
    with pytest.raises(InputError) as exc:
        load_lineage_yaml(tmp_path / "lineage.yaml")
    assert diags(exc) == [("lineage-duplicate-id", 4, 9)]


@pytest.mark.parametrize("text,expected", [
    ("datasets:\n  - {id: a, tags: {pii: 'yes'}}\n", [("lineage-invalid", 2, 25)]),
    ("jobs:\n  - {id: j, kind: cooking}\n", [("lineage-invalid", 2, 19)]),
    ("models:\n  - {id: m, trained_on: [], extra: 1}\n", [("lineage-invalid", 2, 25), ("lineage-invalid", 2, 29)]),
    ("datasets: {a: 1}\n", [("lineage-invalid", 1, 11)]),
    ("- a\n", [("lineage-invalid", 1, 1)]),
    ("datasets: [\n", [("yaml-syntax", 2, 1)]),
])
def test_schema_errors_have_positions(tmp_path: Path, text: str, expected: list) -> None:
    (tmp_path / "lineage.yaml").write_text(text)
    with pytest.raises(InputError) as exc:
        load_lineage_yaml(tmp_path / "lineage.yaml")
    assert sorted(diags(exc)) == sorted(expected)


def test_unknown_references_are_errors(tmp_path: Path) -> None:
    (tmp_path / "lineage.yaml").write_text("datasets: [{id: a}]\njobs:\n  - {id: j, kind: training, inputs: [a, b]}\n")
    with pytest.raises(InputError) as exc:
        build_lineage([tmp_path / "lineage.yaml"])
    assert diags(exc) == [("lineage-unknown-ref", 3, 41)]


def test_yaml_can_reference_and_tag_openlineage_datasets(tmp_path: Path) -> None:
    event = {"eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"},
             "job": {"namespace": "ns", "name": "etl"},
             "inputs": [{"namespace": "pg", "name": "crm.customers",
                         "facets": {"govern": {"_producer": "p", "pii": "true"}}}],
             "outputs": [{"namespace": "pg", "name": "crm.features"}]}
    (tmp_path / "events.jsonl").write_text(json.dumps(event) + "\n\n" + json.dumps(event) + "\n")
    (tmp_path / "lineage.yaml").write_text(
        "datasets: [{id: pg/crm.customers, registered_source: true, tags: {licence: internal}}]\n"
        "models: [{id: m, trained_on: [pg/crm.features]}]\n")
    g = build_lineage([tmp_path / "lineage.yaml"], [tmp_path / "events.jsonl"])
    customers = g.nodes["dataset:pg/crm.customers"]
    assert customers["registered_source"] and customers["tags"] == {"licence": "internal", "pii": True}
    assert unregistered_training_inputs(g, "m") == []
    assert pii_without_anonymisation(g, "m") == [
        ["dataset:pg/crm.customers", "job:ns/etl", "dataset:pg/crm.features", "model:m"]]


def test_failed_runs_produce_no_outputs(tmp_path: Path) -> None:
    event = {"eventType": "FAIL", "eventTime": "t", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
             "inputs": [{"namespace": "n", "name": "in"}], "outputs": [{"namespace": "n", "name": "out"}]}
    (tmp_path / "e.json").write_text(json.dumps(event))
    g = build_lineage(openlineage_sources=[tmp_path / "e.json"])
    assert "dataset:n/out" not in g and g.has_edge("dataset:n/in", "job:n/j")


def test_openlineage_schema_errors_point_into_the_file(tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(
        '[\n {"eventTime": "t", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"}},\n'
        ' {"eventTime": "t", "run": {}, "job": {"namespace": "n", "name": 5},\n'
        '  "inputs": [{"namespace": "n"}]}\n]')
    with pytest.raises(InputError) as exc:
        load_openlineage(tmp_path / "e.json")
    found = [(d.code, d.span.line, d.message.split(":")[0]) for d in exc.value.diagnostics]
    assert ("openlineage-invalid", 4, "inputs.0") in found
    assert ("openlineage-invalid", 3, "job.name") in found
    assert ("openlineage-invalid", 3, "run") in found


def test_openlineage_bad_tag_and_bad_json(tmp_path: Path) -> None:
    event = {"eventTime": "t", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
             "inputs": [{"namespace": "n", "name": "d", "facets": {"tags": {"tags": [{"key": "pii", "value": "maybe"}]}}}]}
    (tmp_path / "e.json").write_text(json.dumps(event, indent=1))
    with pytest.raises(InputError) as exc:
        load_openlineage(tmp_path / "e.json")
    assert exc.value.diagnostics[0].code == "lineage-bad-tag"
    (tmp_path / "l.jsonl").write_text('{"eventTime": "t"}\n{"eventTime": NaN}\n')
    with pytest.raises(InputError) as exc:
        load_openlineage(tmp_path / "l.jsonl")
    assert diags(exc) == [("json-non-finite", 2, 15)]


def test_bundle_without_lineage(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text("{}")
    with pytest.raises(InputError) as exc:
        lineage_from_bundle(EvidenceBundle.open(tmp_path))
    assert exc.value.diagnostics[0].code == "evidence-missing"


def test_alias_bomb_in_lineage(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    (tmp_path / "lineage.yaml").write_text(bomb)
    with pytest.raises(InputError) as exc:
        build_lineage([tmp_path / "lineage.yaml"])
    assert exc.value.diagnostics[0].code in ("yaml-too-many-aliases", "yaml-too-many-nodes")


@pytest.mark.parametrize("raw,kind", [("Anonymization", "anonymisation"), ("train", "training"),
                                      ("QUERY", None), ("data-export", None)])
def test_normalise_kind(raw: str, kind: str | None) -> None:
    assert normalise_kind(raw) == kind


def test_american_spellings_are_accepted(tmp_path: Path) -> None:
    g = yaml_graph(tmp_path, "datasets:\n  - {id: a, tags: {pii: true, anonymized: true, license: mit}}\n"
                             "models: [{id: m, trained_on: [a]}]\n")
    assert g.nodes["dataset:a"]["tags"] == {"pii": True, "anonymised": True, "licence": "mit"}
    assert pii_without_anonymisation(g, "m") == [] and sources_without_licence(g) == []
