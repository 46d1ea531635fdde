"""MLflow as an evidence source and a gated registry, against a real tracking server (see conftest).

The credit example's own logging script populated the server; these tests read it back with
`govern check --mlflow`, `govern evidence pull`, `--promote` and `govern verify-registry`
exactly as a user would (the CLI's main(), in-process). Tests that change the registry work on
their own registered model, cloned from the logged one with the MLflow client, so they can
run in any order.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date as _date, timedelta as _timedelta
from pathlib import Path

import pytest
import yaml

from tests.mlflow_e2e.conftest import Registry, free_port
from tests.sign.conftest import govern


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _gate(decision: dict, gate: str) -> dict:
    return next(g for g in decision["gates"] if g["id"] == gate)


def _check(decision: dict, gate: str, check: str) -> dict:
    return next(c for c in _gate(decision, gate)["checks"] if c["id"] == check)


def clone(client, registry: Registry, name: str, tmp: Path) -> str:
    """A registered model of our own: v1 = the champion's model (alias `champion`), v2 = the candidate's model
    with a new run holding a copy of the candidate run's metrics, params, tags and artifacts. → run id"""
    from mlflow.entities import Metric, Param, RunTag

    source = client.get_run(registry.run_id)
    run_id = client.create_run(registry.experiment_id, run_name=f"{name} candidate").info.run_id
    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in sorted(source.data.metrics.items())],
                     params=[Param(k, v) for k, v in sorted(source.data.params.items())],
                     tags=[RunTag(k, v) for k, v in source.data.tags.items() if not k.startswith("mlflow.")])
    local = client.download_artifacts(registry.run_id, "", str(tmp / f"{name}-artifacts"))
    client.log_artifacts(run_id, local)
    client.set_terminated(run_id)
    champion = client.get_model_version(registry.model, registry.champion_version)
    candidate = client.get_model_version(registry.model, registry.version)
    client.create_registered_model(name)
    client.create_model_version(name, champion.source, run_id=champion.run_id,
                                model_id=champion.source.removeprefix("models:/"))
    client.set_registered_model_alias(name, "champion", "1")
    client.create_model_version(name, candidate.source, run_id=run_id, model_id=candidate.source.removeprefix("models:/"))
    return run_id


def sign_all(pack: Path, use_case: Path, snapshot: Path) -> None:
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        result = govern("sign", use_case, "-p", pack, "-e", snapshot, "--gate", "production", "--role", role,
                        "--decision", "approve", "--key", signer, "--signer", signer)
        assert result.code == 0, result.err


# -- reading ------------------------------------------------------------------------------------

def test_check_from_models_uri_reads_metrics_artifacts_and_champion(registry, pack, use_case, tmp_path):
    uri = f"models:/{registry.model}/{registry.version}"
    result = govern("check", use_case, "-p", pack, "--mlflow", uri, "--tracking-uri", registry.uri,
                    "--target", "production", "--no-store", "-f", "json")
    assert result.code == 1, result.err  # every check passes; the production sign-offs are pending
    decision = result.json()
    assert decision["model"]["name"] == registry.model and decision["model"]["version"] == registry.version
    assert decision["determining"] == ["production.signoff:validator", "production.signoff:risk_officer"]
    auc = _check(decision, "validation", "auc")
    assert auc["status"] == "passed" and auc["measured"]["metrics.test.auc"] == pytest.approx(0.785357)
    drop = _check(decision, "validation", "no_drop")  # the champion is the version holding @champion (1.2.0)
    assert drop["status"] == "passed" and drop["measured"]["champion.test.auc"] == pytest.approx(0.786536, abs=1e-4)
    suites = _check(decision, "production", "validation_suites")
    assert suites["status"] == "passed" and "junit/validation.xml" in json.dumps(suites["evidence"])

    # the same snapshot as a folder gives the same digests, and the same decision
    snapshot = tmp_path / "snapshot"
    pulled = govern("evidence", "pull", uri, "-o", snapshot, "--tracking-uri", registry.uri, "-f", "json")
    assert pulled.code == 0, pulled.err
    assert pulled.json()["evidence_digest"] == decision["evidence_digest"]
    assert pulled.json()["model_digest"] == decision["model_digest"]
    from_folder = govern("check", use_case, "-p", pack, "-e", snapshot, "--target", "production", "--no-store",
                         "-f", "json").json()
    assert from_folder["decision_digest"] == decision["decision_digest"]


