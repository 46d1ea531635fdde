"""The stability check's model reader: the same model as skops builds, without importing every estimator.

govern reads plain pipelines itself (:mod:`govern.evidence.model_file`) and hands anything else
to skops; either way a type outside the allow-list is refused before anything is built.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govern.checks.stability import load_model
from govern.errors import InputError
from govern.evidence import model_file

ROOT = Path(__file__).resolve().parents[2]
CREDIT = ROOT / "examples" / "credit-risk"
CHAMPION = CREDIT / "evidence" / "model" / "credit-risk-scorer.skops"  # logistic regression pipeline
CHALLENGER = CREDIT / "evidence-blocked" / "model" / "credit-risk-scorer.skops"  # gradient boosting: trees


def skops_load(path: Path) -> Any:
    import skops.io as sio

    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def canonical(obj: Any) -> Any:
    """The skops schema of ``obj`` with ids renumbered and arrays inlined: equal for equal objects."""
    import skops.io as sio

    raw = zipfile.ZipFile(io.BytesIO(sio.dumps(obj)))
    ids: dict[int, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "__id__":
                    out[key] = ids.setdefault(value, len(ids))
                elif key == "file":
                    out[key] = raw.read(value).hex()
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(json.loads(raw.read("schema.json")))


def test_the_reader_builds_what_skops_builds():
    ours, theirs = model_file.load(CHAMPION), skops_load(CHAMPION)
    assert canonical(ours) == canonical(theirs)
    frame = pd.read_csv(CREDIT / "evidence" / "data" / "current.csv")
    features = list(theirs.feature_names_in_)
    assert np.array_equal(ours.predict_proba(frame[features]), theirs.predict_proba(frame[features]))


def test_node_kinds_it_does_not_reproduce_go_to_skops():
    with pytest.raises(model_file.NotHandled, match="TreeNode"):
        model_file.load(CHALLENGER)
    model = load_model(CHALLENGER, "model/credit-risk-scorer.skops")  # through skops
    reference = skops_load(CHALLENGER)
    frame = pd.read_csv(CREDIT / "evidence-blocked" / "data" / "current.csv")
    features = list(reference.feature_names_in_)
    assert type(model) is type(reference)
    assert np.array_equal(model.predict_proba(frame[features]), reference.predict_proba(frame[features]))


def test_a_plain_model_is_read_without_skops_or_unrelated_estimators():
    code = (f"import sys; from govern.checks.stability import load_model; load_model({str(CHAMPION)!r}, 'm'); "
            "bad = [m for m in ('skops', 'skops.io', 'sklearn.ensemble', 'sklearn.cluster', 'sklearn.tree', 'pytest') "
            "if m in sys.modules]; print(bad)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def rewrite(tmp_path: Path, edit) -> Path:
    """A copy of the champion's file with its schema edited."""
    source = zipfile.ZipFile(CHAMPION)
    schema = json.loads(source.read("schema.json"))
    edit(schema)
    target = tmp_path / "model.skops"
    with zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            out.writestr(name, json.dumps(schema) if name == "schema.json" else source.read(name))
    return target


def test_types_outside_the_allow_list_are_refused_before_anything_is_imported(tmp_path):
    def hostile(schema):
        schema["content"]["content"]["memory"] = {"__class__": "system", "__module__": "os",
                                                  "__loader__": "ObjectNode", "content": None}

    path = rewrite(tmp_path, hostile)
    with pytest.raises(model_file.Untrusted) as caught:
        model_file.load(path)
    assert caught.value.types == ["os.system"]
    with pytest.raises(InputError) as err:
        load_model(path, "model.skops")
    assert err.value.diagnostics[0].code == "stability-untrusted" and "os.system" in str(err.value)


def test_a_trusted_prefix_naming_a_function_is_not_constructed(tmp_path):
    def function(schema):
        schema["content"]["content"]["memory"] = {"__class__": "eval", "__module__": "builtins",
                                                  "__loader__": "TypeNode"}

    with pytest.raises(InputError) as err:
        load_model(rewrite(tmp_path, function), "model.skops")
    assert err.value.diagnostics[0].code == "stability-model" and "not a type" in str(err.value)


@pytest.mark.parametrize("payload, message", [
    (b"not a zip", "not a readable skops file"),
    (None, "could not be loaded"),
])
def test_malformed_files_are_input_errors(tmp_path, payload, message):
    path = tmp_path / "model.skops"
    if payload is None:
        with zipfile.ZipFile(path, "w") as out:
            out.writestr("schema.json", json.dumps({"protocol": 2, "__loader__": "ListNode", "__module__": "builtins", "__class__": "list"}))
    else:
        path.write_bytes(payload)
    with pytest.raises(InputError) as err:
        load_model(path, "model.skops")
    assert message in str(err.value)
