"""Sign-off and waiver records → whether a gate's human approvals and exceptions count.

A sign-off counts only if the record is verified (signed), the signer holds the role in the
policy, it names the current model and evidence (a retrained model makes it stale), it is
not expired (`valid_for`) nor dated after the evaluation, segregation of duties holds
(`not_author`, `distinct_from`), and the signer has not already been counted. Every record
that does not count is reported with its reason. A waiver counts while it is signed, unexpired,
granted by a holder of a `waiver_roles` role, and runs no longer than the pack's `max_waiver_days`.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from govern.canonical import short
from govern.evaluate.results import SignoffResult
from govern.policy.model import SignoffSpec, parse_duration

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.sign.sources import SignoffRecord, WaiverRecord
    from govern.plan.graph import Requirement
    from govern.policy.pack import Policy


def _describe(record: "SignoffRecord", expires: _dt.date | None = None) -> dict[str, Any]:
    return {"signer": record.signer, "role": record.role, "decision": record.decision,
            "signed_at": record.signed_at.isoformat(), "key_fingerprint": record.key_fingerprint,
            "comment": record.comment, "verified": record.verified, "source": record.source,
            "expires": expires.isoformat() if expires else None}


def _expiry(ctx: "EvaluationContext", spec: SignoffSpec, record: "SignoffRecord") -> _dt.date | None:
    """The last day an approval counts (`valid_for` after signing), so views can warn before it lapses."""
    if not spec.valid_for:
        return None
    return record.signed_at.astimezone(_dt.timezone.utc).date() + validity(ctx, spec)


def validity(ctx: "EvaluationContext", spec: SignoffSpec) -> _dt.timedelta:
    """`valid_for` as a duration; a `params.NAME` reference may hold a duration text or a number of days."""
    value = ctx.policy.resolve(spec.valid_for)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _dt.timedelta(days=value)
    return parse_duration(str(value))


def problem_with(ctx: "EvaluationContext", spec: SignoffSpec, record: "SignoffRecord",
                 gate: str | None = None) -> str | None:
    """Why a record does not count, or None if it does.

    Every field compared here is the verified payload's: where a record was found (a file name, a
    store row's columns) never decides what it approves.
    """
    if not record.verified:
        return record.problem or "signature not verified"
    if record.use_case_id != ctx.use_case.id:
        return f"sign-record-mismatch: signed for use case {record.use_case_id}, not {ctx.use_case.id}"
    if gate is not None and (record.gate != gate or record.role != spec.key):
        return (f"sign-record-mismatch: signed for {record.gate} / {record.role}, "
                f"not {gate} / {spec.key}")
    if spec.role not in ctx.policy.roles_of(record.signer):
        return f"{record.signer} does not hold role `{spec.role}` in policy {ctx.policy.name}"
    stale_policy = ctx.policy.signed_under(record.policy_digest, gate)
    if stale_policy is not None:
        return stale_policy
    if record.model_digest != ctx.model_digest:
        return (f"stale: signed for model {short(record.model_digest)}, the evidence now holds model "
                f"{short(ctx.model_digest)} (re-approval needed after retraining)")
    if record.evidence_digest is not None and record.evidence_digest != ctx.evidence_digest:
        return (f"stale: signed for evidence {short(record.evidence_digest)}, the evidence is now "
                f"{short(ctx.evidence_digest)}")
    signed_on = record.signed_at.astimezone(_dt.timezone.utc).date()
    if signed_on > ctx.as_of:
        return f"signed on {signed_on}, after the evaluation date {ctx.as_of}"
    if spec.valid_for:
        valid_for = validity(ctx, spec)
        until = signed_on + valid_for
        if until < ctx.as_of:
            return f"expired on {until} (valid for {valid_for.days}d from {signed_on})"
    return duty_problem(ctx.policy, spec, record.signer, ctx.authors)


def duty_problem(policy: "Policy", spec: SignoffSpec, signer: str, authors: frozenset[str]) -> str | None:
    """Segregation of duties, in one place: `govern sign` refuses with the message evaluation would give."""
    if spec.not_author and signer in authors:
        return f"{signer} built this model and may not approve it (segregation of duties)"
    conflicts = sorted(set(spec.distinct_from) & set(policy.roles_of(signer)))
    if conflicts:
        return f"{signer} also holds {', '.join(conflicts)}; this sign-off needs someone independent"
    return None


def evaluate_signoff(ctx: "EvaluationContext", gate_id: str, req: "Requirement") -> SignoffResult:
    spec = req.spec
    assert isinstance(spec, SignoffSpec)
    from govern.errors import GovernError

    try:
        # a record names the requirement it answers: the sign-off's id, which is its role unless the
        # template gives two sign-offs of one role distinct ids
        records = ctx.signoffs.signoffs(ctx.use_case.id, gate_id, spec.key)
    except GovernError as exc:
        return SignoffResult(gate_id, spec.role, spec.count, "pending", (),
                             ({"problem": exc.diagnostics[0].message},),
                             f"sign-off records unreadable: {exc.diagnostics[0].message}", req.location, spec.key, spec.title)
    approvals: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    rejections: list[dict[str, Any]] = []
    counted: set[str] = set()
    for record in records:
        problem = problem_with(ctx, spec, record, gate_id)
        if problem is None and record.signer in counted:
            problem = f"{record.signer} is already counted for this sign-off"
        if problem is not None:
            rejected.append({**_describe(record), "problem": problem})
            continue
        counted.add(record.signer)
        (approvals if record.decision == "approve" else rejections).append(_describe(record, _expiry(ctx, spec, record)))
    if rejections:
        who = ", ".join(f"{r['signer']}" + (f" ({r['comment']})" if r["comment"] else "") for r in rejections)
        return SignoffResult(gate_id, spec.role, spec.count, "failed", tuple(approvals + rejections),
                             tuple(rejected), f"rejected by {who}", req.location, spec.key, spec.title)
    if len(approvals) >= spec.count:
        names = ", ".join(a["signer"] for a in approvals)
        return SignoffResult(gate_id, spec.role, spec.count, "passed", tuple(approvals), tuple(rejected),
                             f"approved by {names}", req.location, spec.key, spec.title)
    need = spec.count - len(approvals)
    message = f"awaiting {need} more {spec.role} sign-off{'s' if need != 1 else ''} ({len(approvals)}/{spec.count})"
    if rejected:
        message += f"; {len(rejected)} record(s) did not count"
    return SignoffResult(gate_id, spec.role, spec.count, "pending", tuple(approvals), tuple(rejected), message,
                         req.location, spec.key, spec.title)


def waiver_term_problem(policy: "Policy", signed_on: _dt.date, expires: _dt.date) -> str | None:
    """Why a waiver runs longer than the pack's `max_waiver_days`, or None.

    A waiver is a risk accepted for a while; without a bound, an expiry in 2099 would be a
    permanent exemption that no one re-decides. `govern waive` refuses such a term up front and
    the evaluator ignores records that carry one, with the same words.
    """
    limit = policy.manifest.max_waiver_days
    days = (expires - signed_on).days
    if days <= limit:
        return None
    return (f"expires {expires}, {days} days after it was signed on {signed_on}; policy {policy.name} allows "
            f"waivers of at most {limit} days (`max_waiver_days`)")


def _waiver_term(ctx: "EvaluationContext", record: "WaiverRecord") -> str | None:
    if record.signed_at is None:
        return "it has no signing time, so its term cannot be checked against `max_waiver_days`"
    return waiver_term_problem(ctx.policy, record.signed_at.astimezone(_dt.timezone.utc).date(), record.expires)


def find_waiver(ctx: "EvaluationContext", gate_id: str, check_id: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The first valid waiver for a failed check (by `gate.check` or plain check id), as data, and
    why signed, current waivers of an allowed approver still do not count (their term)."""
    from govern.errors import GovernError

    allowed_roles = set(ctx.policy.manifest.waiver_roles)
    candidates = []
    try:
        for key in (f"{gate_id}.{check_id}", check_id):
            candidates += ctx.waivers.waivers(ctx.use_case.id, key)
    except GovernError:
        return None, []
    refused: list[str] = []
    for record in candidates:
        if not record.verified or not record.active_on(ctx.as_of):
            continue
        # what the waiver covers is read from its signed payload, never from where it was found
        if record.use_case_id != ctx.use_case.id or record.check_id not in (f"{gate_id}.{check_id}", check_id):
            continue
        if record.role not in allowed_roles or record.role not in ctx.policy.roles_of(record.approver):
            continue
        stale = ctx.policy.signed_under(record.policy_digest, gate_id)
        if stale is None and record.model_digest != ctx.model_digest \
                and not ctx.policy.manifest.waivers_survive_retraining:
            stale = (f"stale: granted for model {short(record.model_digest or 'none')}, the evidence now holds "
                     f"model {short(ctx.model_digest)} (`waivers_survive_retraining` is off)")
        if stale is not None:
            refused.append(f"the waiver by {record.approver} does not count: {stale}")
            continue
        problem = _waiver_term(ctx, record)
        if problem is not None:
            refused.append(f"the waiver by {record.approver} does not count: {problem}")
            continue
        return {"approver": record.approver, "role": record.role, "reason": record.reason,
                "expires": record.expires.isoformat(), "source": record.source}, refused
    return None, refused
