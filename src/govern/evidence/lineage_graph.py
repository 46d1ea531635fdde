"""A lineage ``networkx.DiGraph`` → the offending paths the ``lineage`` check reports.

Graph conventions (shared by the YAML and OpenLineage readers):

* node ids are ``dataset:<id>``, ``job:<id>`` and ``model:<id>`` (OpenLineage ids are
  ``<namespace>/<name>``); edges run dataset → job → dataset and dataset → model;
* node attributes: ``type`` (dataset|job|model), for datasets ``tags`` (``pii``,
  ``anonymised``, ``licence``, ``source`` …) and ``registered_source``; for jobs ``kind``;
  ``origins`` lists the evidence files that mentioned the node.

Every query returns a sorted list of paths (lists of node ids), empty when the rule
holds, so a report can show exactly *how* a rule is broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:  # networkx is only needed by callers that already built a graph
    import networkx as nx

JOB_KINDS = ("ingestion", "transformation", "anonymisation", "training", "evaluation", "export", "other")
_KIND_ALIASES = {"anonymization": "anonymisation", "anonymise": "anonymisation", "anonymize": "anonymisation",
                 "pseudonymisation": "anonymisation", "pseudonymization": "anonymisation",
                 "train": "training", "transform": "transformation", "etl": "transformation",
                 "ingest": "ingestion", "evaluate": "evaluation"}


def normalise_kind(kind: str) -> str | None:
    """A job kind in govern's vocabulary (US spellings and verbs accepted), or None if unknown.

    Pseudonymisation counts as anonymisation here: the lineage rule is about direct
    identifiers being removed before training; stricter packs can require a tag instead.
    """
    key = kind.strip().lower().replace("-", "_").replace(" ", "_")
    key = _KIND_ALIASES.get(key, key)
    return key if key in JOB_KINDS else None


def model_node(g: nx.DiGraph, model_id: str) -> str:
    """The node for ``model_id``: as given, or as ``model:<id>``, or as ``dataset:<id>``."""
    for candidate in (model_id, f"model:{model_id}", f"dataset:{model_id}"):
        if candidate in g:
            return candidate
    raise InputError(Diagnostic("lineage-model-missing", f"the lineage has no model `{model_id}`",
                                Span(", ".join(g.graph.get("files", [])) or "lineage"),
                                "declare it under `models:` in lineage.yaml, or name an OpenLineage dataset"))


def _is_registered(g: nx.DiGraph, node: str) -> bool:
    data = g.nodes[node]
    return data.get("type") == "dataset" and bool(data.get("registered_source"))


def unregistered_training_inputs(g: nx.DiGraph, model_id: str) -> list[list[str]]:
    """Paths from an unregistered origin to the model.

    Walking upstream from the model, a registered dataset ends the walk (its provenance
    is the registry's business). Every other walk must end there too: a node (or a cycle)
    with nothing upstream that is not registered is an *unregistered origin*. A model with
    no inputs at all is reported as ``[[model]]``: lineage that proves nothing fails closed.
    """
    import networkx as nx

    model = model_node(g, model_id)
    if g.in_degree(model) == 0:
        return [[model]]
    open_graph = g.subgraph(n for n in g if not _is_registered(g, n) or n == model)
    upstream = nx.ancestors(open_graph, model) | {model}
    sub = open_graph.subgraph(upstream)
    cond = nx.condensation(sub)
    paths: list[list[str]] = []
    for component in cond:
        if cond.in_degree(component) or model in cond.nodes[component]["members"]:
            continue
        members = cond.nodes[component]["members"]
        grounded = any(p not in members for m in members for p in g.predecessors(m))
        if not grounded:
            origin = min(members)
            paths.append(nx.shortest_path(sub, origin, model))
    return sorted(paths)


def pii_without_anonymisation(g: nx.DiGraph, model_id: str) -> list[list[str]]:
    """Paths from a PII dataset (tagged ``pii`` and not ``anonymised``) to the model avoiding every anonymisation job."""
    import networkx as nx

    model = model_node(g, model_id)
    safe = g.subgraph(n for n in g if not (g.nodes[n].get("type") == "job"
                                            and g.nodes[n].get("kind") == "anonymisation"))
    paths: list[list[str]] = []
    for node in sorted(nx.ancestors(g, model)):
        tags = g.nodes[node].get("tags") or {}
        if g.nodes[node].get("type") != "dataset" or not tags.get("pii") or tags.get("anonymised"):
            continue
        if node in safe and nx.has_path(safe, node, model):
            paths.append(nx.shortest_path(safe, node, model))
    return sorted(paths)


def sources_without_licence(g: nx.DiGraph) -> list[list[str]]:
    """Sources (datasets with nothing upstream, or registered sources) lacking a ``licence`` tag."""
    out: list[list[str]] = []
    for node in sorted(g):
        data = g.nodes[node]
        if data.get("type") != "dataset":
            continue
        if g.in_degree(node) and not data.get("registered_source"):
            continue
        licence = (data.get("tags") or {}).get("licence")
        if not isinstance(licence, str) or not licence.strip():
            out.append([node])
    return out
