"""Synthetic decisions and dummy signed records: fast, deterministic inputs for store tests and workers."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from typing import Any

from govern.canonical import canonical_json, digest
from govern.evaluate.results import CheckResult, Decision, GateResult, SignoffResult
from govern.sign.records import SignedRecord

AS_OF = dt.date(2026, 6, 1)
POLICY = {"name": "mini", "version": "1.0.0", "digest": digest("policy mini 1.0.0")}


def model_digest(n: int) -> str:
    return digest(f"model {n}")


def make_decision(use_case_id: str = "credit", *, model: int = 1, approvals: tuple[dict[str, Any], ...] = (),
                  waiver: dict[str, Any] | None = None, fail_validation: bool = False, n_checks: int = 3,
                  target: str = "production", as_of: dt.date = AS_OF, policy: dict[str, str] = POLICY) -> Decision:
    checks = tuple(CheckResult(f"c{i}", "validation", "metric", "passed", "block", "ok", "x > 1",
                               {"x": 1.5 + i}) for i in range(n_checks))
    if fail_validation:
        checks += (CheckResult("auc", "validation", "metric", "failed", "block", "auc too low", "auc > 0.7"),)
    if waiver:
        checks += (CheckResult("fria", "validation", "documentation", "waived", "block", "waived", waiver=waiver),)
    validation = "failed" if fail_validation else ("waived" if waiver else "passed")
    signoff_status = "passed" if approvals else "pending"
    production = "blocked" if fail_validation else signoff_status
    gates = (
        GateResult("development", "Development", "passed"),
        GateResult("validation", "Validation", validation, checks),
        GateResult("production", "Production", production, (), (
            SignoffResult("production", "validator", 1, signoff_status, approvals, (), "", "templates/high.yaml:3:1"),)),
        GateResult("monitoring", "Monitoring", "blocked" if production != "passed" else "passed"),
    )
    allowed = all(g.status in ("passed", "waived", "warned") for g in gates[: [g.id for g in gates].index(target) + 1])
    decision = Decision(
        use_case_id=use_case_id, use_case_name=f"Use case {use_case_id}", tier="high", target=target,
        allowed=allowed, verdict="ALLOWED" if allowed else "BLOCKED", gates=gates,
        determining=() if allowed else ("validation.auc",), policy=dict(policy),
        use_case_digest=digest(use_case_id), plan_digest=digest(("plan", use_case_id)),
        evidence_digest=digest(("evidence", use_case_id, model)), model_digest=model_digest(model),
        model={"name": f"{use_case_id}-model", "version": f"1.{model}.0"}, as_of=as_of,
        classification={"tier": "high"}, govern_version="0.1.0")
    return dataclasses.replace(decision, digest=decision.compute_digest())


def approval(signer: str = "alice", signed_at: str = "2026-05-30T10:00:00+00:00") -> dict[str, Any]:
    return {"signer": signer, "role": "validator", "decision": "approve", "signed_at": signed_at,
            "key_fingerprint": f"fp-{signer}", "comment": None, "verified": True, "source": None}


def _sign(payload: dict[str, Any]) -> str:
    """Not Ed25519: a stand-in with the right shape (64 bytes, base64) for store tests."""
    return base64.b64encode(hashlib.sha512(canonical_json(payload)).digest()).decode()


def signoff(use_case_id: str = "credit", *, signer: str = "alice", model: int = 1, n: int = 0,
            gate: str = "production", role: str = "validator", decision: str = "approve") -> SignedRecord:
    payload = {"kind": "signoff", "use_case": use_case_id, "gate": gate, "role": role, "signer": signer,
               "decision": decision, "comment": f"reviewed #{n}", "model_digest": model_digest(model),
               "evidence_digest": digest(("evidence", use_case_id, model)), "policy_digest": POLICY["digest"],
               "signed_at": (dt.datetime(2026, 5, 30, 10, tzinfo=dt.timezone.utc)
                             + dt.timedelta(seconds=n)).isoformat(), "key_fingerprint": f"fp-{signer}"}
    return SignedRecord("signoff", payload, _sign(payload))


def waiver(use_case_id: str = "credit", *, check: str = "validation.fria", approver: str = "carol", n: int = 0,
           expires: str = "2026-12-31") -> SignedRecord:
    payload = {"kind": "waiver", "use_case": use_case_id, "check": check, "role": "risk_officer",
               "approver": approver, "reason": f"FRIA in progress #{n}", "expires": expires,
               "model_digest": "sha256:" + "7" * 64, "policy_digest": POLICY["digest"],
               "signed_at": (dt.datetime(2026, 5, 29, 9, tzinfo=dt.timezone.utc)
                             + dt.timedelta(seconds=n)).isoformat(), "key_fingerprint": f"fp-{approver}"}
    return SignedRecord("waiver", payload, _sign(payload))


def registration(use_case_id: str = "credit", *, signer: str = "rita", tier: str = "high", n: int = 0) -> SignedRecord:
    payload = {"kind": "registration", "use_case": use_case_id,
               "descriptor_digest": digest(("descriptor", use_case_id, n)), "policy_digest": POLICY["digest"],
               "tier": tier, "owner": "retail-lending", "authors": ["alice"], "role": "risk_officer",
               "signer": signer, "comment": f"intake reviewed #{n}",
               "signed_at": (dt.datetime(2026, 5, 28, 9, tzinfo=dt.timezone.utc)
                             + dt.timedelta(seconds=n)).isoformat(), "key_fingerprint": f"fp-{signer}"}
    return SignedRecord("registration", payload, _sign(payload))

