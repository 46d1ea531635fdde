"""Policy + use case → risk tier, with every rule that fired or was undetermined and why.

A rule's outcome is ``when and not unless`` in three-valued logic: true fires, false does
not, undetermined (a fact it reads is unknown) does what the rule or pack says -- ``fire``
(fail closed, the default) or ``skip`` -- and the explanation always shows which. The tier
is the most severe among rules that fire, else the pack's default tier.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from govern.dsl.values import AS_OF_KEY, UNDETERMINED, EvalError
from govern.load.use_case import UseCase
from govern.policy.pack import CompiledRule, Policy


@dataclass(frozen=True)
class RuleOutcome:
    rule_id: str
    tier: str
    status: str  # fired | not_fired | undetermined | error
    effect: str  # fired | skipped | none: what the outcome did to the tier
    citation: str
    location: str
    reads: dict[str, Any]
    text: str
    message: str | None = None

    @property
    def counted(self) -> bool:
        return self.effect == "fired"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.rule_id, "tier": self.tier, "status": self.status, "effect": self.effect,
            "citation": self.citation, "location": self.location, "reads": _jsonable(self.reads),
            "message": self.message,
        }


@dataclass(frozen=True)
class Classification:
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
            "not_fired": [o.rule_id for o in self.outcomes if o.status == "not_fired"],
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
    env = environment(policy, use_case, as_of)
    outcomes = [_outcome(policy, rule, env) for rule in policy.rules]
    fired = [o for o in outcomes if o.counted]
    if fired:
        tier = min(fired, key=lambda o: policy.severity(o.tier)).tier
    else:
        tier = policy.manifest.default_tier
    return Classification(
        tier=tier, use_case_id=use_case.id, policy_name=policy.name, policy_version=policy.version,
        policy_digest=policy.digest, use_case_digest=use_case.digest, as_of=as_of,
        outcomes=outcomes, default_used=not fired,
    )


def _outcome(policy: Policy, rule: CompiledRule, env: dict[str, Any]) -> RuleOutcome:
    message = None
    try:
        value = rule_value(rule, env)
    except EvalError as exc:
        value, message = UNDETERMINED, exc.message
    if value is True:
        status, effect = "fired", "fired"
    elif value is False:
        status, effect = "not_fired", "none"
    else:
        status = "error" if message else "undetermined"
        effect = "fired" if rule.undetermined == "fire" else "skipped"
    reads = {path: _read(env, path) for path in rule.reads}
    return RuleOutcome(rule.id, rule.rule.tier, status, effect, rule.rule.citation, policy.location(rule.span), reads,
                       rule.text, message)


def _read(env: dict[str, Any], dotted: str) -> Any:
    from govern.dsl.values import lookup

    value = lookup(env, tuple(dotted.split(".")))
    return "<missing>" if value is UNDETERMINED else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.timedelta)):
        return value.isoformat() if isinstance(value, _dt.date) else f"{value.total_seconds() / 86400:g}d"
    return value
