"""A model URI → everything govern reads from MLflow about it, downloaded into a staging folder.

The only module (with :mod:`connect`) that calls MLflow. What it reads:

- the registry version (``models:/NAME/VERSION`` or ``@ALIAS``) and its source run, or the run
  itself (``runs:/RUN_ID``);
- the run's params, tags, latest metric values (full history only for the check paths the
  run's manifest lists under ``mlflow.history``), dataset inputs (``mlflow.log_input``), its
  parent run and its child runs;
- every artifact of the run, and every file of the MLflow model (``MLmodel`` with its signature,
  the serialised model, ``requirements.txt``/``conda.yaml``/``python_env.yaml``);
- the champion: the version holding the champion alias, and its run's metrics.

Registry state that govern itself writes or moves (the ``govern.*`` version tags, aliases,
last-update times) is left out of the record: promoting a model must not make the approvals
that allowed it stale. Everything else read is in the record or in a downloaded file, so it is
in the evidence digest. Listings from the server are untrusted: paths must be plain relative
paths, and file counts and sizes are capped before anything is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, Span
from govern.evidence.files import DATA_MAX_BYTES
from govern.evidence.mlflow.connect import Connection, calling
from govern.evidence.mlflow.mapping import history_keys
from govern.evidence.mlflow.uri import MlflowError, ModelRef
from govern.evidence.paths import normalise

if TYPE_CHECKING:
    from govern.evidence.manifest import Manifest
    from govern.load.safe_yaml import YamlDocument

#: Caps on what one pull downloads (a registry entry is untrusted input like any evidence).
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
MAX_DEPTH = 32
MAX_CHILD_RUNS = 1_000
MAX_HISTORY_POINTS = 100_000
#: Parallel downloads: artifact stores answer one small file at a time slowly.
DOWNLOAD_THREADS = 4
#: Version tags govern writes when it promotes (never part of what a decision read).
GOVERN_TAG_PREFIX = "govern."
DEFAULT_CHAMPION_ALIAS = "champion"
RUN_MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")


@dataclass
class Reading:
    """What one pull read: JSON-able records, and the files downloaded under ``staging``."""

    staging: Path
    record: dict[str, Any]
    #: registry identity (None for ``runs:/``)
    name: str | None
    version: str | None
    run_id: str
    run_name: str
    metrics: dict[str, float]
    history: dict[str, list[float]]
    champion: dict[str, Any] | None
    #: run artifacts, relative to ``staging / "run"``; model files, relative to ``staging / "model"``
    run_files: list[str] = field(default_factory=list)
    model_files: list[str] = field(default_factory=list)
    manifest: "Manifest | None" = None
    manifest_doc: "YamlDocument | None" = None
    manifest_path: str | None = None


@dataclass
class _Budget:
    files: int = 0
    bytes: int = 0


def read(conn: Connection, ref: ModelRef, staging: Path, *, champion_alias: str | None = None) -> Reading:
    """Resolve ``ref``, read its records and download its files into ``staging`` (``run/``, ``model/``)."""
    client, uri = conn.client, conn.uri
    version = _version(conn, ref)
    if version is not None and str(version.status).upper() not in ("READY", "MODELVERSIONSTATUS.READY"):
        raise MlflowError(Diagnostic(
            "mlflow-version-not-ready", f"{ref.uri}: version {version.version} of {version.name} is "
            f"{version.status}, not READY", Span("--mlflow"), "wait for the registration to finish, then check"))
    run_id = version.run_id if version is not None else ref.run_id
    if not run_id:
        raise MlflowError(Diagnostic(
            "mlflow-no-run", f"{ref.uri}: version {version.version} of {version.name} has no source run",
            Span("--mlflow"), "register models logged in a run (mlflow.<flavor>.log_model inside mlflow.start_run)"))
    with calling(uri, f"reading run {run_id}", missing=f"run {run_id} of {ref.uri} does not exist"):
        run = client.get_run(run_id)
    model_location, model_subpath, logged_model = _model_location(conn, ref, version, run)
    budget = _Budget()
    run_files = _download_tree(conn, run.info.artifact_uri, staging / "run", budget, skip=model_subpath,
                               what=f"artifacts of run {run_id}")
    model_files = (_download_tree(conn, model_location, staging / "model", budget, skip=None,
                                  what=f"model files of {ref.uri}") if model_location else [])
    manifest, doc, manifest_path = _run_manifest(staging / "run", run_files)
    settings = manifest.mlflow if manifest is not None else None
    latest = {k: float(v) for k, v in run.data.metrics.items()}
    history = _history(conn, run_id, history_keys(settings, latest))
    alias = champion_alias or (settings.champion_alias if settings and settings.champion_alias else None) \
        or DEFAULT_CHAMPION_ALIAS
    name = version.name if version is not None else None
    champion = _champion(conn, name, alias) if name else None
    record: dict[str, Any] = {
        "registered_model": _version_record(version),
        "logged_model": logged_model,
        "run": _run_record(run, latest),
        "history": {key: [[step, value] for step, value in points] for key, points in sorted(history.items())},
        "parent": _parent(conn, run),
        "children": _children(conn, run),
        "datasets": _datasets(run),
        "champion": champion,
    }
    return Reading(staging, record, name, version.version if version is not None else None, run_id,
                   run.info.run_name or run_id, latest,
                   {key: [value for _, value in points] for key, points in history.items()}, champion,
                   run_files, model_files, manifest, doc, manifest_path)


# -- the registry ------------------------------------------------------------------------------

def _version(conn: Connection, ref: ModelRef) -> Any:
    if ref.name is None:
        return None
    if ref.alias is not None:
        with calling(conn.uri, f"resolving {ref.uri}",
                     missing=f"no version of registered model `{ref.name}` holds alias `{ref.alias}`"):
            return conn.client.get_model_version_by_alias(ref.name, ref.alias)
    with calling(conn.uri, f"reading {ref.uri}",
                 missing=f"registered model `{ref.name}` has no version {ref.version}"):
        return conn.client.get_model_version(ref.name, ref.version)


def _version_record(version: Any) -> dict[str, Any] | None:
    if version is None:
        return None
    return {"name": version.name, "version": str(version.version), "source": version.source,
            "run_id": version.run_id, "status": str(version.status), "description": version.description or "",
            "creation_timestamp": version.creation_timestamp,
            "tags": {k: v for k, v in sorted((version.tags or {}).items()) if not k.startswith(GOVERN_TAG_PREFIX)}}


def _champion(conn: Connection, name: str, alias: str) -> dict[str, Any] | None:
    try:
        with calling(conn.uri, f"reading the {alias} of {name}"):
            version = conn.client.get_model_version_by_alias(name, alias)
    except MlflowError as exc:
        if exc.diagnostics[0].code == "mlflow-not-found":
            return None  # no champion yet: checks comparing with one say so
        raise
    metrics: dict[str, float] = {}
    if version.run_id:
        with calling(conn.uri, f"reading the run of {name} version {version.version}"):
            metrics = {k: float(v) for k, v in conn.client.get_run(version.run_id).data.metrics.items()}
    return {"alias": alias, "name": name, "version": str(version.version), "run_id": version.run_id or None,
            "metrics": dict(sorted(metrics.items()))}


# -- the run -----------------------------------------------------------------------------------

def _run_record(run: Any, latest: dict[str, float]) -> dict[str, Any]:
    info = run.info
    return {"run_id": info.run_id, "run_name": info.run_name, "experiment_id": info.experiment_id,
            "status": str(info.status), "start_time": info.start_time, "end_time": info.end_time,
            "user_id": info.user_id, "params": dict(sorted(run.data.params.items())),
            "tags": dict(sorted(run.data.tags.items())), "metrics": dict(sorted(latest.items()))}


def _history(conn: Connection, run_id: str, keys: list[str]) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for key in keys:
        with calling(conn.uri, f"reading the history of metric `{key}`"):
            points = conn.client.get_metric_history(run_id, key)
        if len(points) > MAX_HISTORY_POINTS:
            raise MlflowError(Diagnostic("mlflow-too-large", f"metric `{key}` has {len(points)} points; govern "
                                         f"reads at most {MAX_HISTORY_POINTS}", Span("--mlflow")))
        out[key] = [(int(p.step), float(p.value)) for p in sorted(points, key=lambda p: (p.step, p.timestamp))]
    return out


def _parent(conn: Connection, run: Any) -> dict[str, Any] | None:
    parent_id = run.data.tags.get("mlflow.parentRunId")
    if not parent_id:
        return None
    with calling(conn.uri, f"reading parent run {parent_id}"):
        parent = conn.client.get_run(parent_id)
    return {"run_id": parent.info.run_id, "run_name": parent.info.run_name, "status": str(parent.info.status)}


def _children(conn: Connection, run: Any) -> list[dict[str, Any]]:
    with calling(conn.uri, f"listing the child runs of {run.info.run_id}"):
        children = conn.client.search_runs([run.info.experiment_id],
                                           filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'",
                                           max_results=MAX_CHILD_RUNS)
    return sorted(({"run_id": c.info.run_id, "run_name": c.info.run_name, "status": str(c.info.status),
                    "params": dict(sorted(c.data.params.items())),
                    "metrics": {k: float(v) for k, v in sorted(c.data.metrics.items())}}
                   for c in children), key=lambda c: (c["run_name"] or "", c["run_id"]))


def _datasets(run: Any) -> list[dict[str, Any]]:
    out = []
    for item in getattr(run.inputs, "dataset_inputs", None) or []:
        ds = item.dataset
        tags = {t.key: t.value for t in item.tags or []}
        out.append({"name": ds.name, "digest": ds.digest, "source_type": ds.source_type, "source": ds.source,
                    "schema": ds.schema, "profile": ds.profile, "context": tags.get("mlflow.data.context"),
                    "tags": dict(sorted(tags.items()))})
    return sorted(out, key=lambda d: (d["name"] or "", d["digest"] or "", d["context"] or ""))


# -- the model's files ---------------------------------------------------------------------------

def _model_location(conn: Connection, ref: ModelRef, version: Any, run: Any
                    ) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(artifact location of the MLflow model, its path inside the run's artifacts if it lives there,
    the logged-model record). A source outside the run and outside MLflow's logged models is refused:
    a registry entry must not make govern copy arbitrary files (``file:///etc``) into evidence."""
    run_root = run.info.artifact_uri.rstrip("/")
    if version is not None:
        source = version.source or ""
        if source.startswith("models:/m-"):
            return _logged(conn, source.removeprefix("models:/"))
        if source.startswith("runs:/"):
            rid, _, path = source.removeprefix("runs:/").partition("/")
            if rid == run.info.run_id and normalise(path):
                return _in_run(run_root, path)
        elif source.startswith(run_root + "/") and normalise(source[len(run_root) + 1:]):
            return _in_run(run_root, source[len(run_root) + 1:])
        raise MlflowError(Diagnostic(
            "mlflow-model-source", f"{ref.uri}: the model's source `{source}` is neither a logged model nor inside "
            f"its run's artifacts", Span("--mlflow"), "register the model from a run (runs:/RUN_ID/PATH or the "
            "model_uri log_model returns)"))
    with calling(conn.uri, f"listing the models logged by run {run.info.run_id}"):
        logged = conn.client.search_logged_models([run.info.experiment_id],
                                                  filter_string=f"source_run_id = '{run.info.run_id}'")
    if ref.path is not None:
        named = [m for m in logged if m.name == ref.path]
        if len(named) == 1:
            return _logged(conn, named[0].model_id)
        return _in_run(run_root, ref.path)
    if len(logged) == 1:
        return _logged(conn, logged[0].model_id)
    if len(logged) > 1:
        names = ", ".join(sorted(m.name for m in logged))
        raise MlflowError(Diagnostic("mlflow-ambiguous-model", f"run {run.info.run_id} logged several models "
                                     f"({names})", Span("--mlflow"), f"name one: runs:/{run.info.run_id}/NAME"))
    return None, None, None  # a run without a model: the evidence is its metrics and artifacts