def test_a_decision_read_from_mlflow_is_attested_about_the_pulled_model(registry, pack, use_case, tmp_path):
    """The snapshot is a temporary folder: the envelope is sealed while it exists, about its model files."""
    uri = f"models:/{registry.model}/{registry.version}"
    out = tmp_path / "decision.intoto.jsonl"
    result = govern("check", use_case, "-p", pack, "--mlflow", uri, "--tracking-uri", registry.uri,
                    "--target", "validation", "--no-store", "--attest", out, "--key", "rita")
    assert result.code == 0, result.err
    snapshot = tmp_path / "snapshot"
    assert govern("evidence", "pull", uri, "-o", snapshot, "--tracking-uri", registry.uri).code == 0
    model_file = snapshot / "model" / "model.skops"  # the serialised model, which the model digest covers
    verified = govern("verify-attestation", out, "-p", pack, "--subject", model_file, "--target", "validation",
                      "--signer-role", "risk_officer")
    assert verified.code == 0, verified.out + verified.err
    stranger = tmp_path / "other.bin"
    stranger.write_bytes(b"not the model")
    assert govern("verify-attestation", out, "-p", pack, "--subject", stranger, "--target", "validation",
                  "--signer-role", "risk_officer").code == 1


def test_pulls_are_byte_identical_and_hold_what_was_read(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.uri)  # the way the MLflow client finds its server
    uri = f"models:/{registry.model}/{registry.version}"
    assert govern("evidence", "pull", uri, "-o", tmp_path / "a").code == 0
    a = _files(tmp_path / "a")
    assert govern("evidence", "pull", uri, "-o", tmp_path / "a").code == 0  # replaces the earlier snapshot
    assert _files(tmp_path / "a") == a

    snap = tmp_path / "a"
    manifest = yaml.safe_load((snap / "manifest.yaml").read_text())
    roles = {f["path"]: f["role"] for f in manifest["files"]}
    assert set(roles) == set(a) - {"manifest.yaml"}  # every file listed with its digest
    assert all(f["sha256"] == a[f["path"]] for f in manifest["files"])
    assert roles["model/model.skops"] == "artifact" and roles["model/MLmodel"] == "mlflow_model"
    assert roles["model/requirements.txt"] == "model_environment"  # the run logged its own lock
    assert roles["environment/requirements-lock.txt"] == "environment"
    assert roles["documents/dpia.md"] == "dpia"  # from the run's manifest artifact
    assert roles["model_card.md"] == "model_card" and roles["mlflow/lineage.yaml"] == "lineage"
    assert manifest["columns"]["sensitive"] == ["sex", "age_in_years"]
    metrics = json.loads((snap / "metrics.json").read_text())
    assert metrics["test"]["auc"] == pytest.approx(0.785357) and metrics["slices"]["age_lt_35"]["n"] == 215
    source = json.loads((snap / "mlflow" / "source.json").read_text())
    assert source["run"]["run_id"] == registry.run_id and source["run"]["params"]["algorithm"] == "logistic_regression"
    assert source["run"]["metrics"]["test/auc"] == pytest.approx(0.785357)
    assert [c["run_id"] for c in source["children"]] == [registry.validation_run_id]
    assert source["children"][0]["metrics"]["missing_values/failures"] == 0
    assert [d["name"] for d in source["datasets"]] == ["training_set"]
    assert source["datasets"][0]["context"] == "training" and source["datasets"][0]["digest"]
    assert source["champion"]["version"] == registry.champion_version
    assert "inputs" in source["signature"] and "credit_amount" in source["signature"]["inputs"]
    assert source["registered_model"]["version"] == registry.version and "aliases" not in source["registered_model"]

    champion = tmp_path / "champion"
    assert govern("evidence", "pull", f"models:/{registry.model}@champion", "-o", champion).code == 0
    assert yaml.safe_load((champion / "manifest.yaml").read_text())["model"]["version"] == registry.champion_version
    assert _files(champion)["model/model.skops"] != a["model/model.skops"]
    by_number = tmp_path / "champion-by-number"  # an alias names a version; the snapshot is the version's
    assert govern("evidence", "pull", f"models:/{registry.model}/{registry.champion_version}", "-o", by_number).code == 0
    assert _files(by_number) == _files(champion)
    run = tmp_path / "run"
    assert govern("evidence", "pull", f"runs:/{registry.champion_run_id}", "-o", run).code == 0
    run_manifest = yaml.safe_load((run / "manifest.yaml").read_text())
    assert run_manifest["model"]["version"] == registry.champion_run_id  # a run has no registry version
    assert _files(run)["model/model.skops"] == _files(champion)["model/model.skops"]  # its one logged model


