"""Evaluation results as data: check, sign-off and gate results, and the decision with its digest.

Everything a report, a CI annotation or the audit store needs is here, so no consumer ever
evaluates twice. Measured floats are rounded to 12 significant digits before digesting so
that the decision digest does not depend on the last bit of a platform's libm.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

from govern.canonical import digest
from govern.checks.base import EvidenceRef

#: statuses a gate can be in that let a model through it
PASSING = frozenset({"passed", "warned", "waived"})


def _round(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {str(k): _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return f"{value.total_seconds() / 86400:g}d"
    return value


@dataclass(frozen=True)
class CheckResult:
    id: str
    gate: str
    kind: str
    status: str  # passed | failed | warned | waived | error
    enforcement: str  # block | warn
    message: str
    expected: str | None = None  # the condition, as written
    measured: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[EvidenceRef, ...] = ()
    location: str = ""  # policy location that required it
    citation: str | None = None
    title: str | None = None
    waiver: dict[str, Any] | None = None
    details: tuple[str, ...] = ()  # offending items: missing suites, lineage paths, …

    @property
    def blocks(self) -> bool:
        """Whether this result stops its gate: a failed or errored blocking check."""
        return self.enforcement == "block" and self.status in ("failed", "error")

    @property
    def qualified_id(self) -> str:
        return f"{self.gate}.{self.id}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "gate": self.gate, "kind": self.kind, "status": self.status,
            "enforcement": self.enforcement, "message": self.message, "expected": self.expected,
            "measured": _round(self.measured), "evidence": [e.to_dict() for e in self.evidence],
            "location": self.location,
        }
        if self.citation:
            data["citation"] = self.citation
        if self.title:
            data["title"] = self.title
        if self.waiver:
            data["waiver"] = _round(self.waiver)
        if self.details:
            data["details"] = list(self.details)
        return data


@dataclass(frozen=True)
class SignoffResult:
    gate: str
    role: str
    required: int
    status: str  # passed | pending | failed
    approvals: tuple[dict[str, Any], ...] = ()
    rejected: tuple[dict[str, Any], ...] = ()  # records that did not count, with the reason
    message: str = ""
    location: str = ""
    id: str = ""  # the sign-off's id in the template (its role unless two share one)
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "id": self.id or self.role, "title": self.title, "role": self.role,
                "required": self.required, "status": self.status,
                "approvals": _round(list(self.approvals)), "rejected": _round(list(self.rejected)),
                "message": self.message, "location": self.location}


@dataclass(frozen=True)
class GateResult:
    id: str
    title: str
    status: str  # passed | warned | waived | failed | error | pending | blocked
    checks: tuple[CheckResult, ...] = ()
    signoffs: tuple[SignoffResult, ...] = ()
    blocked_by: tuple[str, ...] = ()
    message: str = ""

    @property
    def passing(self) -> bool:
        return self.status in PASSING

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "message": self.message,
                "blocked_by": list(self.blocked_by), "checks": [c.to_dict() for c in self.checks],
                "signoffs": [s.to_dict() for s in self.signoffs]}


@dataclass(frozen=True)
class Decision:
    """The answer to "may this model enter stage T?", with everything that determined it."""

    use_case_id: str
    use_case_name: str
    tier: str
    target: str
    allowed: bool
    verdict: str  # one sentence
    gates: tuple[GateResult, ...]
    determining: tuple[str, ...]  # qualified ids of what blocks the target
    policy: dict[str, str]
    use_case_digest: str
    plan_digest: str
    evidence_digest: str
    model_digest: str
    model: dict[str, Any]
    as_of: _dt.date
    classification: dict[str, Any]
    govern_version: str
    digest: str = ""
    #: an evaluation at a date the caller chose (`--as-of`): never recorded, always labelled. Not in
    #: the digest, so a replay at a recorded decision's date reproduces that decision's digest exactly
    replay: bool = False
    #: where signed records were read from: the bundle's files, and the audit store unless ignored
    record_sources: tuple[str, ...] = ("bundle",)

    @property
    def exit_code(self) -> int:
        return 0 if self.allowed else 1

    def gate(self, gate_id: str) -> GateResult:
        return next(g for g in self.gates if g.id == gate_id)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for g in self.gates for c in g.checks]

    def digest_payload(self) -> dict[str, Any]:
        """What the decision digest covers: inputs' digests and every result (not the tool version)."""
        return {
            "policy_digest": self.policy["digest"], "use_case_digest": self.use_case_digest,
            "evidence_digest": self.evidence_digest, "model_digest": self.model_digest,
            "plan_digest": self.plan_digest, "tier": self.tier, "target": self.target,
            "as_of": self.as_of.isoformat(), "allowed": self.allowed,
            "gates": [g.to_dict() for g in self.gates],
        }

    def compute_digest(self) -> str:
        return digest(self.digest_payload())

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": {"id": self.use_case_id, "name": self.use_case_name, "digest": self.use_case_digest},
            "tier": self.tier,
            "target": self.target,
            "allowed": self.allowed,
            "verdict": self.verdict,
            "determining": list(self.determining),
            "policy": dict(self.policy),
            "model": _round(self.model),
            "evidence_digest": self.evidence_digest,
            "model_digest": self.model_digest,
            "plan_digest": self.plan_digest,
            "as_of": self.as_of.isoformat(),
            "classification": self.classification,
            "gates": [g.to_dict() for g in self.gates],
            "govern_version": self.govern_version,
            "decision_digest": self.digest,
            "replay": self.replay,
            "record_sources": list(self.record_sources),
        }
