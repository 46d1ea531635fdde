"""A validated use case against its pack's constraints: answers that contradict each other.

Each answer can be allowed on its own and the set still be impossible -- an Annex III
recruitment system said not to concern natural persons, an Art. 6(3) derogation claimed by
a system that profiles people. A pack states such contradictions in its rules files
(``constraint id: <expr> because "..."``); a descriptor for which a constraint is false is an
input error placed at the answers that make it false, which the explaining closure of the
constraint names (:mod:`govern.dsl.explain`). An undetermined constraint (an answer missing)
is not a contradiction: only answers given can conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.dsl.explain import Named
from govern.dsl.printer import value_text
from govern.dsl.values import AS_OF_KEY, EvalError
from govern.errors import Diagnostic, Span, UseCaseError

if TYPE_CHECKING:
    from govern.load.use_case import UseCase
    from govern.policy.pack import CompiledConstraint, Policy


@dataclass(frozen=True)
class Contradiction:
    constraint: "CompiledConstraint"
    facts: tuple[str, ...]  # the answers that make the constraint false, in the order the rules read them
    location: str  # of the constraint in the pack


def contradictions(policy: "Policy", use_case: "UseCase") -> list[Contradiction]:
    """Every constraint the use case's answers make false."""
    return [Contradiction(c, tuple(dict.fromkeys(_facts(reasons))), policy.location(c.span))
            for c, reasons in _violated(policy, use_case.env())]


def consistent(policy: "Policy", facts: dict[str, Any]) -> bool:
    """Whether answers (as ``UseCase.env()`` gives them) satisfy every constraint: for trying alternatives."""
    return not _violated(policy, facts, first=True)


def _violated(policy: "Policy", facts: dict[str, Any], first: bool = False) -> list[tuple[Any, list]]:
    env = {"use_case": facts, "params": policy.manifest.parameters, AS_OF_KEY: None}
    found = []
    for constraint in policy.constraints:
        reasons: list = []
        try:
            value = constraint.check(env, reasons)
        except EvalError:
            continue  # a run-time error is not evidence of a contradiction; classification reports it
        if value is False:
            found.append((constraint, reasons))
            if first:
                break
    return found


def check_answers(policy: "Policy", use_case: "UseCase") -> None:
    """Raise a :class:`UseCaseError` (exit 2) naming every contradiction, at the answers behind it."""
    problems = [_diagnostic(use_case, c) for c in contradictions(policy, use_case)]
    if problems:
        raise UseCaseError(problems)


def _facts(reasons: list) -> list[str]:
    out: list[str] = []
    for item in reasons:
        if isinstance(item[0], Named):
            out.extend(_facts(item[2]))
        else:
            out.extend(parts[1] for parts in item[0].paths if len(parts) == 2 and parts[0] == "use_case")
    return out


def _diagnostic(use_case: "UseCase", found: Contradiction) -> Diagnostic:
    doc = use_case.document
    constraint = found.constraint.constraint
    answers = ", ".join(f"`{name}: {_answer(use_case.facts.get(name))}`"
                        + (f" ({_where(doc, name)})" if doc is not None else "") for name in found.facts)
    message = (f"contradictory answers {answers}: constraint `{constraint.id}` ({found.location}) -- "
               f"{constraint.citation}")
    hint = "correct the answer that is wrong; if both are right, the pack's constraint needs review"
    if doc is None or not found.facts:
        return Diagnostic("contradictory-answers", message, Span(use_case.path or use_case.id), hint)
    return doc.diagnostic("contradictory-answers", message, ("facts", found.facts[0]), hint)


def _answer(value: Any) -> str:
    return value_text(value).replace('"', "") if value is not None else "null"


def _where(doc: Any, name: str) -> str:
    span = doc.span(("facts", name))
    return f"line {span.line}:{span.column}"