def test_metric_names_map_through_the_run_manifest_and_history(registry, client, tmp_path):
    """A run named the MLflow way (`val_auc`, a loss curve by step), mapped in its manifest.yaml artifact."""
    run_id = client.create_run(registry.experiment_id, run_name="mapped").info.run_id
    for step, loss in enumerate((0.7, 0.55, 0.5)):
        client.log_metric(run_id, "train_loss", loss, step=step)
    client.log_metric(run_id, "val_auc", 0.81)
    client.log_metric(run_id, "test/n", 200)
    client.log_text(run_id, "bundle: mapped\nmodel: {name: mapped, version: '1'}\nmlflow:\n"
                    "  metrics: {test.auc: val_auc, train.loss: train_loss}\n  history: [train.loss]\n", "manifest.yaml")
    client.set_terminated(run_id)
    assert govern("evidence", "pull", f"runs:/{run_id}", "-o", tmp_path / "s", "--tracking-uri", registry.uri).code == 0
    metrics = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert metrics == {"test": {"auc": 0.81, "n": 200}, "train": {"loss": [0.7, 0.55, 0.5]}}
    assert not (tmp_path / "s" / "model").exists()  # a run without a model: its metrics and artifacts only

    client.log_metric(run_id, "test.n", 201)  # `test/n` and `test.n` both map to test.n: refused, both named
    result = govern("evidence", "pull", f"runs:/{run_id}", "-o", tmp_path / "t", "--tracking-uri", registry.uri)
    assert result.code == 2 and "metrics `test.n` and `test/n` both map to `test.n`" in result.err
    assert not (tmp_path / "t").exists()  # all or nothing


@pytest.mark.parametrize("artifacts, code, fragment", [
    ({"metrics.json": "{}"}, "mlflow-reserved-artifact", "the run logged `metrics.json`"),
    ({"signoffs/x.yaml": "a: 1"}, "mlflow-reserved-artifact", "`signoffs/x.yaml`"),
    ({"card.md": "# c", "manifest.yaml": "bundle: b\nmodel: {name: m, version: '1'}\nfiles:\n"
      "  - {path: card.md, role: model_card, sha256: " + "ab" * 32 + "}\n"}, "evidence-digest-mismatch",
     "`card.md` does not match the run's manifest"),
    ({"card.md": "# c", "manifest.yaml": "bundle: b\nmodel: {name: m, version: '1'}\nfiles:\n"
      "  - {path: card.md, role: signoff}\n"}, "mlflow-record-artifact", "never read from MLflow"),
    ({"manifest.yaml": "bundle: b\nmodel: {name: m, version: '1'}\nfiles:\n  - {path: gone.md, role: x}\n"},
     "evidence-file-missing", "which the run did not log"),
])
def test_what_a_run_logs_cannot_impersonate_govern(registry, client, tmp_path, artifacts, code, fragment):
    run_id = client.create_run(registry.experiment_id, run_name="impersonation").info.run_id
    for path, text in artifacts.items():
        client.log_text(run_id, text, path)
    client.set_terminated(run_id)
    result = govern("evidence", "pull", f"runs:/{run_id}", "-o", tmp_path / "s", "--tracking-uri", registry.uri)
    assert result.code == 2 and code in result.err and fragment in result.err, result.err
    assert not (tmp_path / "s").exists()


def test_a_model_kept_in_its_run_artifacts_is_read_as_the_model(registry, client, tmp_path):
    """MLflow 2 logged models under the run (`runs:/RUN_ID/model`); such versions still exist in registries."""
    logged = Path(client.download_artifacts(registry.run_id, "", str(tmp_path / "src")))  # the credit run's files
    local = tmp_path / "model"
    local.mkdir()
    (local / "MLmodel").write_text("flavors: {}\n")
    (local / "weights.onnx").write_bytes(b"not really onnx")
    run_id = client.create_run(registry.experiment_id, run_name="mlflow-2 style").info.run_id
    client.log_artifacts(run_id, str(local), "model")
    client.log_artifact(run_id, str(logged / "model_card.md"))
    client.set_terminated(run_id)
    client.create_registered_model("credit-run-source")
    client.create_model_version("credit-run-source", f"runs:/{run_id}/model", run_id=run_id)
    result = govern("evidence", "pull", "models:/credit-run-source/1", "-o", tmp_path / "s", "--tracking-uri",
                    registry.uri)
    assert result.code == 0, result.err
    roles = {f["path"]: f["role"] for f in yaml.safe_load((tmp_path / "s" / "manifest.yaml").read_text())["files"]}
    assert roles["model/weights.onnx"] == "artifact" and roles["model/MLmodel"] == "mlflow_model"
    assert roles["model_card.md"] == "model_card" and not any(p.startswith("model/model/") for p in roles)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # MLflow's own SQLAlchemy usage
