"""A loaded, statically checked policy pack: the value every later stage works from.

Built by :func:`govern.load.pack.load_policy`; holds the manifest, the questionnaire, the
parsed rules with their compiled predicates, the governance templates and the pack digest
(which names this exact policy version in decisions and in the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from govern.dsl import nodes as n
from govern.dsl import types as t
from govern.canonical import short
from govern.errors import Span, line_at
from govern.policy.model import FactDef, Manifest, Template

#: Roots a check condition may read besides the use case and the parameters; their shape
#: comes from evidence, so they are typed `any` and checked at evaluation time.
EVIDENCE_ROOTS = ("metrics", "champion", "model", "result")


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its compiled predicates; keeps id and span for explanations."""

    rule: n.Rule
    when: Callable[[dict], Any]
    unless: Callable[[dict], Any] | None
    undetermined: str  # fire | skip, after applying the pack default
    reads: tuple[str, ...]  # dotted field paths it reads, through definitions
    severity: int  # index of its tier: 0 is the most severe
    text: str  # the rule as written, for reports
    #: the same predicates compiled to record what decided them (:mod:`govern.dsl.explain`)
    explain_when: Callable[[dict, list], Any] | None = None
    explain_unless: Callable[[dict, list], Any] | None = None
    #: env -> (status, effect, message, when, unless): the rule's outcome, explained (dsl.explain.rule_outcome)
    explain: Callable[[dict], tuple] | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def span(self) -> Span:
        return self.rule.span


@dataclass(frozen=True)
class CompiledConstraint:
    """A consistency condition between answers, compiled to explain which answers it reads."""

    constraint: n.Constraint
    check: Callable[[dict, list], Any]  # explaining closure: false means the answers contradict

    @property
    def id(self) -> str:
        return self.constraint.id

    @property
    def span(self) -> Span:
        return self.constraint.span


@dataclass(frozen=True)
class Condition:
    """A DSL condition embedded in a template (check condition or applicability)."""

    text: str
    expr: n.Expr
    fn: Callable[[dict], Any]
    span: Span


@dataclass
class Policy:
    root: Path
    manifest: Manifest
    facts: dict[str, FactDef]
    rules: list[CompiledRule]
    definitions: dict[str, n.Expr]
    templates: dict[str, Template]  # tier → template
    template_files: dict[str, str]  # tier → pack-relative file
    conditions: dict[tuple[str, ...], Condition]  # (tier, stage, kind, id, field) → condition
    files: dict[str, str]  # pack-relative path → sha256 of its normalised text
    locations: dict[tuple[str, ...], Span] = field(default_factory=dict)  # (tier, stage, kind, id) → span
    sources: dict[str, str] = field(repr=False, default_factory=dict)  # display path → text
    digest: str = ""
    #: rule id → the `imports:` source it came from (a pack folder or `package:module:folder`)
    imported_rules: dict[str, str] = field(default_factory=dict)
    constraints: list[CompiledConstraint] = field(default_factory=list)
    _locations: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def tier_ids(self) -> list[str]:
        return [tier.id for tier in self.manifest.tiers]

    def severity(self, tier: str) -> int:
        return self.tier_ids.index(tier)

    def parameters(self) -> dict[str, Any]:
        return dict(self.manifest.parameters)

    def roles_of(self, person_id: str) -> list[str]:
        for person in self.manifest.people:
            if person.id == person_id:
                return list(person.roles)
        return []

    def signed_under(self, policy_digest: str | None, gate: str | None = None) -> str | None:
        """Why a record signed under ``policy_digest`` does not count under this pack, or None if it does.

        A record binds to the exact pack it was given under: same name and version with a lowered
        threshold is another pack. Only the pack's own `compatible_with` list carries approvals over.
        """
        if policy_digest == self.digest:
            return None
        for entry in self.manifest.compatible_with:
            if entry.digest == policy_digest and (entry.gates is None or gate is None or gate in entry.gates):
                return None
        if policy_digest is None:
            return f"stale: signed under no policy digest; policy {self.name} is now {short(self.digest)}"
        return (f"stale: signed under policy {short(policy_digest)}, the policy is now {self.name} "
                f"{self.version} ({short(self.digest)}) and does not list that digest in `compatible_with`")

    def holders(self, role: str) -> list[str]:
        return [p.id for p in self.manifest.people if role in p.roles]

    def resolve(self, value: Any) -> Any:
        """Substitute `params.NAME` strings (in check parameters, `valid_for`) with the pack's values."""
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, str) and value.startswith("params."):
            return self.manifest.parameters.get(value.removeprefix("params."), value)
        return value

    def location(self, span: Span) -> str:
        """``file:line:col`` with the file relative to the pack root: the same on every machine."""
        key = (span.file, span.line, span.column)
        found = self._locations.get(key)
        if found is None:
            found = self._locations[key] = self._location(span)
        return found

    def _location(self, span: Span) -> str:
        path = Path(span.file)
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return f"{relative}:{span.line}:{span.column}" if span.line > 0 else relative

    def source_line(self, span: Span) -> str | None:
        return line_at(self.sources.get(span.file), span.line)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "digest": self.digest}


def fact_type(fact: FactDef) -> t.Type:
    if fact.type == "enum":
        return t.enum(fact.values or [])
    if fact.type == "set":
        return t.list_of(t.enum(fact.values or []))
    if fact.type == "bool":
        return t.BOOL
    if fact.type in ("number", "integer"):
        return t.NUMBER
    if fact.type == "date":
        return t.DATE
    return t.STRING


def use_case_schema(facts: dict[str, FactDef]) -> dict[str, t.Schema]:
    return {name: fact_type(fact) for name, fact in facts.items()}


def classification_schema(facts: dict[str, FactDef], parameters: dict[str, Any]) -> dict[str, t.Schema]:
    return {
        "use_case": use_case_schema(facts),
        "params": {k: t.type_of_value(v) for k, v in parameters.items()},
    }


def condition_schema(facts: dict[str, FactDef], parameters: dict[str, Any]) -> dict[str, t.Schema]:
    schema = classification_schema(facts, parameters)
    for root in EVIDENCE_ROOTS:
        schema[root] = t.ANY
    return schema
