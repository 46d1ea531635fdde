"""The order of a template's stages: its edges, and the cycles and unreachable stages a pack must not have.

It lives with the template model, not with the gate graph, because `govern validate` checks
stage order while loading a pack -- before anything is classified or planned -- and the plan
compiles the same edges into its graph: one definition, so validation and planning cannot
disagree about which stage follows which.
"""

from __future__ import annotations

from govern.policy.model import Template


def stage_edges(template: Template) -> list[tuple[str, str]]:
    """(before, after) pairs: explicit ``after`` lists, else the previous stage in the list."""
    edges: list[tuple[str, str]] = []
    for i, stage in enumerate(template.stages):
        before = stage.after if stage.after is not None else ([template.stages[i - 1].id] if i else [])
        edges.extend((b, stage.id) for b in before)
    return edges


def stage_order_problems(template: Template) -> list[tuple[str, int | None]]:
    """Cycles and unreachable stages, as (message, stage index) pairs.

    Uses the standard library's graphlib: every `govern validate`/`classify` loads a pack,
    and importing networkx for a handful of stages would cost ~100 ms of start-up.
    """
    import graphlib

    ids = [s.id for s in template.stages]
    successors: dict[str, list[str]] = {s: [] for s in ids}
    predecessors: dict[str, set[str]] = {s: set() for s in ids}
    for a, b in stage_edges(template):
        if a in successors and b in successors:
            successors[a].append(b)
            predecessors[b].add(a)
    try:
        graphlib.TopologicalSorter(predecessors).prepare()
    except graphlib.CycleError as exc:
        cycle = list(reversed(exc.args[1]))  # graphlib lists it against the edge direction
        return [(f"stages form a cycle: {' → '.join(cycle)}", ids.index(cycle[0]))]
    problems: list[tuple[str, int | None]] = []
    entries = [s for s in ids if not predecessors[s]]
    if len(entries) != 1:
        problems.append((f"a template needs exactly one entry stage (one with no `after`); found "
                         f"{len(entries)}: {', '.join(entries)}", None))
    if entries:
        reachable, todo = {entries[0]}, [entries[0]]
        while todo:
            for following in successors[todo.pop()]:
                if following not in reachable:
                    reachable.add(following)
                    todo.append(following)
        problems += [(f"stage `{stage}` cannot be reached from `{entries[0]}`", i)
                     for i, stage in enumerate(ids) if stage not in reachable]
    return problems
