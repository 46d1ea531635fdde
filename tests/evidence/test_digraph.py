"""The lineage graph and its queries give what networkx gives, and `conforms` what jsonschema says.

Both replace a library on `govern check`'s path for start-up time; a violation's path is in
the decision, so the replacement must pick the same path among equally short ones, and
accept exactly the events the schema accepts. Checked here against the libraries on random
graphs and generated events (both libraries are test dependencies).
"""

from __future__ import annotations

import copy
import random
import subprocess
import sys

import networkx as nx
import pytest
from jsonschema import Draft202012Validator

from govern.evidence import digraph
from govern.evidence.lineage_graph import pii_without_anonymisation, unregistered_training_inputs
from govern.evidence.openlineage import RUN_EVENT_SCHEMA, conforms


def random_graphs(count: int, seed: int = 20261127):
    """Pairs of equal graphs (ours, networkx's), built by the same calls: small, with cycles and ties."""
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(1, 14)
        names = [f"{rng.choice(['dataset', 'job'])}:{rng.randint(0, 99)}" for _ in range(n)] + ["model:m"]
        calls: list[tuple] = [("node", "model:m")]
        for _ in range(rng.randint(0, 3 * n)):
            u, v = rng.choice(names), rng.choice(names)
            calls.append(("node", u) if rng.random() < 0.3 or u == v else ("edge", u, v))
        attrs = {name: {"type": name.split(":")[0], "registered_source": rng.random() < 0.2,
                        "kind": "anonymisation" if rng.random() < 0.3 else "training",
                        "tags": {"pii": rng.random() < 0.5, "anonymised": rng.random() < 0.2}} for name in names}
        pair = digraph.DiGraph(), nx.DiGraph()
        for g in pair:
            for call in calls:
                g.add_node(call[1]) if call[0] == "node" else g.add_edge(call[1], call[2])
            for node in list(g):
                g.nodes[node].update(copy.deepcopy(attrs[node]))
        yield pair


@pytest.mark.parametrize("pair", list(random_graphs(300)), ids=lambda _: "")
def test_graph_and_queries_match_networkx(pair) -> None:
    ours, theirs = pair
    assert list(ours) == list(theirs) and ours.edges == list(theirs.edges)
    assert [ours.nodes[n] for n in ours] == [theirs.nodes[n] for n in theirs]
    for node in ours:
        assert list(ours.successors(node)) == list(theirs.successors(node))
        assert list(ours.predecessors(node)) == list(theirs.predecessors(node))
        assert ours.in_degree(node) == theirs.in_degree(node)
        assert digraph.ancestors(ours, node) == nx.ancestors(theirs, node)
        for target in ours:
            assert digraph.has_path(ours, node, target) == nx.has_path(theirs, node, target)
            if nx.has_path(theirs, node, target):
                assert digraph.shortest_path(ours, node, target) == nx.shortest_path(theirs, node, target)
            else:
                with pytest.raises(digraph.NoPath):
                    digraph.shortest_path(ours, node, target)
    assert sorted(map(sorted, digraph.strongly_connected_components(ours))) == \
        sorted(map(sorted, nx.strongly_connected_components(theirs)))
    cond = nx.condensation(theirs)
    sources = [cond.nodes[c]["members"] for c in cond if cond.in_degree(c) == 0]
    assert sorted(map(sorted, digraph.source_components(ours))) == sorted(map(sorted, sources))
    sub = ours.subgraph(n for n in ours if not ours.nodes[n]["registered_source"])
    nx_sub = theirs.subgraph(n for n in theirs if not theirs.nodes[n]["registered_source"])
    assert list(sub) == [n for n in theirs if n in nx_sub] and set(sub.edges) == set(nx_sub.edges)
    for node in sub:
        assert list(sub.successors(node)) == list(nx_sub.successors(node))
    assert ours.to_networkx().edges == theirs.edges


