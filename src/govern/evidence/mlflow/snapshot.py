"""What a pull read (:class:`~govern.evidence.mlflow.read.Reading`) → an ordinary evidence folder.

Layout, so every existing reader, check, digest and sign-off works on it unchanged::

    manifest.yaml          every file below with its role and sha256, the run's column mapping
    metrics.json           the run's metrics, mapped (mapping.py); champion_metrics.json likewise
    mlflow/source.json     the records read: version, run (params, tags, metrics), history,
                           parent and child runs, dataset inputs, champion
    mlflow/lineage.yaml    dataset inputs (mlflow.log_input) as lineage: datasets → the model
    mlflow/run-manifest.*  the run's own manifest artifact, as logged
    model/…                the MLflow model: MLmodel (signature), the serialised model, its environment
    …                      every other run artifact at its own path (model_card.md, junit/, data/ …)

Every byte read is in a file and every file is in the evidence digest, metric values included,
so a changed metric makes the approvals of the old numbers stale. Nothing here is clock or
machine dependent: two pulls of one version give the same bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from govern.canonical import file_sha256
from govern.errors import Diagnostic, EvidenceError, Span
from govern.evidence.bundle import conventional_role
from govern.evidence.identity import RECORD_ROLES
from govern.evidence.mlflow.mapping import metrics_tree
from govern.evidence.mlflow.read import Reading

SOURCE = "mlflow/source.json"
LINEAGE = "mlflow/lineage.yaml"
#: Paths govern writes in a snapshot; a run artifact there would be overwritten or mistaken for them.
RESERVED = ("manifest.yaml", "manifest.yml", "manifest.json", "metrics.json", "champion_metrics.json")
RESERVED_FOLDERS = ("mlflow/", "signoffs/", "waivers/", "registrations/")
#: Files of an MLflow model folder and their roles; any other file there is the model itself.
MODEL_FILE_ROLES = {"MLmodel": "mlflow_model", "input_example.json": "mlflow_model",
                    "serving_input_example.json": "mlflow_model", "registered_model_meta": "mlflow_model",
                    "conda.yaml": "model_environment", "python_env.yaml": "model_environment",
                    "requirements.txt": "model_environment"}


def assemble(reading: Reading, bundle: Path) -> None:
    """Build the snapshot in the empty folder ``bundle`` from the files staged by :func:`read.read`."""
    problems: list[Diagnostic] = []
    roles: dict[str, str] = {}
    manifest = reading.manifest
    listed = _listed_roles(reading, problems)
    has_model = bool(reading.model_files)
    for path in reading.run_files:
        if path == reading.manifest_path:
            continue
        if path in RESERVED or path.startswith(RESERVED_FOLDERS) or (has_model and path.startswith("model/")):
            problems.append(Diagnostic(
                "mlflow-reserved-artifact", f"the run logged `{path}`, a path govern derives from MLflow itself",
                Span(path), "log metrics with mlflow.log_metric(s) (the champion's come from its alias) and the model "
                "with log_model; a manifest.yaml artifact may only give roles and mappings"))
            continue
        role = listed.get(path) or conventional_role(path) or "other"
        roles[path] = "other" if role in RECORD_ROLES else role  # approvals never come from MLflow artifacts
    if problems:
        raise EvidenceError(problems)
    _move(reading.staging / "run", bundle, roles)
    if reading.manifest_path is not None:
        suffix = reading.manifest_path.rsplit(".", 1)[-1]
        target = f"mlflow/run-manifest.{suffix}"
        _move(reading.staging / "run", bundle, {reading.manifest_path: "mlflow_manifest"}, rename={
            reading.manifest_path: target})
        roles[target] = "mlflow_manifest"
    has_environment = "environment" in roles.values()
    model_roles = {}
    for path in reading.model_files:
        role = MODEL_FILE_ROLES.get(path, "artifact")
        if path == "requirements.txt" and not has_environment:
            role = "environment"  # the only lock govern gets: the reproducibility check reads it
        model_roles[path] = role
    _move(reading.staging / "model", bundle, model_roles, prefix="model/")
    roles.update({f"model/{path}": role for path, role in model_roles.items()})

    settings = manifest.mlflow if manifest is not None else None
    tree, conflicts = metrics_tree(reading.metrics, settings, reading.history)
    if conflicts:
        raise EvidenceError([Diagnostic("mlflow-metric-conflict", message, Span("metrics"),
                                        "map the names apart under `mlflow: metrics:` in the run's manifest.yaml")
                             for message in conflicts])
    _write_json(bundle / "metrics.json", tree)
    roles["metrics.json"] = "metrics"
    if reading.champion is not None:
        champion, conflicts = metrics_tree(reading.champion["metrics"], settings, {})
        if conflicts:
            raise EvidenceError([Diagnostic("mlflow-metric-conflict", f"champion: {m}", Span("champion_metrics"))
                                 for m in conflicts])
        _write_json(bundle / "champion_metrics.json", champion)
        roles["champion_metrics.json"] = "champion_metrics"
    _write_json(bundle / SOURCE, {**reading.record, "signature": _signature(bundle, roles)})
    roles[SOURCE] = "mlflow_source"
    lineage = _lineage(reading)
    if lineage is not None:
        _write_text(bundle / LINEAGE, lineage)
        roles[LINEAGE] = "lineage"
    _write_manifest(bundle, reading, roles)


def _listed_roles(reading: Reading, problems: list[Diagnostic]) -> dict[str, str]:
    """Roles the run's manifest gives its artifacts, each checked: it names a logged file, its digest matches."""
    manifest, doc = reading.manifest, reading.manifest_doc
    if manifest is None or doc is None:
        return {}
    from govern.evidence.paths import normalise

    present = set(reading.run_files)
    roles: dict[str, str] = {}
    for i, entry in enumerate(manifest.files):
        path = normalise(entry.path)
        if path is None or path not in present:
            problems.append(doc.diagnostic("evidence-file-missing", f"the manifest lists `{entry.path}`, which the "
                                           "run did not log as an artifact", ("files", i, "path")))
            continue
        if entry.role in RECORD_ROLES:
            problems.append(doc.diagnostic("mlflow-record-artifact", f"`{path}` cannot be a {entry.role}: sign-offs, "
                                           "waivers and registrations are never read from MLflow", ("files", i, "role"),
                                           "record them with govern sign/waive/register (the audit store)"))
            continue
        if entry.sha256 is not None:
            actual = file_sha256(reading.staging / "run" / path)
            if actual != entry.sha256:
                problems.append(doc.diagnostic("evidence-digest-mismatch", f"`{path}` does not match the run's "
                                               f"manifest: expected sha256 {entry.sha256}, actual {actual}",
                                               ("files", i, "sha256"), "the artifact changed after the manifest "
                                               "was logged; investigate"))
                continue
        roles[path] = entry.role
    return roles


