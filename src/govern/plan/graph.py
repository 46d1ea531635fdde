"""Classified use case + the tier's template → the gate graph (a ``networkx.DiGraph``).

Nodes are gates -- one per stage, guarding entry into it -- carrying the checks, sign-offs,
documents and RACI roles that apply to this use case; edges are the order of stages. A
requirement with a ``when`` condition applies unless that condition is false (an
undetermined applicability keeps the requirement: fail closed). The plan is deterministic
and has a digest over the policy digest, the use-case digest and the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.canonical import digest
from govern.dsl.values import UNDETERMINED, EvalError
from govern.policy.model import CheckSpec, DocumentSpec, SignoffSpec, StageSpec, Template

if TYPE_CHECKING:
    import networkx as nx

    from govern.classification import Classification
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy

PROHIBITED_GATE = "deployment"


@dataclass(frozen=True)
class Requirement:
    """A check, sign-off or document required at a gate, with where the policy asked for it."""

    kind: str  # check | signoff | document
    spec: CheckSpec | SignoffSpec | DocumentSpec
    location: str
    applicability: str  # always | applies | undetermined

    @property
    def id(self) -> str:
        spec = self.spec
        return spec.key if isinstance(spec, SignoffSpec) else spec.id

    def to_dict(self) -> dict[str, Any]:
        data = self.spec.model_dump(mode="json", exclude_none=True)
        data["location"] = self.location
        if self.applicability != "always":
            data["applicability"] = self.applicability
        return data


@dataclass(frozen=True)
class Gate:
    id: str
    title: str
    after: tuple[str, ...]
    raci: dict[str, str]
    checks: tuple[Requirement, ...] = ()
    signoffs: tuple[Requirement, ...] = ()
    documents: tuple[Requirement, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "after": list(self.after), "raci": dict(sorted(self.raci.items())),
            "checks": [c.to_dict() for c in self.checks],
            "signoffs": [s.to_dict() for s in self.signoffs],
            "documents": [d.to_dict() for d in self.documents],
        }


@dataclass
class Plan:
    tier: str
    use_case_id: str
    policy_digest: str
    use_case_digest: str
    template_file: str | None
    gates: dict[str, Gate] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    digest: str = ""
    _graph: "nx.DiGraph | None" = field(default=None, repr=False, compare=False)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return sorted((before, gate.id) for gate in self.gates.values() for before in gate.after)

    @property
    def graph(self) -> "nx.DiGraph":
        """The gate graph as a ``networkx.DiGraph`` (nodes carry their ``gate``), built on first use.

        Evaluation walks ``order`` and ``after`` and never needs it, so `govern check` does not
        pay networkx's ~80 ms import; diagrams, DOT output and API users get the real graph.
        """
        if self._graph is None:
            import networkx as nx

            g = nx.DiGraph()
            for gate_id in self.order:
                g.add_node(gate_id, gate=self.gates[gate_id])
            g.add_edges_from(self.edges)
            self._graph = g
        return self._graph

    def predecessors(self, gate_id: str) -> list[str]:
        return [g for g in self.order if g in self.gates[gate_id].after]

    def ancestors(self, gate_id: str) -> set[str]:
        found: set[str] = set()
        todo = list(self.gates[gate_id].after)
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.gates[current].after)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case_id,
            "tier": self.tier,
            "policy_digest": self.policy_digest,
            "use_case_digest": self.use_case_digest,
            "template": self.template_file,
            "order": list(self.order),
            "gates": [self.gates[g].to_dict() for g in self.order],
            "plan_digest": self.digest,
        }

    def upstream(self, gate_id: str) -> list[str]:
        ancestors = self.ancestors(gate_id)
        return [g for g in self.order if g in ancestors]


def _topological(gates: dict[str, Gate]) -> list[str]:
    """Kahn's algorithm, ties broken by the order stages are written in: the same order everywhere."""
    import heapq

    position = {gate_id: i for i, gate_id in enumerate(gates)}
    waiting = {gate_id: len(gate.after) for gate_id, gate in gates.items()}
    following: dict[str, list[str]] = {gate_id: [] for gate_id in gates}
    for gate in gates.values():
        for before in gate.after:
            following[before].append(gate.id)
    ready = [(position[g], g) for g, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, gate_id = heapq.heappop(ready)
        order.append(gate_id)
        for nxt in following[gate_id]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    return order  # acyclic and complete: the pack loader has checked the stage order


def compile_plan(policy: "Policy", use_case: "UseCase", classification: "Classification") -> Plan:
    from govern.classification import environment

    tier = classification.tier
    tier_def = next(t for t in policy.manifest.tiers if t.id == tier)
    plan = Plan(tier, use_case.id, policy.digest, use_case.digest, policy.template_files.get(tier))
    if tier_def.blocks_deployment:
        spec = CheckSpec(id="tier_prohibited", kind="prohibited", enforcement="block", waivable=False,
                         title=f"use cases of tier `{tier}` may not be deployed",
                         citation="; ".join(o.citation for o in classification.determining) or None)
        gate = Gate(PROHIBITED_GATE, f"Deployment (forbidden for tier {tier})", (), {},
                    checks=(Requirement("check", spec, plan.template_file or "policy.yaml", "always"),))
        plan.gates[gate.id] = gate
    else:
        template = policy.templates[tier]
        env = environment(policy, use_case, classification.as_of)
        for i, stage in enumerate(template.stages):
            gate = _gate(policy, tier, i, stage, template, env)
            plan.gates[gate.id] = gate
    plan.order = _topological(plan.gates)
    plan.digest = digest({
        "policy_digest": policy.digest, "use_case_digest": use_case.digest, "tier": tier,
        "graph": {"order": plan.order, "gates": [plan.gates[x].to_dict() for x in plan.order],
                  "edges": [list(e) for e in plan.edges]},
    })
    return plan


def _gate(policy: "Policy", tier: str, index: int, stage: StageSpec, template: Template, env: dict) -> Gate:
    file = policy.template_files[tier]
    after = tuple(stage.after if stage.after is not None else ([template.stages[index - 1].id] if index else []))

    def applies(kind: str, ident: str, position: int, spec) -> Requirement | None:
        span = policy.locations.get((tier, stage.id, kind, ident))
        location = policy.location(span) if span is not None else f"{file}: stages[{stage.id}].gate.{kind}s[{ident}]"
        condition = policy.conditions.get((tier, stage.id, kind, ident, "when"))
        if getattr(spec, "when", None) is None or condition is None:
            return Requirement(kind, spec, location, "always")
        try:
            value = condition.fn(env)
        except EvalError:
            value = UNDETERMINED
        if value is False:
            return None
        return Requirement(kind, spec, location, "applies" if value is True else "undetermined")

    checks = [applies("check", c.id, i, c) for i, c in enumerate(stage.gate.checks)]
    signoffs = [applies("signoff", s.key, i, s) for i, s in enumerate(stage.gate.signoffs)]
    documents = [applies("document", d.id, i, d) for i, d in enumerate(stage.gate.documents)]
    return Gate(
        id=stage.id, title=stage.title or stage.gate.title or stage.id.replace("_", " ").capitalize(),
        after=after, raci=dict(stage.raci),
        checks=tuple(r for r in checks if r is not None),
        signoffs=tuple(r for r in signoffs if r is not None),
        documents=tuple(r for r in documents if r is not None),
    )
