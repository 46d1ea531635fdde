"""DVC's ``dvc.lock`` (and ``dvc.yaml`` beside it) → stages, deps and outs with their hashes, as lineage.

``dvc repro`` records in ``dvc.lock`` what each stage actually ran: its command, and the path
and hash of every dependency and output::

    schema: '2.0'
    stages:
      prepare:
        cmd: python src/prepare.py
        deps: [{path: data/german_credit.csv, hash: md5, md5: 3a68…, size: 268042}]
        outs: [{path: data/train.csv, hash: md5, md5: 4e53…, size: 173190}]

Each stage becomes a job (``job:<stage>``, with its command, params and the hashes of its code:
dependencies such as ``src/train.py``) and every other path a dataset (``dataset:<path>``,
relative to the folder of ``dvc.lock``, with ``digest: md5:…`` and ``size``), so lineage.yaml can
tag a DVC path (``registered_source``, ``licence``, ``pii``) by declaring a dataset with that id.
The lock holds the hashes; ``dvc.yaml`` adds what only it knows:

* a stage's job kind: ``meta: {govern: {kind: anonymisation}}`` (else the stage name, when it is
  one of the kinds or their verbs -- ``train``, ``evaluate`` -- else ``other``);
* ``artifacts:`` of ``type: model``: the model node ``model:<name>`` fed by its path, which the
  ``lineage`` check's ``model`` names (a path works too: ``model: model/model.skops``).

A stage of ``dvc.yaml`` missing from ``dvc.lock``, or run with another command than it now
declares, means the lock does not describe the pipeline: an error, with ``dvc repro`` as the fix.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from govern.errors import Diagnostic, InputError
from govern.evidence.lineage_graph import normalise_kind
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import Loc, YamlDocument, load_yaml_text

#: Dependencies with these endings are the stage's code: kept on the job (with their hashes), not
#: made datasets, or every script would be an "unregistered source" of the model.
CODE_SUFFIXES = (".py", ".ipynb", ".r", ".sh", ".sql", ".jl", ".scala", ".java", ".js", ".ts", ".go", ".rs")
#: a lock with more stages or paths than this is not a pipeline description
MAX_ENTRIES = 50_000


@dataclass(frozen=True)
class DvcPath:
    path: str
    digest: str | None
    size: int | None


@dataclass
class DvcStage:
    name: str
    cmd: str
    kind: str
    deps: list[DvcPath] = field(default_factory=list)
    outs: list[DvcPath] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    #: dependencies that are the stage's own source code: what ran, not what it read
    code: list[DvcPath] = field(default_factory=list)


@dataclass
class DvcPipeline:
    file: str
    stages: list[DvcStage]
    #: artifact name → path, for artifacts of type model
    models: dict[str, str] = field(default_factory=dict)
    #: the files read (dvc.lock, and dvc.yaml when present)
    files: list[str] = field(default_factory=list)


def load_dvc(lock: Source, pipeline: Source | None = None) -> DvcPipeline:
    """Read ``dvc.lock`` and, if given, the ``dvc.yaml`` beside it; every problem of both is raised together."""
    lock_doc = _load(lock, "dvc.lock")
    yaml_doc = _load(pipeline, "dvc.yaml") if pipeline is not None else None
    problems: list[Diagnostic] = []
    base = posixpath.dirname(lock_doc.path)
    declared = _declared(yaml_doc, problems) if yaml_doc is not None else {}
    locked = _mapping(lock_doc, lock_doc.data.get("stages"), ("stages",), "`stages`", problems)
    stages: list[DvcStage] = []
    count = 0
    for name, entry in (locked or {}).items():
        loc: Loc = ("stages", name)
        if not isinstance(entry, dict):
            problems.append(lock_doc.diagnostic("dvc-invalid", f"stage `{name}` must be a mapping", loc))
            continue
        meta = declared.get(str(name).split("@")[0], {})
        cmd = _cmd(entry.get("cmd"))
        stage = DvcStage(str(name), cmd, _kind(str(name), meta.get("kind")),
                         params=entry.get("params") if isinstance(entry.get("params"), dict) else {})
        for group in ("deps", "outs"):
            items = entry.get(group) or []
            if not isinstance(items, list):
                problems.append(lock_doc.diagnostic("dvc-invalid", f"`{group}` of stage `{name}` must be a list",
                                                    loc + (group,)))
                continue
            for i, item in enumerate(items):
                count += 1
                if count > MAX_ENTRIES:
                    raise InputError(lock_doc.diagnostic("dvc-too-large", f"more than {MAX_ENTRIES} paths", loc))
                found = _path(lock_doc, item, loc + (group, i), base, problems)
                if found is None:
                    continue
                is_code = group == "deps" and found.path.lower().endswith(CODE_SUFFIXES)
                (stage.code if is_code else getattr(stage, group)).append(found)
        stages.append(stage)
    if yaml_doc is not None:
        _compare(yaml_doc, declared, {s.name.split("@")[0]: s for s in stages}, problems)
    models = _models(yaml_doc, base, problems) if yaml_doc is not None else {}
    if problems:
        raise InputError(problems)
    return DvcPipeline(lock_doc.path, stages, models, [lock_doc.path] + ([yaml_doc.path] if yaml_doc else []))


def _load(source: Source, what: str) -> YamlDocument:
    text, name = read_text(source, "lineage")
    doc = load_yaml_text(text, name)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("stages"), dict):
        raise InputError(doc.diagnostic("dvc-invalid", f"{name} is not a {what}: it needs a `stages` mapping",
                                        hint="dvc.lock and dvc.yaml are written by DVC (`dvc repro`)"))
    return doc


def _mapping(doc: YamlDocument, value: Any, loc: Loc, what: str, problems: list[Diagnostic]) -> dict | None:
    if isinstance(value, dict):
        return value
    problems.append(doc.diagnostic("dvc-invalid", f"{what} must be a mapping", loc))
    return None


def _cmd(value: Any) -> str:
    if isinstance(value, list):
        return " && ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _kind(name: str, declared: Any) -> str:
    if isinstance(declared, str):
        return normalise_kind(declared) or "other"
    return normalise_kind(name) or "other"


def _declared(doc: YamlDocument, problems: list[Diagnostic]) -> dict[str, dict[str, Any]]:
    """dvc.yaml stage → {cmd, kind}; an unknown `meta.govern.kind` is an error at its line."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in doc.data["stages"].items():
        if not isinstance(entry, dict):
            continue
        info: dict[str, Any] = {"cmd": _cmd(entry.get("cmd")), "templated": "foreach" in entry or "matrix" in entry}
        meta = entry.get("meta")
        govern = meta.get("govern") if isinstance(meta, dict) else None
        if isinstance(govern, dict) and "kind" in govern:
            kind = govern["kind"]
            if not isinstance(kind, str) or normalise_kind(kind) is None:
                from govern.evidence.lineage_graph import JOB_KINDS

                problems.append(doc.diagnostic("dvc-invalid", f"unknown job kind {kind!r} for stage `{name}`",
                                               ("stages", name, "meta", "govern", "kind"),
                                               "use one of: " + ", ".join(JOB_KINDS)))
            else:
                info["kind"] = kind
        out[str(name)] = info
    return out


