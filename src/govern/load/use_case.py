"""Use-case descriptor (YAML) + the pack's questionnaire → a validated :class:`UseCase`.

Every answer is checked against the fact it answers: an undeclared fact, a value of the
wrong type or outside the allowed values is an error at its line -- never ignored. An
answer left out (or ``null``) is *unknown*: rules that read it become undetermined.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govern.canonical import digest
from govern.errors import Diagnostic, DiagnosticSink, Suggester, UseCaseError, did_you_mean, shorten
from govern.load.safe_yaml import YamlDocument, load_yaml_file, load_yaml_text
from govern.load.validation import validate_document
from govern.policy.model import IDENT, FactDef


class ModelRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = None
    author: str | None = Field(None, description="Person id of the model's author (segregation of duties).")
    developers: list[str] = Field(default_factory=list)


class Descriptor(BaseModel):
    """A use-case descriptor: who owns the use case and its answers to the pack's questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=IDENT)
    name: str
    owner: str
    description: str | None = None
    policy: str | None = Field(None, description="Name of the pack this descriptor was written for.")
    model: ModelRef | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, str] = Field(
        default_factory=dict, description="fact → bundle-relative path of the document supporting that answer; "
                                          "required for facts the pack marks `evidence_required`.")


@dataclass(frozen=True)
class UseCase:
    id: str
    name: str
    owner: str
    facts: dict[str, Any]
    description: str | None = None
    model: ModelRef | None = None
    path: str | None = None
    document: YamlDocument | None = field(default=None, repr=False, compare=False)
    evidence: dict[str, str] = field(default_factory=dict)  # fact → bundle-relative path supporting the answer

    @functools.cached_property
    def digest(self) -> str:
        """Computed once: the answers of a validated use case never change (the dataclass is frozen)."""
        return digest(self.canonical())

    def canonical(self) -> dict[str, Any]:
        """What the use-case digest covers: the answers and identity, not comments or layout."""
        data = {
            "id": self.id, "name": self.name, "owner": self.owner, "description": self.description,
            "model": self.model.model_dump() if self.model else None, "facts": self.facts,
        }
        if self.evidence:  # only when given: digests of descriptors without pointers stay what they were
            data["evidence"] = dict(sorted(self.evidence.items()))
        return data

    @functools.cached_property
    def answers(self) -> dict[str, Any]:
        """The given answers (unknown ones left out), computed once; shared, so never to be modified."""
        return {k: v for k, v in self.facts.items() if v is not None}

    def env(self) -> dict[str, Any]:
        """The given answers as a fresh dict the caller may change."""
        return dict(self.answers)


def load_use_case(path: str | Path, facts: dict[str, FactDef]) -> UseCase:
    doc = load_yaml_file(Path(path), display=str(path))
    return use_case_from_document(doc, facts)


def use_case_from_text(text: str, facts: dict[str, FactDef], name: str = "<use case>") -> UseCase:
    return use_case_from_document(load_yaml_text(text, name), facts)


def use_case_from_document(doc: YamlDocument, facts: dict[str, FactDef]) -> UseCase:
    descriptor, problems = validate_document(doc, Descriptor)
    if descriptor is None:
        raise UseCaseError(problems)
    sink = DiagnosticSink()
    values = check_facts(descriptor.facts, facts, sink, doc=doc)
    for name, fact in facts.items():
        if fact.evidence_required and values.get(name) is not None and name not in descriptor.evidence:
            sink.add(doc.diagnostic(
                "evidence-required", f"`{name}` is answered, and the policy requires the answer to point to a "
                "document in the evidence bundle", ("facts", name),
                f"add `evidence: {{{name}: path/in/the/bundle}}` to the descriptor, naming the document that "
                "supports this answer"))
    for name in descriptor.evidence:
        if name not in facts:
            sink.add(doc.diagnostic("unknown-fact", f"`evidence` names `{shorten(name)}`, which is not a fact this "
                                    "policy asks about", ("evidence", name), did_you_mean(name, facts), key=True))
    sink.raise_if_any(UseCaseError)
    return UseCase(descriptor.id, descriptor.name, descriptor.owner, values, descriptor.description,
                   descriptor.model, doc.path, doc, dict(descriptor.evidence))


def use_case_from_facts(answers: dict[str, Any], facts: dict[str, FactDef], *, id: str = "case",
                        name: str = "case") -> UseCase:
    """Build a use case from plain answers (pack tests, benchmarks); same validation."""
    sink = DiagnosticSink()
    values = check_facts(answers, facts, sink)
    sink.raise_if_any(UseCaseError)
    return UseCase(id, name, "unknown", values)


