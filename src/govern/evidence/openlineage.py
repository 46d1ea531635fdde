"""OpenLineage RunEvent JSON (one event, an array, or JSON Lines) → validated :class:`RunEventRecord` s.

Events are validated with :mod:`jsonschema` against a *minimal* embedded schema of the
fields lineage needs (nothing is fetched from the network: evidence checking must work
offline and must not let a file choose which schema it is judged by). Dataset tags are
read from a custom ``govern`` facet, the standard ``tags`` facet, and ``dataSource``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.errors import Diagnostic, InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.lineage_graph import normalise_kind
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import Loc, YamlDocument

_DATASET = {
    "type": "object",
    "required": ["namespace", "name"],
    "properties": {
        "namespace": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "facets": {"type": "object"},
        "inputFacets": {"type": "object"},
        "outputFacets": {"type": "object"},
    },
}
#: The subset of the OpenLineage RunEvent spec govern relies on.
RUN_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["eventTime", "run", "job"],
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "eventTime": {"type": "string", "minLength": 1},
        "producer": {"type": "string"},
        "schemaURL": {"type": "string"},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string", "minLength": 1}, "facets": {"type": "object"}},
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "facets": {"type": "object"},
            },
        },
        "inputs": {"type": "array", "items": _DATASET},
        "outputs": {"type": "array", "items": _DATASET},
    },
}

#: Events whose outputs were never (completely) written; their inputs still count as read.
NO_OUTPUT_EVENTS = frozenset({"FAIL", "ABORT"})


@dataclass
class DatasetRef:
    namespace: str
    name: str
    tags: dict[str, Any] = field(default_factory=dict)
    registered_source: bool = False
    schema_fields: list[str] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return f"dataset:{self.namespace}/{self.name}"


@dataclass
class RunEventRecord:
    file: str
    line: int
    event_type: str
    event_time: str
    run_id: str
    job_namespace: str
    job_name: str
    job_kind: str | None
    inputs: list[DatasetRef]
    outputs: list[DatasetRef]

    @property
    def job_id(self) -> str:
        return f"job:{self.job_namespace}/{self.job_name}"


def load_openlineage(source: Source) -> list[RunEventRecord]:
    """All events of one file; every schema or tag problem is reported together."""
    text, name = read_text(source, "openlineage")
    docs: list[tuple[YamlDocument, Loc, Any]] = []
    if name.lower().endswith((".jsonl", ".ndjson")):
        for i, line in enumerate(text.split("\n")):
            if line.strip():
                doc = load_json_text(line, name, line_offset=i)
                docs.append((doc, (), doc.data))
    else:
        doc = load_json_text(text, name)
        if isinstance(doc.data, list):
            docs.extend((doc, (i,), item) for i, item in enumerate(doc.data))
        else:
            docs.append((doc, (), doc.data))
    from jsonschema import Draft202012Validator  # imported here: only lineage checks pay for it

    validator = Draft202012Validator(RUN_EVENT_SCHEMA)
    problems: list[Diagnostic] = []
    events: list[RunEventRecord] = []
    for doc, base, event in docs:
        errors = sorted(validator.iter_errors(event), key=lambda e: list(map(str, e.absolute_path)))
        for err in errors:
            loc = base + tuple(err.absolute_path)
            where = ".".join(str(p) for p in err.absolute_path) or "event"
            message = err.message if len(err.message) <= 200 else err.message[:200] + "…"
            problems.append(doc.diagnostic("openlineage-invalid", f"{where}: {message}", loc,
                                           "see https://openlineage.io/spec for the RunEvent format"))
        if not errors:
            events.append(_record(doc, base, event, problems))
    if problems:
        raise InputError(problems)
    return events


def _record(doc: YamlDocument, base: Loc, event: dict[str, Any], problems: list[Diagnostic]) -> RunEventRecord:
    job = event["job"]
    facets = job.get("facets") or {}
    raw_kind = (facets.get("govern") or {}).get("kind") or (facets.get("jobType") or {}).get("jobType")
    kind = normalise_kind(raw_kind) if isinstance(raw_kind, str) else None
    return RunEventRecord(
        file=doc.path, line=doc.span(base).line, event_type=event.get("eventType", "OTHER"),
        event_time=event["eventTime"], run_id=event["run"]["runId"],
        job_namespace=job["namespace"], job_name=job["name"], job_kind=kind,
        inputs=[_dataset(doc, base + ("inputs", i), d, problems) for i, d in enumerate(event.get("inputs", []))],
        outputs=[_dataset(doc, base + ("outputs", i), d, problems) for i, d in enumerate(event.get("outputs", []))],
    )


_BOOL_TAGS = {"pii": "pii", "anonymised": "anonymised", "anonymized": "anonymised",
              "registered_source": "registered_source"}
_STR_TAGS = {"licence": "licence", "license": "licence", "source": "source"}


def _dataset(doc: YamlDocument, loc: Loc, data: dict[str, Any], problems: list[Diagnostic]) -> DatasetRef:
    ref = DatasetRef(data["namespace"], data["name"])
    facets = data.get("facets") or {}
    source = facets.get("dataSource")
    if isinstance(source, dict) and isinstance(source.get("name") or source.get("uri"), str):
        ref.tags["source"] = source.get("name") or source.get("uri")
    schema = facets.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        ref.schema_fields = [f["name"] for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    tag_facet = facets.get("tags")
    if isinstance(tag_facet, dict) and isinstance(tag_facet.get("tags"), list):
        for i, tag in enumerate(tag_facet["tags"]):
            if isinstance(tag, dict) and isinstance(tag.get("key"), str):
                _set_tag(ref, tag["key"], tag.get("value"), doc, loc + ("facets", "tags", "tags", i, "value"), problems)
    custom = facets.get("govern")
    if isinstance(custom, dict):
        for key, value in custom.items():
            if not key.startswith("_"):
                _set_tag(ref, key, value, doc, loc + ("facets", "govern", key), problems)
    return ref


def _set_tag(ref: DatasetRef, key: str, value: Any, doc: YamlDocument, loc: Loc, problems: list[Diagnostic]) -> None:
    lowered = key.lower()
    if lowered in _BOOL_TAGS:
        flag = _as_bool(value)
        if flag is None:
            problems.append(doc.diagnostic("lineage-bad-tag", f"tag `{key}` must be true or false, got {value!r}", loc))
            return
        name = _BOOL_TAGS[lowered]
        if name == "registered_source":
            ref.registered_source = flag
        else:
            ref.tags[name] = flag
    elif lowered in _STR_TAGS:
        if not isinstance(value, str) or not value.strip():
            problems.append(doc.diagnostic("lineage-bad-tag", f"tag `{key}` must be a non-empty string", loc))
            return
        ref.tags[_STR_TAGS[lowered]] = value
    else:
        ref.tags[key] = value


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
