"""The typed, frozen AST of the rule language; every node keeps its source span.

Spans are excluded from equality so that ``parse(print(ast)) == ast`` holds even though
the printed text has different positions.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Union

from govern.errors import Span

_NO_SPAN = Span("<unknown>")


@dataclass(frozen=True, slots=True)
class Literal:
    """number, string, bool, date or duration (a :class:`datetime.timedelta`)."""

    value: int | float | str | bool | _dt.date | _dt.timedelta
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)
    #: how the literal was written ("percent" keeps `80%` printable as such)
    style: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple["Expr", ...]
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Path:
    """A dotted field path (``use_case.domain``) or, with one part, a named definition."""

    parts: tuple[str, ...]
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)

    @property
    def dotted(self) -> str:
        return dotted(self.parts)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dotted(parts: tuple[str, ...]) -> str:
    """A path as the rule language writes it: keys that are no identifier are quoted (``metrics."f1-score"``)."""
    out = []
    for part in parts:
        if _IDENTIFIER.fullmatch(part):
            out.append(part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            out.append(f'"{escaped}"')
    return ".".join(out)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    operand: "Expr"
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """Logical (and/or), comparison (== != < <= > >= in, not in) and arithmetic (+ - * /)."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple["Expr", ...]
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


Expr = Union[Literal, ListExpr, Path, Unary, Binary, Call]

LOGICAL_OPS = frozenset({"and", "or"})
COMPARISON_OPS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})
ARITHMETIC_OPS = frozenset({"+", "-", "*", "/"})


@dataclass(frozen=True, slots=True)
class Definition:
    """``let name = expr [because "citation"]``: a named sub-expression reused across rules of a pack.

    The citation is what an explanation shows when the definition decides a rule, typically
    an exception in an `unless` (the Art. 6(3) derogation, a scope exclusion).
    """

    name: str
    expr: Expr
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)
    citation: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """``rule id: tier T when E [unless X] because "citation" [undetermined fire|skip]``."""

    id: str
    tier: str
    when: Expr
    unless: Expr | None
    citation: str
    undetermined: str | None = None  # None: the pack's default
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)
    tier_span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Constraint:
    """``constraint id: expr because "why"``: answers for which ``expr`` is false contradict each other.

    Undetermined (an answer missing) is not a contradiction: only answers given can conflict.
    """

    id: str
    expr: Expr
    citation: str
    span: Span = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RuleFile:
    path: str
    items: tuple[Definition | Rule | Constraint, ...]

    @property
    def rules(self) -> list[Rule]:
        return [i for i in self.items if isinstance(i, Rule)]

    @property
    def definitions(self) -> list[Definition]:
        return [i for i in self.items if isinstance(i, Definition)]

    @property
    def constraints(self) -> list[Constraint]:
        return [i for i in self.items if isinstance(i, Constraint)]


def children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Expr):
    """Pre-order traversal of an expression tree."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
