"""The YAML shapes of a policy pack, as pydantic models (also exported as JSON Schema).

These models validate structure only; cross-references (tiers, roles, check kinds, DSL
conditions) are checked by :mod:`govern.load.pack`, which knows the whole pack.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENT = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
#: the longest a waiver may run (expiry minus signing day) unless the pack's
#: `parameters: {max_waiver_days: N}` says otherwise: an accepted risk is re-decided yearly
DEFAULT_MAX_WAIVER_DAYS = 365
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhw])\s*$")


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(text: str) -> _dt.timedelta:
    match = DURATION_RE.match(text)
    if not match:
        raise ValueError(f"`{text}` is not a duration; write e.g. `365d`, `12h` or `2w`")
    amount, unit = float(match.group(1)), match.group(2)
    return _dt.timedelta(days=amount * {"d": 1.0, "h": 1 / 24, "w": 7.0}[unit])


# --- manifest -------------------------------------------------------------------

class TierDef(Strict):
    id: str = Field(pattern=IDENT)
    title: str | None = None
    description: str | None = None
    blocks_deployment: bool = Field(
        False, description="Use cases in this tier may not enter any stage (e.g. prohibited practices).")


class RoleDef(Strict):
    title: str | None = None
    description: str | None = None
    level: Literal["strategic", "tactical", "operational"] | None = None
    min_holders: int = Field(0, ge=0, description="How many `people` must hold the role for the pack to load: a "
                             "duty the text puts on a named person (e.g. the SMF accountable for model risk).")


class PersonDef(Strict):
    id: str = Field(pattern=IDENT)
    name: str
    email: str | None = None
    roles: list[str] = Field(default_factory=list)
    public_key: str | None = Field(None, description="Ed25519 public key (PEM or base64) used to verify sign-offs.")


FactType = Literal["enum", "set", "bool", "number", "integer", "string", "date"]


class FactDef(Strict):
    type: FactType = Field(description="enum: one of `values`; set: any subset of `values`.")
    question: str = Field(description="What `govern init` asks.")
    description: str | None = None
    values: list[str] | None = Field(None, description="Allowed values for enum and set facts.")
    value_help: dict[str, str] = Field(default_factory=dict, description="What each allowed value means.")
    required: bool = Field(False, description="A descriptor without this answer is invalid.")
    minimum: float | None = None
    maximum: float | None = None
    group: str | None = Field(None, description="Questionnaire section this fact is asked in.")
    evidence_required: bool = Field(
        False, description="A descriptor answering this fact must point to a document in the evidence bundle "
                           "that supports the answer (`evidence: {fact: path/in/bundle}`), checked by `govern check`.")

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        if values is not None:
            if not values:
                raise ValueError("needs at least one allowed value")
            duplicates = sorted(v for v, times in Counter(values).items() if times > 1)  # linear: 200k values
            if duplicates:
                raise ValueError(f"duplicate allowed values: {', '.join(duplicates)}")
        return values


class CompatibleVersion(Strict):
    """An earlier digest of this pack whose sign-offs still count: an explicit, reviewable act in the
    pack's history (a wording fix, a new test case), never implied by the version number."""

    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    gates: list[str] | None = Field(None, description="Only these gates' sign-offs carry over (default: all).")
    reason: str = Field(min_length=1, description="Why approvals given under that version still hold.")


class ImportSpec(Strict):
    """One entry of `imports:`: a pack to take rules, definitions, facts and template items from."""

    pack: str | None = Field(None, description="Folder of the pack, relative to this policy.yaml's folder.")
    package: str | None = Field(None, description="A pack shipped in an installed Python package: `module:folder`.")
    rules: list[str] = Field(default_factory=list, description="Rule ids; what they read comes along.")
    definitions: list[str] = Field(default_factory=list, description="`let` names, e.g. for template conditions.")
    facts: list[str] = Field(default_factory=list, description="Facts beyond those the imported rules read.")
    fragments: dict[str, str] = Field(default_factory=dict,
                                      description="name → `tier.stage.kind.id` of a check, document or sign-off "
                                                  "of the pack's templates; templates use it as `- use: name`.")

    @model_validator(mode="after")
    def _one_source(self) -> "ImportSpec":
        if (self.pack is None) == (self.package is None):
            raise ValueError("give exactly one of `pack` (a folder) or `package` (module:folder)")
        return self


class InventoryLimit(Strict):
    """The appetite for aggregate model risk in one tier, checked by `govern status --policy`."""

    max_past_review: int | None = Field(None, ge=0, description="Models allowed past their review date "
                                        "(an approval whose `valid_for` ran out).")
    max_open_waivers: int | None = Field(None, ge=0, description="Waivers allowed in force at once.")


