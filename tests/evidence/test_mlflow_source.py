"""The MLflow evidence source without a server: URI parsing and the metric-name mapping.

(The end-to-end behaviour, against a real tracking server, is in tests/mlflow_e2e.)
"""

from __future__ import annotations

import pytest

from govern.evidence.manifest import MlflowSettings
from govern.evidence.mlflow.mapping import default_path, history_keys, metrics_tree
from govern.evidence.mlflow.uri import MlflowError, parse_uri


@pytest.mark.parametrize("uri, expected", [
    ("models:/credit-risk-scorer/2", {"name": "credit-risk-scorer", "version": "2"}),
    ("models:/credit risk/10", {"name": "credit risk", "version": "10"}),
    ("models:/credit-risk-scorer@champion", {"name": "credit-risk-scorer", "alias": "champion"}),
    ("runs:/0123abcd", {"run_id": "0123abcd", "path": None}),
    ("runs:/0123abcd/model", {"run_id": "0123abcd", "path": "model"}),
])
def test_uris(uri, expected):
    ref = parse_uri(uri)
    assert {k: getattr(ref, k) for k in expected} == expected
    assert ref.registered == ("name" in expected)


@pytest.mark.parametrize("uri, fragment", [
    ("models:/credit-risk-scorer", "expected models:/NAME/VERSION"),
    ("models:/credit-risk-scorer/0", "expected"),
    ("models:/credit-risk-scorer/Production", "stages (Staging, Production) are deprecated"),
    ("models:/m-0123456789abcdef", "logged model id has no registry version"),
    ("runs:/abc/../../etc", "must stay inside the run"),
    ("runs:/", "expected"),
    ("file:///etc/passwd", "expected"),
    ("models:/a@b c", "expected"),
])
def test_bad_uris_say_what_is_expected(uri, fragment):
    with pytest.raises(MlflowError) as info:
        parse_uri(uri)
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "mlflow-bad-uri" and fragment in diagnostic.message + (diagnostic.hint or "")


def test_default_paths_split_on_slash_and_dot():
    assert default_path("test/auc") == ("test", "auc")
    assert default_path("test.auc") == ("test", "auc")
    assert default_path("test_auc") == ("test_auc",)
    assert default_path("slices//age_lt_35/auc") == ("slices", "age_lt_35", "auc")


def test_explicit_mapping_history_and_unmapped_defaults():
    settings = MlflowSettings(metrics={"test.auc": "val_auc", '"odd.name".x': "x"}, history=["train.loss"])
    latest = {"val_auc": 0.81, "train/loss": 0.5, "x": 1.0, "oot/auc": 0.8}
    assert history_keys(settings, latest) == ["train/loss"]
    tree, problems = metrics_tree(latest, settings, {"train/loss": [0.7, 0.5]})
    assert problems == []
    assert tree == {"test": {"auc": 0.81}, "odd.name": {"x": 1.0}, "train": {"loss": [0.7, 0.5]}, "oot": {"auc": 0.8}}


def test_two_names_for_one_path_are_refused_naming_both():
    _, problems = metrics_tree({"test/auc": 0.8, "test.auc": 0.7}, None, {})
    assert problems == ["metrics `test.auc` and `test/auc` both map to `test.auc`"]
    _, problems = metrics_tree({"test": 1.0, "test/auc": 0.8}, None, {})
    assert problems == ["metric `test/auc` needs `test` to be a group, but metric `test` is a value there"]
    _, problems = metrics_tree({"test/auc": 0.8, "test": 1.0}, MlflowSettings(metrics={"test": "test"}), {})
    assert len(problems) == 1 and "`test`" in problems[0]


def test_mapping_is_validated_in_the_manifest(tmp_path):
    from govern.errors import GovernError
    from govern.evidence.manifest import load_manifest

    path = tmp_path / "manifest.yaml"
    path.write_text("bundle: b\nmodel: {name: m, version: '1'}\nmlflow:\n  metrics: {test.auc: val_auc}\n"
                    "  champion_alias: 'not an alias'\n")
    with pytest.raises(GovernError) as info:
        load_manifest(path, "manifest.yaml")
    [diagnostic] = info.value.diagnostics
    assert "champion_alias" in diagnostic.message and diagnostic.span.line == 5