def _logged(conn: Connection, model_id: str) -> tuple[str, None, dict[str, Any]]:
    with calling(conn.uri, f"reading logged model {model_id}", missing=f"logged model {model_id} does not exist"):
        model = conn.client.get_logged_model(model_id)
    return model.artifact_location, None, {"model_id": model.model_id, "name": model.name,
                                           "source_run_id": model.source_run_id}


def _in_run(run_root: str, path: str) -> tuple[str, str, None]:
    clean = normalise(path) or path
    return f"{run_root}/{clean}", clean, None


def _download_tree(conn: Connection, location: str, target: Path, budget: _Budget, *, skip: str | None,
                   what: str) -> list[str]:
    """List the tree at ``location`` (paths checked, counts and sizes capped), then download each file."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    with calling(conn.uri, f"listing {what}"):
        repo = get_artifact_repository(location)
    files: list[tuple[str, int | None]] = []
    pending: list[tuple[str | None, int]] = [(None, 0)]
    while pending:
        folder, depth = pending.pop()
        with calling(conn.uri, f"listing {what}"):
            entries = repo.list_artifacts(folder)
        for entry in entries:
            path = normalise(entry.path or "")
            if path is None or path != entry.path or (folder and not path.startswith(folder + "/")):
                raise MlflowError(Diagnostic("mlflow-unsafe-path", f"{what}: the server listed `{entry.path}`, "
                                             "which is not a plain relative path", Span("--mlflow")))
            if skip is not None and (path == skip or path.startswith(skip + "/")):
                continue  # the model's own folder inside the run: read as the model
            if entry.is_dir:
                if depth >= MAX_DEPTH:
                    raise MlflowError(Diagnostic("mlflow-too-deep", f"{what}: `{path}` is nested more than "
                                                 f"{MAX_DEPTH} folders deep", Span("--mlflow")))
                pending.append((path, depth + 1))
                continue
            size = entry.file_size
            _spend(budget, size or 0, path, what)
            files.append((path, size))
    files.sort()
    target.mkdir(parents=True, exist_ok=True)
    from concurrent.futures import ThreadPoolExecutor

    with calling(conn.uri, f"downloading {what}"), ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
        list(pool.map(lambda item: _fetch(repo, item[0], target), files))  # re-raises the first failure
    for path, size in files:
        local = target / path
        if local.is_symlink() or not local.is_file() or not local.resolve().is_relative_to(target.resolve()):
            raise MlflowError(Diagnostic("mlflow-unsafe-path", f"{what}: `{path}` did not download to a regular "
                                         "file inside the snapshot", Span("--mlflow")))
        actual = local.stat().st_size
        if size is None:
            _spend(budget, actual, path, what, count=False)  # the store did not say: the cap applies to the bytes
        elif actual != size:
            raise MlflowError(Diagnostic("mlflow-download", f"{what}: `{path}` is {actual} bytes, the server "
                                         f"listed {size}", Span("--mlflow"), "try again; if it persists, the "
                                         "artifact store is changing under the pull"))
    return [path for path, _ in files]


def _fetch(repo: Any, path: str, target: Path) -> None:
    """One file to ``target/path`` (already checked to be a plain relative path)."""
    local = target / path
    local.parent.mkdir(parents=True, exist_ok=True)
    single = getattr(repo, "_download_file", None)  # one request; download_artifacts first asks "is it a folder?"
    if callable(single):
        single(remote_file_path=path, local_path=str(local))
    else:  # pragma: no cover - every MLflow artifact repository has it today
        repo.download_artifacts(path, dst_path=str(target))


def _spend(budget: _Budget, size: int, path: str, what: str, *, count: bool = True) -> None:
    budget.files += 1 if count else 0
    budget.bytes += size
    if size > DATA_MAX_BYTES:
        raise _too_large(path, what, size)
    if budget.files > MAX_FILES or budget.bytes > MAX_TOTAL_BYTES:
        raise MlflowError(Diagnostic("mlflow-too-large", f"{what}: more than {MAX_FILES} files or "
                                     f"{MAX_TOTAL_BYTES} bytes in one pull", Span("--mlflow"),
                                     "log bulky outputs elsewhere and reference them by digest"))


def _too_large(path: str, what: str, size: int) -> MlflowError:
    return MlflowError(Diagnostic("mlflow-too-large", f"{what}: `{path}` is {size} bytes; no evidence file may "
                                  f"exceed {DATA_MAX_BYTES}", Span("--mlflow")))


def _run_manifest(root: Path, files: list[str]) -> tuple["Manifest | None", "YamlDocument | None", str | None]:
    """The run's own ``manifest.yaml`` artifact: roles of its artifacts, column and metric mapping."""
    present = [name for name in RUN_MANIFEST_NAMES if name in files]
    if not present:
        return None, None, None
    if len(present) > 1:
        raise MlflowError(Diagnostic("evidence-manifest-ambiguous", "the run logged several manifests: "
                                     + ", ".join(present), Span(present[0]), "log exactly one"))
    from govern.evidence.manifest import load_manifest

    manifest, doc = load_manifest(root / present[0], present[0])
    return manifest, doc, present[0]
