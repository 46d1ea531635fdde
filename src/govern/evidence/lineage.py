"""Lineage YAML, OpenLineage events and DVC locks → one ``networkx.DiGraph`` (see :mod:`lineage_graph`).

DVC's ``dvc.lock``/``dvc.yaml`` are read by :mod:`govern.evidence.readers.dvc` and come first, so
the YAML below can tag a DVC path by declaring a dataset whose id is that path.

The YAML form is for teams without an OpenLineage backend::

    datasets:
      - id: raw_applicants                      # node "dataset:raw_applicants"
        registered_source: true                 # listed in the organisation's data registry
        tags: {pii: true, licence: internal, source: core-banking, anonymised: false}
    jobs:
      - id: anonymise                           # node "job:anonymise"
        kind: anonymisation                     # ingestion|transformation|anonymisation|training|evaluation|export|other
        inputs: [raw_applicants]
        outputs: [applicants_anon]
    models:
      - id: credit_model                        # node "model:credit_model"
        trained_on: [applicants_anon]

References (``inputs``, ``outputs``, ``trained_on``) name dataset ids; an OpenLineage
dataset is named ``<namespace>/<name>``, so YAML can add tags to, or train a model on,
a dataset that only the OpenLineage events describe. Declaring the same dataset in both
merges the tags conservatively: ``pii`` and ``registered_source`` are true if any source
says so, strings keep the first value given (YAML first, then events in file order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Iterable

from pydantic import (
    AliasChoices, BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints, field_validator,
)

from govern.errors import Diagnostic, GovernError, InputError, Span
from govern.evidence.lineage_graph import (
    JOB_KINDS, normalise_kind, pii_without_anonymisation, sources_without_licence, unregistered_training_inputs,
)
from govern.evidence.openlineage import NO_OUTPUT_EVENTS, RunEventRecord, load_openlineage
from govern.evidence.reading import Source, read_text
from govern.evidence.validation import validate
from govern.load.safe_yaml import Loc, YamlDocument, load_yaml_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "LineageSpec", "load_lineage_yaml", "build_lineage", "lineage_from_bundle", "JOB_KINDS",
    "unregistered_training_inputs", "pii_without_anonymisation", "sources_without_licence",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


IdStr = Annotated[str, StringConstraints(strict=True, min_length=1)]


class Tags(_Strict):
    pii: StrictBool = False
    anonymised: StrictBool = Field(False, validation_alias=AliasChoices("anonymised", "anonymized"))
    licence: StrictStr | None = Field(None, min_length=1, validation_alias=AliasChoices("licence", "license"))
    source: StrictStr | None = Field(None, min_length=1)


class DatasetSpec(_Strict):
    id: IdStr
    registered_source: StrictBool = False
    tags: Tags = Tags()
    description: StrictStr | None = None


class JobSpec(_Strict):
    id: IdStr
    kind: StrictStr
    inputs: list[StrictStr] = []
    outputs: list[StrictStr] = []
    description: StrictStr | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        kind = normalise_kind(value)
        if kind is None:
            raise ValueError(f"unknown job kind {value!r}; use one of: " + ", ".join(JOB_KINDS))
        return kind


class ModelSpec(_Strict):
    id: IdStr
    trained_on: list[StrictStr] = Field(min_length=1)


class LineageSpec(_Strict):
    datasets: list[DatasetSpec] = []
    jobs: list[JobSpec] = []
    models: list[ModelSpec] = []


def load_lineage_yaml(source: Source) -> tuple[LineageSpec, YamlDocument]:
    """Validate a lineage YAML file, including unique ids per kind."""
    text, name = read_text(source, "lineage")
    doc = load_yaml_text(text, name)
    if not isinstance(doc.data, dict):
        raise InputError(doc.diagnostic("lineage-invalid", "lineage YAML must be a mapping with "
                                        "`datasets`, `jobs` and `models`"))
    spec = validate(LineageSpec, doc, "lineage-invalid")
    problems: list[Diagnostic] = []
    for group in ("datasets", "jobs", "models"):
        first: dict[str, int] = {}
        for i, item in enumerate(getattr(spec, group)):
            if item.id in first:
                problems.append(doc.diagnostic("lineage-duplicate-id",
                                               f"duplicate {group[:-1]} id `{item.id}` (first at {group}[{first[item.id]}])",
                                               (group, i, "id")))
            first.setdefault(item.id, i)
    if problems:
        raise InputError(problems)
    return spec, doc


@dataclass
class _Builder:
    graph: Any
    problems: list[Diagnostic] = field(default_factory=list)
    refs: list[tuple[str, YamlDocument, Loc]] = field(default_factory=list)

    def node(self, node_id: str, node_type: str, origin: str, **attrs: Any) -> None:
        g = self.graph
        g.add_node(node_id)  # no-op if present (maybe created bare by an edge)
        data = g.nodes[node_id]
        data.setdefault("type", node_type)
        data.setdefault("origins", [])
        data.setdefault("tags", {})
        data.setdefault("registered_source", False)
        if origin not in data["origins"]:
            data["origins"].append(origin)
        for key, value in attrs.items():
            if key == "tags":
                _merge_tags(data["tags"], value)
            elif key == "registered_source":
                data[key] = data[key] or bool(value)
            elif value is not None and data.get(key) is None:
                data[key] = value

    def add_yaml(self, spec: LineageSpec, doc: YamlDocument) -> None:
        for ds in spec.datasets:
            self.node(f"dataset:{ds.id}", "dataset", doc.path, registered_source=ds.registered_source,
                      tags=ds.tags.model_dump(exclude_unset=True, exclude_none=True))
        for i, job in enumerate(spec.jobs):
            job_id = f"job:{job.id}"
            self.node(job_id, "job", doc.path, kind=job.kind)
            for j, ref in enumerate(job.inputs):
                self.refs.append((ref, doc, ("jobs", i, "inputs", j)))
                self.graph.add_edge(f"dataset:{ref}", job_id)
            for j, ref in enumerate(job.outputs):
                self.refs.append((ref, doc, ("jobs", i, "outputs", j)))
                self.graph.add_edge(job_id, f"dataset:{ref}")
        for i, model in enumerate(spec.models):
            model_id = f"model:{model.id}"
            self.node(model_id, "model", doc.path)
            for j, ref in enumerate(model.trained_on):
                self.refs.append((ref, doc, ("models", i, "trained_on", j)))
                self.graph.add_edge(f"dataset:{ref}", model_id)

    def add_event(self, event: RunEventRecord) -> None:
        self.node(event.job_id, "job", event.file, kind=event.job_kind)
        for ds in event.inputs:
            self._dataset(ds, event.file)
            self.graph.add_edge(ds.node_id, event.job_id)
        if event.event_type in NO_OUTPUT_EVENTS:
            return
        for ds in event.outputs:
            self._dataset(ds, event.file)
            self.graph.add_edge(event.job_id, ds.node_id)

    def add_dvc(self, pipeline: Any) -> None:
        """A DVC pipeline (:mod:`govern.evidence.readers.dvc`): stages as jobs, paths as datasets with hashes."""
        for stage in pipeline.stages:
            job_id = f"job:{stage.name}"
            self.node(job_id, "job", pipeline.file, kind=stage.kind, command=stage.cmd, params=stage.params or None,
                      code=[{"path": c.path, "digest": c.digest} for c in stage.code] or None)
            for group, edge in (("deps", lambda d: (d, job_id)), ("outs", lambda d: (job_id, d))):
                for item in getattr(stage, group):
                    node_id = f"dataset:{item.path}"
                    self.node(node_id, "dataset", pipeline.file, name=item.path, digest=item.digest, size=item.size)
                    self.graph.add_edge(*edge(node_id))
        for name, path in pipeline.models.items():
            model_id = f"model:{name}"
            self.node(model_id, "model", pipeline.files[-1])
            self.node(f"dataset:{path}", "dataset", pipeline.files[-1], name=path)
            self.graph.add_edge(f"dataset:{path}", model_id)

    def _dataset(self, ds: Any, origin: str) -> None:
        self.node(ds.node_id, "dataset", origin, tags=ds.tags, registered_source=ds.registered_source,
                  namespace=ds.namespace, name=ds.name, schema_fields=ds.schema_fields or None)

    def check_refs(self) -> None:
        """Every YAML reference must name a dataset declared in YAML or seen in an event."""
        for ref, doc, loc in self.refs:
            data = self.graph.nodes[f"dataset:{ref}"]
            if data.get("type") != "dataset":
                self.problems.append(doc.diagnostic(
                    "lineage-unknown-ref", f"`{ref}` is not a declared dataset", loc,
                    "declare it under `datasets:` (OpenLineage datasets are named `<namespace>/<name>`)"))


def _merge_tags(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if key in ("pii", "anonymised", "registered_source") and isinstance(value, bool):
            into[key] = bool(into.get(key)) or value
        elif into.get(key) is None:
            into[key] = value


def build_lineage(yaml_sources: Iterable[Source] = (), openlineage_sources: Iterable[Source] = (),
                  dvc_sources: Iterable[tuple[Source, Source | None]] = ()) -> nx.DiGraph:
    """One graph from all sources; all problems of all files are raised together.

    DVC pipelines come first so that lineage.yaml can tag their paths and OpenLineage events add to them.
    """
    import networkx as nx

    from govern.evidence.readers.dvc import load_dvc

    builder = _Builder(nx.DiGraph())
    files: list[str] = []
    for lock, declared in dvc_sources:
        try:
            pipeline = load_dvc(lock, declared)
        except GovernError as exc:
            builder.problems.extend(exc.diagnostics)
            continue
        files.extend(pipeline.files)
        builder.add_dvc(pipeline)
    for src in yaml_sources:
        try:
            spec, doc = load_lineage_yaml(src)
        except GovernError as exc:
            builder.problems.extend(exc.diagnostics)
            continue
        files.append(doc.path)
        builder.add_yaml(spec, doc)
    for src in openlineage_sources:
        try:
            events = load_openlineage(src)
        except GovernError as exc:
            builder.problems.extend(exc.diagnostics)
            continue
        for event in sorted(events, key=lambda e: (e.event_time, e.line)):
            if event.file not in files:
                files.append(event.file)
            builder.add_event(event)
    if not builder.problems:
        builder.check_refs()
    if builder.problems:
        raise InputError(builder.problems)
    builder.graph.graph["files"] = files
    return builder.graph


def lineage_from_bundle(bundle: Any) -> nx.DiGraph:
    """The graph of a bundle's ``lineage`` and ``openlineage`` files (an error if it has neither)."""
    yaml_files, dvc = dvc_files(bundle.files_with_role("lineage"))
    events = bundle.files_with_role("openlineage")
    if not yaml_files and not events and not dvc:
        raise InputError(Diagnostic("evidence-missing", "the evidence bundle has no lineage "
                                    "(lineage.yaml, openlineage/*.json or dvc.lock)"))
    return build_lineage(yaml_files, events, dvc)


def dvc_files(files: list[Any]) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """Split lineage files into lineage YAML and (dvc.lock, the dvc.yaml of the same folder or None).

    A dvc.yaml without its dvc.lock has no hashes: it says what would run, not what ran.
    """
    by_name = {f.path: f for f in files}
    plain, pairs = [], []
    for f in files:
        folder, _, base = f.path.rpartition("/")
        prefix = f"{folder}/" if folder else ""
        if base == "dvc.lock":
            pairs.append((f, by_name.get(prefix + "dvc.yaml") or by_name.get(prefix + "dvc.yml")))
        elif base in ("dvc.yaml", "dvc.yml"):
            if prefix + "dvc.lock" not in by_name:
                raise InputError(Diagnostic("evidence-missing", f"{f.path} has no dvc.lock beside it",
                                            Span(f.path), "the lock holds what ran and its hashes: add the "
                                            "dvc.lock `dvc repro` wrote"))
        else:
            plain.append(f)
    return plain, pairs