def check_facts(answers: dict[str, Any], facts: dict[str, FactDef], sink: DiagnosticSink, *,
                doc: YamlDocument | None = None, loc_prefix: tuple = ("facts",)) -> dict[str, Any]:
    """Validate answers; returns normalised values (unknown answers kept as ``None``)."""

    def report(code: str, message: str, loc: tuple, hint: str | None = None, key: bool = False) -> None:
        if doc is not None:
            sink.add(doc.diagnostic(code, message, loc, hint, key=key))
        else:
            sink.add(Diagnostic(code, message, None, hint))

    out: dict[str, Any] = {}
    suggest = Suggester()
    for name, value in answers.items():
        loc = loc_prefix + (name,)
        fact = facts.get(name)
        if fact is None:
            report("unknown-fact", f"`{shorten(name)}` is not a fact this policy asks about", loc,
                   suggest(name, facts) or _known(facts), key=True)
            continue
        ok, normalised, problem, hint = coerce_fact(fact, value)
        if not ok:
            report("invalid-fact", f"`{name}`: {problem}", loc, hint)
            continue
        out[name] = normalised
    for name, fact in facts.items():
        if fact.required and answers.get(name) is None:  # an invalid answer has its own diagnostic
            report("missing-fact", f"required fact `{name}` is not answered ({fact.question})", loc_prefix)
    return dict(sorted(out.items()))


def _known(facts: dict[str, FactDef]) -> str:
    names = sorted(facts)
    return "facts: " + ", ".join(names[:15]) + (", …" if len(names) > 15 else "")


def coerce_fact(fact: FactDef, value: Any) -> tuple[bool, Any, str, str | None]:
    """(ok, normalised value, problem, hint) for one answer; ``None`` means unknown."""
    if value is None:
        return True, None, "", None
    kind = fact.type
    if kind == "enum":
        if not isinstance(value, str) or isinstance(value, bool):
            return False, None, f"expected one of {_choices(fact)}, got {_shown(value)}", _yaml_hint(value)
        if value not in _allowed(fact):
            return False, None, f"{shorten(value)!r} is not an allowed value; expected one of " \
                f"{_choices(fact)}", did_you_mean(value, fact.values or [])
        return True, value, "", None
    if kind == "set":
        if not isinstance(value, list):
            return False, None, f"expected a list of values from {_choices(fact)}, got {_shown(value)}", \
                "write a YAML list, e.g. `[a, b]`"
        allowed = _allowed(fact)
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                hint = did_you_mean(item, fact.values or []) if isinstance(item, str) else _yaml_hint(item)
                shown = repr(shorten(item)) if isinstance(item, str) else shorten(repr(item))
                return False, None, f"{shown} is not an allowed value; expected values from " \
                    f"{_choices(fact)}", hint
        duplicates = sorted(v for v, times in Counter(value).items() if times > 1)
        if duplicates:
            more = ", …" if len(duplicates) > 10 else ""
            return False, None, f"lists {', '.join(duplicates[:10])}{more} more than once", None
        return True, sorted(value), "", None
    if kind == "bool":
        if not isinstance(value, bool):
            return False, None, f"expected true or false, got {_shown(value)}", None
        return True, value, "", None
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, None, f"expected a number, got {_shown(value)}", _number_text_hint(value)
        if isinstance(value, float) and not math.isfinite(value):
            return False, None, f"expected a finite number, got {value}", None
        if kind == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            return False, None, f"expected a whole number, got {value}", None
        if fact.minimum is not None and value < fact.minimum:
            return False, None, f"{value} is below the minimum {fact.minimum}", None
        if fact.maximum is not None and value > fact.maximum:
            return False, None, f"{value} is above the maximum {fact.maximum}", None
        return True, int(value) if kind == "integer" else value, "", None
    if kind == "date":
        if isinstance(value, _dt.datetime):
            return True, value.date(), "", None
        if isinstance(value, _dt.date):
            return True, value, "", None
        if isinstance(value, str):
            try:
                return True, _dt.date.fromisoformat(value), "", None
            except ValueError:
                pass
        return False, None, f"expected a date (YYYY-MM-DD), got {_shown(value)}", None
    if not isinstance(value, str):
        return False, None, f"expected text, got {_shown(value)}", "quote it: `\"...\"`"
    return True, value, "", None


def _allowed(fact: FactDef) -> frozenset[str]:
    """The allowed values as a set: a 10,000-item answer is checked in linear time."""
    return frozenset(fact.values or ())


def _number_text_hint(value: Any) -> str | None:
    """YAML 1.1 reads `1e6` (no dot, no exponent sign) as text; say how to write it as a number."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return "that is not a finite number either"
    return "YAML reads an exponent without a dot and sign as text: write `1.0e+6`, not `1e6`"


def _choices(fact: FactDef) -> str:
    values = fact.values or []
    shown = ", ".join(values[:10]) + (", …" if len(values) > 10 else "")
    return f"[{shown}]"


def _shown(value: Any) -> str:
    from govern.dsl.values import type_name

    return f"{type_name(value)} {shorten(repr(value))}"


def _yaml_hint(value: Any) -> str | None:
    if isinstance(value, bool):
        return "YAML reads yes/no/on/off as true/false: quote the value, e.g. `\"no\"`"
    return None