def test_a_local_store_needs_no_server(tmp_path, monkeypatch):
    """`sqlite:` (and `file:`) tracking URIs are read directly, and nothing is created where govern runs."""
    import mlflow

    store = f"sqlite:///{tmp_path / 'local.db'}"
    monkeypatch.chdir(tmp_path)  # MLflow puts a local store's artifacts in ./mlruns: never in the checkout
    mlflow.set_tracking_uri(store)
    try:
        with mlflow.start_run() as run:
            mlflow.log_metric("test/auc", 0.8)
            mlflow.log_text("# Model card\n", "model_card.md")
    finally:
        mlflow.set_tracking_uri(None)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    result = govern("evidence", "pull", f"runs:/{run.info.run_id}", "-o", tmp_path / "s", "-f", "json")
    assert result.code == 0, result.err
    assert json.loads((tmp_path / "s" / "metrics.json").read_text()) == {"test": {"auc": 0.8}}
    assert yaml.safe_load((tmp_path / "s" / "manifest.yaml").read_text())["files"][0] == {
        "path": "metrics.json", "role": "metrics", "sha256": _files(tmp_path / "s")["metrics.json"]}
    assert list(cwd.iterdir()) == []
    assert (tmp_path / "mlruns").is_dir()  # where the run's artifacts went, and were read from


# -- the registry gate -------------------------------------------------------------------------------

def test_promote_moves_the_alias_only_when_allowed_and_verify_registry_finds_drift(
        registry, client, pack, use_case, tmp_path):
    name = "credit-promote"
    clone(client, registry, name, tmp_path)
    uri = f"models:/{name}/2"
    base = ("check", use_case, "-p", pack, "--mlflow", uri, "--tracking-uri", registry.uri, "-f", "json")

    blocked = govern(*base, "--promote", "production")
    assert blocked.code == 1, blocked.err
    assert "not moved" in blocked.err
    version = client.get_model_version(name, "2")
    assert "production" not in client.get_registered_model(name).aliases
    assert version.tags["govern.blocked_by"] == "production.signoff:validator, production.signoff:risk_officer"
    assert version.tags["govern.decision_digest"] == blocked.json()["decision_digest"]
    assert "govern.allowed_stage" not in version.tags

    snapshot = tmp_path / "snapshot"
    assert govern("evidence", "pull", uri, "-o", snapshot, "--tracking-uri", registry.uri).code == 0
    sign_all(pack, use_case, snapshot)
    allowed = govern(*base, "--promote", "production")
    assert allowed.code == 0, allowed.out + allowed.err
    decision = allowed.json()
    assert client.get_registered_model(name).aliases["production"] == "2"
    tags = client.get_model_version(name, "2").tags
    assert tags["govern.allowed_stage"] == "production" and "govern.blocked_by" not in tags
    assert tags["govern.decision_digest"] == decision["decision_digest"]
    assert tags["govern.tier"] == "high" and tags["govern.policy_digest"] == decision["policy"]["digest"]
    assert tags["govern.checked_at"].endswith("Z")
    assert "alias `production` → credit-promote version 2" in allowed.err

    ok = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri, "-f", "json")
    assert ok.code == 0, ok.out + ok.err
    [finding] = ok.json()["aliases"]
    assert finding["status"] == "ok" and finding["decision_digest"] == decision["decision_digest"]
    assert finding["valid_until"]  # the validators' 365-day approvals
    later = _date.fromisoformat(finding["valid_until"]) + _timedelta(days=1)
    lapsed = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri, "--as-of",
                    later.isoformat(), "-f", "json")
    assert lapsed.code == 1 and lapsed.json()["aliases"][0]["status"] == "expired"
    assert "production sign-off by" in lapsed.json()["aliases"][0]["message"]
    pinned = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri,
                    "--expect-policy-digest", decision["policy"]["digest"], "-f", "json")
    assert pinned.code == 0, pinned.out + pinned.err
    other = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri,
                   "--expect-policy-digest", "sha256:" + "0" * 64, "-f", "json")
    assert other.code == 1 and other.json()["aliases"][0]["status"] == "other-policy", other.out

    exported = govern("audit", "export")  # both the refusal and the move are audit events
    assert exported.code == 0
    moves = [e["payload"] for e in map(json.loads, exported.out.splitlines())
             if e["kind"] == "registry" and e["payload"]["registered_model"] == name]
    assert [(m["action"], m["version"], m["alias"]) for m in moves] == [("blocked", "2", "production"),
                                                                       ("promote", "2", "production")]
    assert moves[1]["decision_digest"] == decision["decision_digest"] and moves[1]["previous_version"] is None
    assert moves[1]["model_digest"] == decision["model_digest"] and "tracking_uri" in moves[1]

    run_id = client.get_model_version(name, "2").run_id
    client.log_metric(run_id, "test/auc", 0.79)  # the evidence changes after the approvals
    stale = govern(*base, "--target", "production", "--no-record")
    assert stale.code == 1
    validators = next(s for s in _gate(stale.json(), "production")["signoffs"] if s["role"] == "validator")
    assert validators["approvals"] == [] and len(validators["rejected"]) == 2
    assert all(r["problem"].startswith("stale: signed for evidence") for r in validators["rejected"])
    assert _check(stale.json(), "validation", "auc")["measured"]["metrics.test.auc"] == pytest.approx(0.79)
    changed = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri, "-f", "json")
    assert changed.code == 1 and changed.json()["aliases"][0]["status"] == "evidence-changed"

    client.set_registered_model_alias(name, "production", "1")  # someone moves it by hand
    drift = govern("verify-registry", "--registered-model", name, "--tracking-uri", registry.uri)
    assert drift.code == 1
    assert "credit-promote@production → version 1: moved-outside-govern" in drift.out
    assert "govern last moved it to version 2" in drift.out


