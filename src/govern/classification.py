"""Policy + use case → risk tier, with every rule's outcome and why.

A rule's outcome is ``when and not unless`` in three-valued logic: true fires, false does
not, undetermined (a fact it reads is unknown) does what the rule or pack says -- ``fire``
(fail closed, the default) or ``skip`` -- and the explanation always shows which. The tier
is the most severe among rules that fire, else the pack's default tier.

Every rule is explained, the ones that did not fire included: the conjunct of `when` that was
false, or the `unless` exception that lifted a rule whose `when` held (*matched, then
exempted*), with the values read. :func:`tier_of` is the fast path that only needs the tier;
:func:`classify` runs the explaining closures compiled beside the fast ones, and the two agree
(tests check it on generated inputs).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from govern.dsl.explain import Named
from govern.dsl.values import AS_OF_KEY, UNDETERMINED, EvalError, lookup
from govern.load.use_case import UseCase
from govern.policy.pack import CompiledRule, Policy


#: What an outcome means for a reader, beyond fired/not fired: a rule whose `when` held but
#: whose `unless` lifted it was *matched, then exempted* -- never silence.
OUTCOME_LABELS = {"fired": "fired", "no_match": "did not match", "exempted": "matched, then exempted",
                  "undetermined": "undetermined", "error": "error"}


class RuleOutcome(tuple):
    """One rule's outcome and what decided it.

    ``when`` and ``unless`` are ``(value, reasons)`` as the explaining closures recorded them
    (:mod:`govern.dsl.explain`), or ``None`` when that part was not evaluated. Everything a
    reader sees -- citation, location, the fact values -- is derived from them, the rule and
    the environment when asked for, so classifying costs no formatting. A tuple underneath:
    classification builds one per rule per use case, and a tuple is the cheapest record.
    """

    __slots__ = ()

    def __new__(cls, policy: Policy, rule: CompiledRule, env: dict[str, Any], recorded: tuple) -> "RuleOutcome":
        """``recorded`` is what :func:`govern.dsl.explain.rule_outcome` returns for the rule."""
        return tuple.__new__(cls, (rule, (policy, env), recorded))

    _rule = property(itemgetter(0))
    _context = property(itemgetter(1))

    @property
    def status(self) -> str:
        """fired | not_fired | undetermined | error"""
        return self[2][0]

    @property
    def effect(self) -> str:
        """fired | skipped | none: what the outcome did to the tier"""
        return self[2][1]

    @property
    def message(self) -> str | None:
        return self[2][2]

    @property
    def when(self) -> tuple[Any, list] | None:
        recorded = self[2]
        return None if recorded[4] is None else (recorded[3], recorded[4])

    @property
    def unless(self) -> tuple[Any, list] | None:
        recorded = self[2]
        return None if recorded[6] is None else (recorded[5], recorded[6])

    @property
    def _policy(self) -> Policy:
        return self._context[0]

    @property
    def _env(self) -> dict[str, Any]:
        return self._context[1]

    def __repr__(self) -> str:
        return f"RuleOutcome({self.rule_id!r}, {self.status!r}, {self.outcome!r})"

    @property
    def rule_id(self) -> str:
        return self._rule.rule.id

    @property
    def tier(self) -> str:
        return self._rule.rule.tier

    @property
    def citation(self) -> str:
        return self._rule.rule.citation

    @property
    def location(self) -> str:
        return self._policy.location(self._rule.span)

    @property
    def text(self) -> str:
        return self._rule.text

    @property
    def reads(self) -> dict[str, Any]:
        """Every field the rule reads (through definitions) and its value; ``<missing>`` if unanswered."""
        return {path: _read(self._env, path) for path in self._rule.reads}

    @property
    def counted(self) -> bool:
        return self.effect == "fired"

    @property
    def outcome(self) -> str:
        """fired | no_match | exempted | undetermined | error (see :data:`OUTCOME_LABELS`)."""
        if self.status != "not_fired":
            return self.status
        return "exempted" if self.unless is not None and self.unless[0] is True else "no_match"

    def why(self) -> dict[str, Any]:
        """What decided the outcome: the deciding conditions of `when` and `unless`, with the values read."""
        rule, (policy, env), recorded = self
        status, _, message, w, w_reasons, u, u_reasons = recorded
        out: dict[str, Any] = {"summary": self._summary(status, message, w, w_reasons, u, u_reasons)}
        if w_reasons is not None:
            out["when"] = {"value": _value(w), "because": _reasons(policy, env, w_reasons)}
        if u_reasons is not None:
            out["unless"] = {"value": _value(u), "because": _reasons(policy, env, u_reasons)}
        return out

    def to_dict(self) -> dict[str, Any]:
        if self.status == "not_fired":  # every rule of a pack is here: the values that decided are in `why`
            return {"id": self.rule_id, "tier": self.tier, "status": self.status, "outcome": self.outcome,
                    "citation": self.citation, "location": self.location, "why": self.why()}
        return {
            "id": self.rule_id, "tier": self.tier, "status": self.status, "effect": self.effect,
            "outcome": self.outcome, "citation": self.citation, "location": self.location,
            "reads": _jsonable(self.reads), "message": self.message, "why": self.why(),
        }

    def _summary(self, status: str, message: str | None, w: Any, w_reasons: list | None, u: Any,
                 u_reasons: list | None) -> str:
        if status == "error":
            return f"error: {message}"
        if status == "not_fired" and u is True:
            names = "; ".join(_exception_name(item, self.citation) for item in u_reasons or ())
            return f"{'matched' if w is True else 'match undetermined'}, then exempted by {names}"
        if status == "not_fired":
            conditions = [_short(item) for item in w_reasons or ()]
            if len(conditions) == 1:
                return f"did not match: {conditions[0]} is false"
            return "did not match: all of " + "; ".join(conditions) + " are false"
        if status == "undetermined":
            missing = sorted({p for p, v in self.reads.items() if v == "<missing>"})
            does = "fires (fail closed)" if self.effect == "fired" else "skipped"
            return f"undetermined ({', '.join(missing) or 'a value it needs is missing'} unanswered): {does}"
        return "matched: " + "; ".join(_short(item) for item in w_reasons or ())


def _reasons(policy: Policy, env: dict[str, Any], reasons: list) -> list[dict[str, Any]]:
    out = []
    for item in reasons:
        info = item[0]
        value = item[1]
        if info.__class__ is Named:
            out.append({"definition": info.name, "citation": info.citation,
                        "value": "undetermined" if value is UNDETERMINED else _jsonable(value),
                        "location": policy.location(info.node.span) if info.node.span.line else None,
                        "because": _reasons(policy, env, item[2])})
        else:
            out.append({"condition": info.text, "value": "undetermined" if value is UNDETERMINED else _jsonable(value),
                        "location": policy.location(info.node.span) if info.node.span.line else None,
                        "reads": {dotted: _jsonable(_read_parts(env, parts))
                                  for dotted, parts in zip(info.dotted, info.paths)}})
    return out


def _exception_name(item: tuple, rule_citation: str) -> str:
    info = item[0]
    if isinstance(info, Named):
        return f"{info.name} ({info.citation})" if info.citation else info.name
    return f"`{info.text}` ({rule_citation})"


def _short(item: tuple) -> str:
    info = item[0]
    return info.name if isinstance(info, Named) else f"`{info.text}`"


def _value(value: Any) -> Any:
    return "undetermined" if value is UNDETERMINED else _jsonable(value)


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 4× more, once per classification
class Classification:
    """A classification result; treat it as a value (nothing in govern changes one after `classify`)."""

    tier: str
    use_case_id: str
    policy_name: str
    policy_version: str
    policy_digest: str
    use_case_digest: str
    as_of: _dt.date
    outcomes: list[RuleOutcome] = field(default_factory=list)
    default_used: bool = False

    @property
    def determining(self) -> list[RuleOutcome]:
        """Rules that fired (or fired for want of data) in the winning tier."""
        return [o for o in self.outcomes if o.counted and o.tier == self.tier]

    @property
    def relevant(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status in ("fired", "undetermined", "error")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case_id,
            "tier": self.tier,
            "default_tier_used": self.default_used,
            "policy": {"name": self.policy_name, "version": self.policy_version},
            "policy_digest": self.policy_digest,
            "use_case_digest": self.use_case_digest,
            "as_of": self.as_of.isoformat(),
            "rules": [o.to_dict() for o in self.relevant],
            # every rule that did not fire, and why: the conjunct that was false or the exception that lifted it
            "not_fired": [o.to_dict() for o in self.outcomes if o.status == "not_fired"],
        }


def environment(policy: Policy, use_case: UseCase | dict[str, Any], as_of: _dt.date) -> dict[str, Any]:
    facts = use_case.env() if isinstance(use_case, UseCase) else use_case
    return {"use_case": facts, "params": policy.manifest.parameters, AS_OF_KEY: as_of}


def rule_value(rule: CompiledRule, env: dict[str, Any]) -> Any:
    """``when and not unless`` in Kleene logic; raises EvalError for run-time errors."""
    when = rule.when(env)
    if when is False:
        return False
    if when is not True and when is not UNDETERMINED:
        raise EvalError(f"`when` gave {when!r}, not true/false", rule.span)
    if rule.unless is None:
        return when
    unless = rule.unless(env)
    if unless is True:
        return False
    if unless is not False and unless is not UNDETERMINED:
        raise EvalError(f"`unless` gave {unless!r}, not true/false", rule.span)
    if when is True and unless is False:
        return True
    return UNDETERMINED


def tier_of(policy: Policy, facts: dict[str, Any], as_of: _dt.date | None = None) -> str:
    """The tier alone, evaluating rules most severe first and stopping at the first that fires.

    This is the hot path for inventories and benchmarks; :func:`classify` gives the full
    explanation and must always agree with it.
    """
    env = {"use_case": facts, "params": policy.manifest.parameters, AS_OF_KEY: as_of or _dt.date.today()}
    for rule in policy.rules:  # sorted by severity
        try:
            if rule.unless is None:  # the common shape: skip rule_value's bookkeeping
                value = rule.when(env)
                if value is True:
                    return rule.rule.tier
                if value is False:
                    continue
                if value is not UNDETERMINED:
                    raise EvalError(f"`when` gave {value!r}, not true/false")
            else:
                value = rule_value(rule, env)
        except EvalError:
            value = UNDETERMINED
        if value is True or (value is UNDETERMINED and rule.undetermined == "fire"):
            return rule.rule.tier
    return policy.manifest.default_tier


def classify(policy: Policy, use_case: UseCase, as_of: _dt.date | None = None) -> Classification:
    as_of = as_of or _dt.date.today()
    env = {"use_case": use_case.answers, "params": policy.manifest.parameters, AS_OF_KEY: as_of}
    context = (policy, env)
    new = tuple.__new__
    outcomes: list[RuleOutcome] = []
    tier = None
    for rule in policy.rules:  # sorted most severe first (load_policy), as tier_of relies on too
        recorded = rule.explain(env)  # type: ignore[misc]  # (status, effect, message, when..., unless...)
        outcomes.append(new(RuleOutcome, (rule, context, recorded)))
        if tier is None and recorded[1] == "fired":
            tier = rule.rule.tier
    return Classification(
        tier=tier or policy.manifest.default_tier, use_case_id=use_case.id, policy_name=policy.name,
        policy_version=policy.version, policy_digest=policy.digest, use_case_digest=use_case.digest, as_of=as_of,
        outcomes=outcomes, default_used=tier is None,
    )


_PARTS: dict[str, tuple[str, ...]] = {}


def _read(env: dict[str, Any], dotted: str) -> Any:
    parts = _PARTS.get(dotted)
    if parts is None:
        parts = _PARTS[dotted] = tuple(dotted.split("."))
    return _read_parts(env, parts)


def _read_parts(env: dict[str, Any], parts: tuple[str, ...]) -> Any:
    value = lookup(env, parts)
    return "<missing>" if value is UNDETERMINED else value


_PLAIN = (str, bool, int, float, type(None))


def _jsonable(value: Any) -> Any:
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.timedelta)):
        return value.isoformat() if isinstance(value, _dt.date) else f"{value.total_seconds() / 86400:g}d"
    return value


def why_lines(rule: dict[str, Any], indent: str = "    ") -> list[str]:
    """A rule's ``why`` (from :meth:`RuleOutcome.to_dict`, or a recorded decision) as indented text lines.

    Shared by `govern classify` and the report, so both say the same thing in the same words.
    Decisions recorded before explanations existed have no ``why``: nothing is invented for them.
    """
    why = rule.get("why")
    if not isinstance(why, dict):
        return []
    lines = [f"{indent}why: {why.get('summary', '')}"]
    for part in ("when", "unless"):
        recorded = why.get(part)
        if isinstance(recorded, dict):
            lines.append(f"{indent}  {part} → {_shown(recorded.get('value'))}")
            lines.extend(_reason_lines(recorded.get("because") or [], indent + "    "))
    return lines


def _reason_lines(reasons: list[dict[str, Any]], indent: str) -> list[str]:
    lines = []
    for reason in reasons:
        if "definition" in reason:
            cited = f" — {reason['citation']}" if reason.get("citation") else ""
            where = f"   [{reason['location']}]" if reason.get("location") else ""
            lines.append(f"{indent}{reason['definition']} → {_shown(reason.get('value'))}{cited}{where}")
            lines.extend(_reason_lines(reason.get("because") or [], indent + "  "))
        else:
            reads = ", ".join(f"{path} = {_shown(value)}" for path, value in (reason.get("reads") or {}).items())
            lines.append(f"{indent}{reason.get('condition')} → {_shown(reason.get('value'))}"
                         + (f"   ({reads})" if reads else ""))
    return lines


def _shown(value: Any) -> str:
    from govern.dsl.printer import value_text

    return "undetermined" if value == "undetermined" else value_text(value)
