"""Which answers a tier hangs on: for every fact the rules read, the tier under each other answer.

A tier rests on self-assessed answers, and one honest-but-different answer can move a case
between tiers. A reviewer needs to know which answers to challenge. This is computed, not
sampled: each alternative is classified with the compiled rules (:func:`tier_of`, which tests
keep in agreement with the explained path), one answer changed at a time, the others as given.

The alternatives of one answer:

- ``bool`` and ``enum``: every other allowed value;
- ``set``: each allowed value added or removed, one at a time (a questionnaire's tick box);
- ``number``, ``integer``, ``date`` and free ``string``: the values the rules can tell apart.
  The rules compare such a fact with constants (`>= params.large_impact_eur`, `== "x"`), so
  the tier is the same for every value between two neighbouring thresholds: one value per
  region -- each threshold itself, one between each pair, one beyond either end (within the
  fact's `minimum`/`maximum`) -- or, for text, each constant and one text matching none.
  A fact also read through arithmetic or a function is tried at those values too, and the
  result says the analysis was not exhaustive for it;
- and leaving it unanswered, unless the fact is `required` (fail closed: a rule that then
  cannot be decided fires unless it says `undetermined skip`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from govern.classification import tier_of
from govern.dsl import nodes as n
from govern.dsl.printer import value_text
from govern.load.answers import consistent
from govern.load.use_case import UseCase
from govern.policy.model import FactDef
from govern.policy.pack import Policy

#: a text no rule compares with (the rules' constants are what a text fact can be told apart by)
_OTHER_TEXT = "\u0000other"
_ORDERING = {"<", "<=", ">", ">="}


@dataclass(frozen=True)
class Alternative:
    answer: Any  # the answer tried; None: left unanswered
    label: str  # how a reader sees it: `false`, `"credit"`, `unanswered`, `+ creditworthiness`, `≥ 1000000`
    tier: str


@dataclass(frozen=True)
class FactSensitivity:
    fact: str
    answer: Any  # as given; None: unanswered
    changes: tuple[Alternative, ...]  # the alternatives that change the tier
    tried: int
    exhaustive: bool = True
    note: str | None = None
    evidence_required: bool = False
    evidence: str | None = None  # the descriptor's pointer to the document supporting the answer
    contradictory: int = 0  # alternatives not tried because they contradict the pack's constraints

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "answer": _jsonable(self.answer), "tried": self.tried,
                "contradictory": self.contradictory,
                "exhaustive": self.exhaustive, "note": self.note, "evidence_required": self.evidence_required,
                "evidence": self.evidence,
                "changes": [{"answer": _jsonable(a.answer), "label": a.label, "tier": a.tier} for a in self.changes]}


@dataclass(frozen=True)
class Sensitivity:
    tier: str
    facts: list[FactSensitivity] = field(default_factory=list)

    @property
    def hangs_on(self) -> list[FactSensitivity]:
        """The answers one change of which moves the tier: what a reviewer should challenge."""
        return [f for f in self.facts if f.changes]

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "hangs_on": [f.fact for f in self.hangs_on],
                "facts": [f.to_dict() for f in self.facts]}

    def lines(self) -> list[str]:
        return sensitivity_lines(self.to_dict())


def analyse(policy: Policy, use_case: UseCase, as_of: _dt.date, tier: str | None = None) -> Sensitivity:
    """For each fact the rules read, the alternatives that change the tier (``tier``: the use case's, if known)."""
    facts = use_case.env()
    tier = tier or tier_of(policy, facts, as_of)
    usage = _usage(policy)
    out = []
    for name in _facts_read(policy):
        fact = policy.facts.get(name)
        if fact is None:
            continue
        current = facts.get(name)
        candidates, exhaustive, note = _alternatives(fact, current, usage.get(name, _Usage()))
        changes, tried, refused = [], 0, 0
        for answer, label in candidates:
            changed = dict(facts)
            if answer is None:
                changed.pop(name, None)
            else:
                changed[name] = answer
            if not consistent(policy, changed):  # the pack's constraints refuse it: not an answer one could give
                refused += 1
                continue
            tried += 1
            moved = tier_of(policy, changed, as_of)
            if moved != tier:
                changes.append(Alternative(answer, label, moved))
        out.append(FactSensitivity(name, current, tuple(changes), tried, exhaustive, note,
                                   fact.evidence_required, use_case.evidence.get(name), refused))
    return Sensitivity(tier, out)


def sensitivity_lines(data: dict[str, Any], indent: str = "") -> list[str]:
    """The ``to_dict()`` form as text, for `govern classify --sensitivity` (and anything holding the JSON)."""
    hanging = [f for f in data.get("facts", []) if f.get("changes")]
    if not hanging:
        return [f"{indent}sensitivity: no single answer changes the tier ({data.get('tier')}); "
                f"{len(data.get('facts', []))} answers tried one at a time"]
    lines = [f"{indent}sensitivity: the tier ({data.get('tier')}) hangs on {len(hanging)} "
             f"answer{'s' if len(hanging) != 1 else ''} -- one change to any of them moves it:"]
    for item in hanging:
        backed = ""
        if item.get("evidence"):
            backed = f"   [evidence: {item['evidence']}]"
        elif item.get("evidence_required"):
            backed = "   [evidence required]"
        lines.append(f"{indent}  use_case.{item['fact']} = {_shown(item.get('answer'))}{backed}")
        by_tier: dict[str, list[str]] = {}
        for change in item["changes"]:
            by_tier.setdefault(change["tier"], []).append(change["label"])
        for moved, labels in by_tier.items():
            shown = ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")
            lines.append(f"{indent}      → {moved}: {shown}")
        if item.get("note"):
            lines.append(f"{indent}      ({item['note']})")
    steady = [f["fact"] for f in data.get("facts", []) if not f.get("changes")]
    if steady:
        shown = ", ".join(steady[:12]) + (f" and {len(steady) - 12} more" if len(steady) > 12 else "")
        lines.append(f"{indent}  no single change to these moves it: {shown}")
    return lines


# --- how the rules use each fact -------------------------------------------------------------

@dataclass
class _Usage:
    """Constants a fact is compared with directly, and whether it is read any other way."""

    thresholds: set = field(default_factory=set)
    texts: set = field(default_factory=set)
    other: bool = False


def _facts_read(policy: Policy) -> list[str]:
    names: dict[str, None] = {}
    for rule in policy.rules:
        for path in rule.reads:
            parts = path.split(".")
            if len(parts) == 2 and parts[0] == "use_case":
                names.setdefault(parts[1], None)
    return list(names)


def _usage(policy: Policy) -> dict[str, _Usage]:
    definitions = policy.definitions
    params = policy.manifest.parameters
    usage: dict[str, _Usage] = {}

    def fact_of(node: n.Expr, depth: int = 0) -> str | None:
        if isinstance(node, n.Path):
            if len(node.parts) == 2 and node.parts[0] == "use_case":
                return node.parts[1]
            if len(node.parts) == 1 and node.parts[0] in definitions and depth < 64:
                return fact_of(definitions[node.parts[0]], depth + 1)
        return None

    def constant(node: n.Expr, depth: int = 0) -> Any:
        if isinstance(node, n.Literal):
            return node.value
        if isinstance(node, n.Path):
            if len(node.parts) == 2 and node.parts[0] == "params" and node.parts[1] in params:
                return params[node.parts[1]]
            if len(node.parts) == 1 and node.parts[0] in definitions and depth < 64:
                return constant(definitions[node.parts[0]], depth + 1)
        if isinstance(node, n.ListExpr) and all(isinstance(i, n.Literal) for i in node.items):
            return [i.value for i in node.items]  # type: ignore[union-attr]
        return _NO_CONSTANT

    def visit(node: n.Expr, seen: set[str]) -> None:
        direct: set[int] = set()
        if isinstance(node, n.Binary) and node.op in n.COMPARISON_OPS:
            for mine, other in ((node.left, node.right), (node.right, node.left)):
                name = fact_of(mine)
                value = constant(other)
                if name is None or value is _NO_CONSTANT:
                    continue
                entry = usage.setdefault(name, _Usage())
                if node.op in _ORDERING and _orderable(value):
                    entry.thresholds.add(value)
                elif node.op in ("==", "!=") and isinstance(value, str):
                    entry.texts.add(value)
                elif node.op in ("in", "not in") and mine is node.left and isinstance(value, list):
                    entry.texts.update(v for v in value if isinstance(v, str))
                elif node.op in ("==", "!=") and _orderable(value):
                    entry.thresholds.add(value)
                else:
                    continue
                direct.add(id(mine))
        for child in n.children(node):
            if id(child) in direct:
                continue
            name = fact_of(child)
            if name is not None:  # a field (or a definition naming one) read other than against a constant
                if not _is_condition_position(node):
                    usage.setdefault(name, _Usage()).other = True
                continue
            if isinstance(child, n.Path) and len(child.parts) == 1 and child.parts[0] in definitions:
                if child.parts[0] not in seen:
                    seen.add(child.parts[0])
                    visit(definitions[child.parts[0]], seen)
                continue
            visit(child, seen)

    for rule in policy.rules:
        for expr in (rule.rule.when, rule.rule.unless):
            if expr is not None:
                if isinstance(expr, n.Path) and fact_of(expr) is not None:
                    continue  # a boolean fact as the whole condition
                visit(expr, set())
    return usage


_NO_CONSTANT = object()


def _is_condition_position(parent: n.Expr) -> bool:
    """A field directly under and/or/not is read as true/false: nothing to analyse beyond its values."""
    return (isinstance(parent, n.Binary) and parent.op in n.LOGICAL_OPS) or (isinstance(parent, n.Unary)
                                                                             and parent.op == "not")


def _orderable(value: Any) -> bool:
    return (isinstance(value, (int, float, _dt.date)) and not isinstance(value, bool)) or isinstance(value, str)


# --- the alternatives of one answer ---------------------------------------------------------

def _alternatives(fact: FactDef, current: Any, usage: _Usage) -> tuple[list[tuple[Any, str]], bool, str | None]:
    out: list[tuple[Any, str]] = []
    exhaustive, note = True, None
    kind = fact.type
    if kind == "bool":
        out = [(v, value_text(v)) for v in (True, False) if v is not current]
    elif kind == "enum":
        out = [(v, value_text(v)) for v in fact.values or [] if v != current]
    elif kind == "set":
        given = list(current or [])
        for v in fact.values or []:
            if v in given:
                out.append((sorted(x for x in given if x != v), f"− {v}"))
            else:
                out.append((sorted(given + [v]), f"+ {v}"))
        if len(given) == 1:  # a single tick (often `none`) is also changed by ticking another instead
            out += [([v], f"[{v}] instead") for v in fact.values or [] if v not in given]
    elif kind in ("number", "integer", "date"):
        points = sorted(t for t in usage.thresholds if _fits(kind, t))
        out = [(v, label) for v, label in _regions(points, kind, fact) if v != current]
        if usage.other:
            exhaustive, note = False, "also read through arithmetic or a function: tried at the thresholds only"
        elif not points:
            note = "compared with no constant: only leaving it unanswered is tried"
    else:  # free text
        texts = sorted(usage.texts)
        out = [(v, value_text(v)) for v in texts if v != current]
        if current is None or current in usage.texts:
            out.append((_OTHER_TEXT, "any other text"))
        if usage.other:
            exhaustive, note = False, "also read through a function or substring test: tried at its constants only"
    if current is not None and not fact.required:
        out.append((None, "unanswered"))
    return out, exhaustive, note


def _fits(kind: str, value: Any) -> bool:
    if kind == "date":
        return isinstance(value, _dt.date)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _regions(points: list, kind: str, fact: FactDef) -> Iterable[tuple[Any, str]]:
    """One value per region the thresholds cut the line into, with the region as the label."""
    if not points:
        return []
    step: Any = _dt.timedelta(days=1) if kind == "date" else 1
    out: list[tuple[Any, str]] = [(points[0] - step, f"< {_shown(points[0])}")]
    for i, point in enumerate(points):
        out.append((point, f"= {_shown(point)}"))
        if i + 1 < len(points):
            upper = points[i + 1]
            middle = _between(point, upper, kind)
            if middle is not None:
                out.append((middle, f"between {_shown(point)} and {_shown(upper)}"))
        else:
            out.append((point + step, f"> {_shown(point)}"))
    low, high = fact.minimum, fact.maximum
    if kind == "integer":
        out = [(v, label) for v, label in out if float(v).is_integer()]
        out = [(int(v), label) for v, label in out]
    return [(v, label) for v, label in out
            if kind == "date" or ((low is None or v >= low) and (high is None or v <= high))]


def _between(a: Any, b: Any, kind: str) -> Any:
    if kind == "date":
        return a + _dt.timedelta(days=(b - a).days // 2) if (b - a).days > 1 else None
    middle = (a + b) / 2
    if kind == "integer":
        middle = (a + b) // 2
        return middle if a < middle < b else None
    return middle if a < middle < b else None


def _shown(value: Any) -> str:
    if value is None:
        return "unanswered"
    if value == _OTHER_TEXT:
        return "any other text"
    return value_text(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, _dt.date):
        return value.isoformat()
    if value == _OTHER_TEXT:
        return "<any other text>"
    return value