def _networkx_unregistered(g: nx.DiGraph, model: str) -> list[list[str]]:
    """The rule as it was written with networkx (before govern.evidence.digraph)."""
    if g.in_degree(model) == 0:
        return [[model]]
    open_graph = g.subgraph(n for n in g if not (g.nodes[n].get("type") == "dataset"
                                                 and g.nodes[n].get("registered_source")) or n == model)
    sub = open_graph.subgraph(nx.ancestors(open_graph, model) | {model})
    cond = nx.condensation(sub)
    paths = []
    for component in cond:
        members = cond.nodes[component]["members"]
        if cond.in_degree(component) or model in members:
            continue
        if not any(p not in members for m in members for p in g.predecessors(m)):
            paths.append(nx.shortest_path(sub, min(members), model))
    return sorted(paths)


def _networkx_pii(g: nx.DiGraph, model: str) -> list[list[str]]:
    safe = g.subgraph(n for n in g if not (g.nodes[n].get("type") == "job"
                                            and g.nodes[n].get("kind") == "anonymisation"))
    paths = []
    for node in sorted(nx.ancestors(g, model)):
        tags = g.nodes[node].get("tags") or {}
        if g.nodes[node].get("type") != "dataset" or not tags.get("pii") or tags.get("anonymised"):
            continue
        if node in safe and nx.has_path(safe, node, model):
            paths.append(nx.shortest_path(safe, node, model))
    return sorted(paths)


@pytest.mark.parametrize("pair", list(random_graphs(300, seed=7)), ids=lambda _: "")
def test_lineage_rules_match_their_networkx_form(pair) -> None:
    ours, theirs = pair
    assert unregistered_training_inputs(ours, "model:m") == _networkx_unregistered(theirs, "model:m")
    assert pii_without_anonymisation(ours, "model:m") == _networkx_pii(theirs, "model:m")


def _events(count: int, seed: int = 11):
    """Valid RunEvents, then each mutated at one random place into something valid or not."""
    rng = random.Random(seed)
    dataset = {"namespace": "pg", "name": "crm.customers", "facets": {"schema": {"fields": []}}}
    base = {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "u",
            "run": {"runId": "r-1", "facets": {}}, "job": {"namespace": "n", "name": "train", "facets": {}},
            "inputs": [dataset], "outputs": [dict(dataset, name="out", outputFacets={})]}
    odd = [None, 0, 1.5, True, "", "x", [], {}, ["a"], {"k": 1}, "COMPLETE", "FAIL"]
    for _ in range(count):
        event = copy.deepcopy(base)
        for _ in range(rng.randint(0, 3)):
            paths = [("eventType",), ("eventTime",), ("producer",), ("schemaURL",), ("run",), ("run", "runId"),
                     ("run", "facets"), ("job",), ("job", "namespace"), ("job", "name"), ("job", "facets"),
                     ("inputs",), ("outputs",), ("inputs", 0), ("inputs", 0, "name"), ("inputs", 0, "namespace"),
                     ("inputs", 0, "facets"), ("outputs", 0, "inputFacets"), ("outputs", 0, "outputFacets")]
            path = rng.choice(paths)
            target = event
            try:
                for key in path[:-1]:
                    target = target[key]
                if rng.random() < 0.25 and isinstance(target, dict):
                    target.pop(path[-1], None)
                else:
                    target[path[-1]] = copy.deepcopy(rng.choice(odd))
            except (KeyError, IndexError, TypeError):
                pass
        yield event
    yield from odd


def test_conforms_agrees_with_jsonschema() -> None:
    validator = Draft202012Validator(RUN_EVENT_SCHEMA)
    verdicts = [(conforms(e), validator.is_valid(e), e) for e in _events(3000)]
    assert [e for ours, theirs, e in verdicts if ours != theirs] == []
    assert {ours for ours, _, _ in verdicts} == {True, False}  # both verdicts are exercised


def test_lineage_check_imports_neither_networkx_nor_jsonschema(fixture_bundle) -> None:
    code = ("import sys\nfrom govern.evidence.bundle import EvidenceBundle\n"
            "from govern.evidence.lineage import lineage_from_bundle\n"
            "from govern.evidence.lineage_graph import unregistered_training_inputs\n"
            f"g = lineage_from_bundle(EvidenceBundle.open({str(fixture_bundle)!r}))\n"
            "unregistered_training_inputs(g, 'credit-risk-gbm')\n"
            "print(sorted(m for m in ('networkx', 'jsonschema') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
