"""A small directed graph with the part of ``networkx.DiGraph``'s interface lineage uses, and its queries.

Why not networkx itself: importing it costs ~130 ms CPU, a fifth of what `govern check` adds
to a data check's own libraries, for a graph of a few dozen nodes and four queries. This
class keeps networkx's conventions where results depend on them -- nodes and each node's
neighbours iterate in insertion order, ``edges`` runs node by node through its successors,
and :func:`shortest_path` is networkx's bidirectional breadth-first search, step for step,
so that among equally short paths it returns the same one (a lineage violation's text is
part of the decision and its digest). A test compares every query with networkx on random
graphs. :meth:`DiGraph.to_networkx` gives the real thing to API users who want its algorithms.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Iterator

Node = Hashable


class NoPath(ValueError):
    """No path joins the two nodes (networkx raises ``NetworkXNoPath`` there)."""


class NodeView:
    """``graph.nodes``: iterate the nodes in insertion order, ``nodes[n]`` is n's attribute dict."""

    def __init__(self, attrs: dict[Node, dict[str, Any]]) -> None:
        self._attrs = attrs

    def __getitem__(self, node: Node) -> dict[str, Any]:
        return self._attrs[node]

    def __iter__(self) -> Iterator[Node]:
        return iter(self._attrs)

    def __len__(self) -> int:
        return len(self._attrs)

    def __contains__(self, node: object) -> bool:
        return node in self._attrs

    def __call__(self, data: bool = False) -> Any:
        return list(self._attrs.items()) if data else list(self._attrs)


class DiGraph:
    """Nodes with attribute dicts, directed edges without attributes (lineage gives them none)."""

    def __init__(self) -> None:
        self.graph: dict[str, Any] = {}
        self._attrs: dict[Node, dict[str, Any]] = {}
        self.succ: dict[Node, dict[Node, None]] = {}
        self.pred: dict[Node, dict[Node, None]] = {}

    # -- building ---------------------------------------------------------------------------
    def add_node(self, node: Node, **attrs: Any) -> None:
        if node not in self._attrs:
            self._attrs[node] = {}
            self.succ[node] = {}
            self.pred[node] = {}
        self._attrs[node].update(attrs)

    def add_edge(self, u: Node, v: Node) -> None:
        self.add_node(u)
        self.add_node(v)
        self.succ[u][v] = None
        self.pred[v][u] = None

    def remove_edge(self, u: Node, v: Node) -> None:
        try:
            del self.succ[u][v]
            del self.pred[v][u]
        except KeyError:
            raise KeyError(f"the edge {u}-{v} is not in the graph") from None

    # -- reading ----------------------------------------------------------------------------
    @property
    def nodes(self) -> NodeView:
        return NodeView(self._attrs)

    @property
    def edges(self) -> list[tuple[Node, Node]]:
        return [(u, v) for u, nbrs in self.succ.items() for v in nbrs]

    def __contains__(self, node: object) -> bool:
        return node in self._attrs

    def __iter__(self) -> Iterator[Node]:
        return iter(self._attrs)

    def __len__(self) -> int:
        return len(self._attrs)

    def has_edge(self, u: Node, v: Node) -> bool:
        return v in self.succ.get(u, ())

    def successors(self, node: Node) -> Iterator[Node]:
        return iter(self.succ[node])

    def predecessors(self, node: Node) -> Iterator[Node]:
        return iter(self.pred[node])

    def in_degree(self, node: Node) -> int:
        return len(self.pred[node])

    def subgraph(self, nodes: Iterable[Node]) -> "DiGraph":
        """The induced subgraph (a copy of the structure sharing the attribute dicts), in this graph's order."""
        keep = {n for n in nodes if n in self._attrs}
        sub = DiGraph()
        sub.graph = self.graph
        for n in self._attrs:
            if n in keep:
                sub._attrs[n] = self._attrs[n]
                sub.succ[n] = {v: None for v in self.succ[n] if v in keep}
                sub.pred[n] = {u: None for u in self.pred[n] if u in keep}
        return sub

    def to_networkx(self) -> Any:
        """The same graph as a ``networkx.DiGraph`` (imports networkx), for callers wanting its algorithms."""
        import networkx as nx

        g = nx.DiGraph()
        g.graph.update(self.graph)
        for n, data in self._attrs.items():
            g.add_node(n, **data)
        g.add_edges_from(self.edges)
        return g


# -- queries --------------------------------------------------------------------------------

def ancestors(g: DiGraph, node: Node) -> set[Node]:
    """Every node with a path to ``node``; never ``node`` itself, even on a cycle (as networkx)."""
    seen: set[Node] = set()
    todo = [node]
    while todo:
        for p in g.pred[todo.pop()]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    seen.discard(node)
    return seen


def has_path(g: DiGraph, source: Node, target: Node) -> bool:
    try:
        shortest_path(g, source, target)
    except NoPath:
        return False
    return True


def shortest_path(g: DiGraph, source: Node, target: Node) -> list[Node]:
    """networkx's ``bidirectional_shortest_path``: alternate the smaller fringe, stop at the first meeting."""
    if source not in g or target not in g:
        raise KeyError(f"{source if source not in g else target} is not in the graph")
    pred: dict[Node, Node | None] = {source: None}
    succ: dict[Node, Node | None] = {target: None}
    meet = source if source == target else _meet(g, pred, succ, source, target)
    path = []
    w: Node | None = meet
    while w is not None:
        path.append(w)
        w = pred[w]
    path.reverse()
    w = succ[path[-1]]
    while w is not None:
        path.append(w)
        w = succ[w]
    return path


def _meet(g: DiGraph, pred: dict[Node, Node | None], succ: dict[Node, Node | None], source: Node,
          target: Node) -> Node:
    forward, reverse = [source], [target]
    while forward and reverse:
        if len(forward) <= len(reverse):
            level, forward = forward, []
            for v in level:
                for w in g.succ[v]:
                    if w not in pred:
                        forward.append(w)
                        pred[w] = v
                    if w in succ:
                        return w
        else:
            level, reverse = reverse, []
            for v in level:
                for w in g.pred[v]:
                    if w not in succ:
                        succ[w] = v
                        reverse.append(w)
                    if w in pred:
                        return w
    raise NoPath(f"no path from {source} to {target}")


def strongly_connected_components(g: DiGraph) -> list[set[Node]]:
    """Tarjan's algorithm, iteratively (a long chain must not hit the recursion limit)."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    out: list[set[Node]] = []
    counter = 0
    for root in g:
        if root in index:
            continue
        work = [(root, iter(g.succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(g.succ[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def source_components(g: DiGraph) -> list[set[Node]]:
    """The strongly connected components no edge enters from outside: the condensation's sources."""
    components = strongly_connected_components(g)
    owner = {n: i for i, members in enumerate(components) for n in members}
    entered = {owner[v] for u, v in g.edges if owner[u] != owner[v]}
    return [members for i, members in enumerate(components) if i not in entered]