# -- usage errors: exit 2, a clear message, never a traceback ------------------------------------------

@pytest.mark.parametrize("args, message", [
    (("--mlflow", "models:/credit-risk-scorer"), "mlflow-bad-uri"),
    (("--mlflow", "models:/credit-risk-scorer/Production"), "stages (Staging, Production) are deprecated"),
    (("--mlflow", "s3://bucket/model"), "expected models:/NAME/VERSION"),
    (("--mlflow", "runs:/abc123", "--promote", "production"), "promote-needs-registry"),
    (("-e", "somewhere", "--promote", "production"), "promote-needs-mlflow"),
    (("--mlflow", "models:/x/1", "-e", "somewhere"), "exactly one"),
    ((), "exactly one"),
    (("--mlflow", "models:/x/1", "--promote", "production", "--no-record"), "promote-not-recorded"),
    (("--mlflow", "models:/x/1", "--promote", "latest"), "promote-bad-alias"),
    (("--mlflow", "models:/x/1"), "mlflow-no-tracking-uri"),
])
def test_usage_errors(pack, use_case, args, message):
    result = govern("check", use_case, "-p", pack, *args)
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err


def test_unreachable_server_and_missing_model(registry, pack, use_case, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = govern("check", use_case, "-p", pack, "--mlflow", "models:/credit-risk-scorer/2", "--tracking-uri", dead,
                    "--no-store")
    assert result.code == 2 and "mlflow-unreachable" in result.err and dead in result.err
    assert time.monotonic() - started < 20 and "Traceback" not in result.err
    missing = govern("evidence", "pull", "models:/no-such-model/1", "-o", tmp_path / "x", "--tracking-uri",
                     registry.uri)
    assert missing.code == 2 and "mlflow-not-found" in missing.err and "no-such-model" in missing.err
    assert "Traceback" not in missing.err and not (tmp_path / "x").exists()
    version = govern("evidence", "pull", f"models:/{registry.model}/99", "-o", tmp_path / "y", "--tracking-uri",
                     registry.uri)
    assert version.code == 2 and "has no version 99" in version.err
    not_empty = tmp_path / "full"
    not_empty.mkdir()
    (not_empty / "keep.txt").write_text("mine")
    refused = govern("evidence", "pull", f"models:/{registry.model}/2", "-o", not_empty, "--tracking-uri", registry.uri)
    assert refused.code == 2 and "output-not-empty" in refused.err and (not_empty / "keep.txt").exists()