def _move(source: Path, bundle: Path, files: dict[str, str], *, prefix: str = "",
          rename: dict[str, str] | None = None) -> None:
    for path in files:
        target = bundle / ((rename or {}).get(path) or prefix + path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source / path), str(target))


def _plain(value: Any) -> Any:
    """1.0 → 1 (MLflow stores every metric as a double; counts read better as integers)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _write_json(path: Path, data: Any) -> None:
    # NaN/Infinity are written as such: the metrics reader refuses them with a position (fail closed)
    _write_text(path, json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _signature(bundle: Path, roles: dict[str, str]) -> Any:
    """The model signature from ``MLmodel`` (already in the digest as a file; copied for readers)."""
    if "model/MLmodel" not in roles:
        return None
    from govern.errors import GovernError
    from govern.evidence.reading import read_text
    from govern.load.safe_yaml import load_yaml_text

    try:
        text, _ = read_text(bundle / "model/MLmodel", "mlflow_model", display="model/MLmodel")
        data = load_yaml_text(text, "model/MLmodel").data
    except GovernError as exc:
        raise EvidenceError(exc.diagnostics) from None
    return data.get("signature") if isinstance(data, dict) else None


def _lineage(reading: Reading) -> str | None:
    """Dataset inputs → govern lineage YAML: each dataset (by its MLflow name), the run that read them, and
    the model trained on those logged with context ``training`` (all of them if none says)."""
    datasets = reading.record["datasets"]
    if not datasets:
        return None
    import yaml

    by_name: dict[str, dict[str, Any]] = {}
    for ds in datasets:
        name = ds["name"] or ds["digest"] or "dataset"
        entry = by_name.setdefault(name, {"contexts": [], "digests": [], "source": _source_text(ds)})
        if ds["context"] and ds["context"] not in entry["contexts"]:
            entry["contexts"].append(ds["context"])
        if ds["digest"] and ds["digest"] not in entry["digests"]:
            entry["digests"].append(ds["digest"])
    training = [n for n, e in by_name.items() if "training" in e["contexts"]] or list(by_name)
    model = reading.name or (reading.manifest.model.name if reading.manifest else reading.run_name)
    doc = {
        "datasets": [{"id": name, **({"tags": {"source": e["source"]}} if e["source"] else {}),
                      "description": f"MLflow dataset input of run {reading.run_id} (context "
                                     f"{', '.join(e['contexts']) or 'unspecified'}; digest {', '.join(e['digests'])})"}
                     for name, e in by_name.items()],
        "jobs": [{"id": f"mlflow_run_{reading.run_id}", "kind": "training", "inputs": list(by_name),
                  "description": f"MLflow run {reading.run_name}"}],
        "models": [{"id": model, "trained_on": training}],
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _source_text(ds: dict[str, Any]) -> str | None:
    raw = ds.get("source")
    where: Any = raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        where = parsed.get("url") or parsed.get("uri") or parsed.get("path") or parsed.get("table_name") or raw
    text = f"{ds.get('source_type') or 'source'}: {where}" if where else None
    return text[:1000] if text else None


def _write_manifest(bundle: Path, reading: Reading, roles: dict[str, str]) -> None:
    import yaml

    manifest = reading.manifest
    name = reading.name or (manifest.model.name if manifest else reading.run_name)
    doc: dict[str, Any] = {
        "bundle": (manifest.bundle if manifest else None) or name,
        "model": {"name": name, "version": reading.version or reading.run_id},
        "files": [{"path": path, "role": roles[path], "sha256": file_sha256(bundle / path)} for path in sorted(roles)],
    }
    if manifest is not None and manifest.columns is not None:
        doc["columns"] = manifest.columns.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if manifest is not None and manifest.mlflow is not None:
        doc["mlflow"] = manifest.mlflow.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    _write_text(bundle / "manifest.yaml", yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120))