def _path(doc: YamlDocument, item: Any, loc: Loc, base: str, problems: list[Diagnostic]) -> DvcPath | None:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"]:
        problems.append(doc.diagnostic("dvc-invalid", "each dep/out needs a `path`", loc))
        return None
    algorithm = item.get("hash") if isinstance(item.get("hash"), str) else "md5"
    value = item.get(algorithm) if algorithm in item else item.get("md5") or item.get("etag") or item.get("checksum")
    digest = f"{algorithm}:{value}" if isinstance(value, str) and value else None
    size = item.get("size") if isinstance(item.get("size"), int) and not isinstance(item.get("size"), bool) else None
    path = item["path"]
    if "://" not in path:  # remote URLs (dvc import-url) stay as written
        path = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return DvcPath(path, digest, size)


def _compare(doc: YamlDocument, declared: dict[str, dict[str, Any]], locked: dict[str, DvcStage],
             problems: list[Diagnostic]) -> None:
    for name, info in declared.items():
        stage = locked.get(name)
        if stage is None:
            problems.append(doc.diagnostic(
                "dvc-stale-lock", f"stage `{name}` of dvc.yaml has no entry in dvc.lock", ("stages", name),
                "the lock does not describe this pipeline: run `dvc repro` and commit dvc.lock", key=True))
        elif (not info["templated"] and "${" not in info["cmd"] and info["cmd"]
              and info["cmd"] != stage.cmd):
            problems.append(doc.diagnostic(
                "dvc-stale-lock", f"stage `{name}` declares `{info['cmd']}` but dvc.lock records `{stage.cmd}`",
                ("stages", name, "cmd"), "run `dvc repro` and commit dvc.lock"))


def _models(doc: YamlDocument, base: str, problems: list[Diagnostic]) -> dict[str, str]:
    artifacts = doc.data.get("artifacts")
    if artifacts is None:
        return {}
    if not isinstance(artifacts, dict):
        problems.append(doc.diagnostic("dvc-invalid", "`artifacts` must be a mapping", ("artifacts",)))
        return {}
    out: dict[str, str] = {}
    for name, spec in artifacts.items():
        if isinstance(spec, dict) and spec.get("type") == "model" and isinstance(spec.get("path"), str):
            path = spec["path"]
            out[str(name)] = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return out