class Manifest(Strict):
    """`policy.yaml`: what the pack is and the vocabulary its files share."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    version: str = Field(pattern=r"^\d+(\.\d+)*([\-+][0-9A-Za-z.\-]+)?$")
    title: str | None = None
    description: str | None = None
    tiers: list[TierDef] = Field(min_length=1, description="Most severe first.")
    default_tier: str = Field(description="The tier when no rule fires.")
    on_undetermined: Literal["fire", "skip"] = Field(
        "fire", description="What a rule whose outcome is undetermined (missing facts) does; `fire` fails closed.")
    roles: dict[str, RoleDef] = Field(min_length=1)
    people: list[PersonDef] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict,
                                       description="Thresholds and dates regulators may move.")
    waiver_roles: list[str] = Field(default_factory=list,
                                    description="Roles that may grant waivers; empty: no waivers are accepted.")
    waivers_survive_retraining: bool = Field(
        False, description="Whether a waiver still counts for a retrained model (default: no; like a "
                           "sign-off, it was granted for the model its record names).")
    registration_roles: list[str] = Field(
        default_factory=list,
        description="Roles that approve a use case's intake (`govern register`): its descriptor, answers and "
                    "tier under this pack. Non-empty: `govern check` requires a valid registration.")
    compatible_with: list[CompatibleVersion] = Field(
        default_factory=list,
        description="Earlier digests of this pack under which sign-offs and waivers still count.")
    imports: list[ImportSpec] = Field(default_factory=list,
                                      description="Rules, definitions, facts and template items of other packs.")
    inventory_limits: dict[str, InventoryLimit] = Field(
        default_factory=dict, description="tier → limits on the inventory's aggregate model risk (`govern status "
                                          "--policy`).")
    facts_file: str = "facts.yaml"
    rules: list[str] = Field(default_factory=lambda: ["rules/*.rules"], description="Glob patterns.")
    templates: dict[str, str] = Field(description="tier → template file.")
    tests: list[str] = Field(default_factory=lambda: ["tests/*.yaml"], description="Glob patterns.")

    @property
    def max_waiver_days(self) -> int:
        """The `max_waiver_days` parameter (checked by the pack loader to be a positive integer)."""
        value = self.parameters.get("max_waiver_days", DEFAULT_MAX_WAIVER_DAYS)
        return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_MAX_WAIVER_DAYS

    @field_validator("tiers", mode="before")
    @classmethod
    def _tier_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str) else v for v in value]
        return value


class FactsFile(Strict):
    facts: dict[str, FactDef]


# --- governance templates --------------------------------------------------------

Raci = Literal["R", "A", "C", "I", "A/R", "R/A"]


class CheckSpec(Strict):
    id: str = Field(pattern=IDENT)
    kind: str
    title: str | None = None
    condition: str | None = Field(None, description="Rule-language condition that must hold.")
    params: dict[str, Any] = Field(default_factory=dict)
    enforcement: Literal["block", "warn"] = "block"
    when: str | None = Field(None, description="Rule-language condition over use_case/params: check applies only then.")
    waivable: bool = True
    citation: str | None = None


class SignoffSpec(Strict):
    id: str | None = Field(None, pattern=IDENT,
                           description="Names the sign-off when a gate needs two of the same role (default: the role).")
    title: str | None = Field(None, description="What is being signed, e.g. `Effective challenge`.")
    citation: str | None = None
    role: str
    count: int = Field(1, ge=1)
    distinct_from: list[str] = Field(default_factory=list,
                                     description="Roles whose holders may not sign this (segregation of duties).")
    not_author: bool = Field(False, description="The model's author may not approve it.")
    valid_for: str | None = Field(None, description="How long an approval stays valid, e.g. `365d`, or "
                                  "`params.NAME` naming a pack parameter (a duration or a number of days).")
    when: str | None = None

    @field_validator("valid_for")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("params."):
            parse_duration(value)
        return value

    @property
    def key(self) -> str:
        return self.id or self.role


class DocumentSpec(Strict):
    id: str = Field(pattern=IDENT)
    title: str | None = None
    path: str | None = Field(None, description="File expected in the evidence bundle.")
    role: str | None = Field(None, description="Evidence role expected in the bundle manifest.")
    when: str | None = None
    citation: str | None = None


class GateSpec(Strict):
    title: str | None = None
    checks: list[CheckSpec] = Field(default_factory=list)
    signoffs: list[SignoffSpec] = Field(default_factory=list)
    documents: list[DocumentSpec] = Field(default_factory=list)


class StageSpec(Strict):
    id: str = Field(pattern=IDENT)
    title: str | None = None
    after: list[str] | None = Field(None, description="Stages that must be passed first; default: the previous one.")
    raci: dict[str, Raci] = Field(default_factory=dict, description="role → R, A, C, I or A/R.")
    gate: GateSpec = Field(default_factory=GateSpec, description="What guards entry into this stage.")


class Template(Strict):
    title: str | None = None
    description: str | None = None
    stages: list[StageSpec] = Field(min_length=1)


# --- pack tests --------------------------------------------------------------------

class Expectation(Strict):
    tier: str
    violates: list[str] = Field(default_factory=list,
                                description="Constraints these answers contradict (exactly these); default none.")
    fired: list[str] | None = Field(None, description="Rules that must fire (exactly these, if given).")
    undetermined: list[str] | None = None
    gates: list[str] | None = Field(None, description="Gate (stage) ids of the compiled plan.")
    checks: list[str] | None = Field(None, description="`gate.check` ids required (exactly these, if given).")
    signoffs: list[str] | None = Field(None, description="`gate.signoff` ids (the role unless the template "
                                       "gives an id) required (exactly these, if given).")
    documents: list[str] | None = Field(None, description="`gate.document` ids required (exactly these, if given).")


class PackTestCase(Strict):
    name: str
    facts: dict[str, Any] = Field(default_factory=dict)
    use_case: str | None = Field(None, description="Path of a descriptor file, relative to the test file.")
    as_of: _dt.date | None = None
    expect: Expectation


class PackTestFile(Strict):
    cases: list[PackTestCase] = Field(min_length=1)
