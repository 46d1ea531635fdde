"""Is this use case registered -- its descriptor, answers and tier approved under this pack -- and by whom?

The descriptor is a file the pipeline author can edit: answer `annex_iii_uses: [none]` and a
credit model drops to minimal risk; write `author: alice` and the real author may approve their
own model. So a pack that names `registration_roles` makes intake an approval, not a
declaration: someone holding one of those roles signs the descriptor's digest, the pack's
digest, the tier and the model's authors (`govern register`), and `govern check` counts a
registration only for that exact descriptor under that exact pack (or one it declares
`compatible_with`). Any edit to the answers changes the descriptor digest, and the use case is
unregistered until someone who did not build the model registers it again.

The outcome is one blocking check at the first gate, so every output format shows it and
nothing downstream can pass without it; it is never waivable. The registration also says who
built the model: segregation of duties reads those names from here (the descriptor may only
add to them, see :attr:`~govern.checks.context.EvaluationContext.authors`).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from govern.canonical import short
from govern.evaluate.results import CheckResult

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.sign.sources import RegistrationRecord

CHECK_ID = "registration"
TITLE = "Use case registered under this policy"


def registration_problem(ctx: "EvaluationContext", tier: str, record: "RegistrationRecord") -> str | None:
    """Why a registration record does not count for this evaluation, or None if it does."""
    policy, use_case = ctx.policy, ctx.use_case
    if not record.verified:
        return record.problem or "signature not verified"
    if record.use_case_id != use_case.id:
        return f"sign-record-mismatch: registers use case {record.use_case_id}, not {use_case.id}"
    if record.role not in policy.manifest.registration_roles:
        return (f"role `{record.role}` does not register use cases in policy {policy.name} "
                f"(registration_roles: {', '.join(policy.manifest.registration_roles)})")
    if record.role not in policy.roles_of(record.signer):
        return f"{record.signer} does not hold role `{record.role}` in policy {policy.name}"
    if record.descriptor_digest != use_case.digest:
        return (f"descriptor changed since registration: registered {short(record.descriptor_digest)}, "
                f"the descriptor is now {short(use_case.digest)}")
    stale = policy.signed_under(record.policy_digest)
    if stale is not None:
        return stale
    signed_on = record.signed_at.astimezone(_dt.timezone.utc).date()
    if signed_on > ctx.as_of:
        return f"registered on {signed_on}, after the evaluation date {ctx.as_of}"
    builders = set(record.authors) | set(ctx.authors)
    if record.signer in builders:
        return f"{record.signer} built this model and may not register it (segregation of duties)"
    if record.tier != tier:
        return f"registered as tier {record.tier}, but the descriptor now classifies as {tier}: register again"
    return None


def intake(ctx: "EvaluationContext", tier: str, gate: str) -> tuple[CheckResult | None, frozenset[str] | None]:
    """(the registration check for ``gate``, the registered authors) — (None, None) when the pack
    asks for no registration."""
    from govern.errors import GovernError

    if not ctx.policy.manifest.registration_roles:
        return None, None
    base = dict(id=CHECK_ID, gate=gate, kind="registration", enforcement="block", title=TITLE,
                expected="a valid registration of this descriptor under this policy")
    try:
        records = ctx.registrations.registrations(ctx.use_case.id) if ctx.registrations is not None else []
    except GovernError as exc:
        return CheckResult(status="error", message=f"registration records unreadable: {exc.diagnostics[0].message}",
                           **base), None
    chosen, rejected = None, []
    for record in records:
        problem = registration_problem(ctx, tier, record)
        if problem is None:
            chosen = record  # sorted oldest first: the newest valid registration wins
        else:
            rejected.append(f"{record.source or record.signer}: {problem}")
    if chosen is None:
        message = (f"use case not registered: `govern register` by a {' or '.join(ctx.policy.manifest.registration_roles)}"
                   f" who did not build the model")
        if rejected:
            message = f"no valid registration ({len(rejected)} record(s) did not count): {rejected[-1]}"
        return CheckResult(status="error", message=message, details=tuple(rejected), **base), None
    day = chosen.signed_at.astimezone(_dt.timezone.utc).date()
    return CheckResult(
        status="passed", message=f"registered by {chosen.signer} ({chosen.role}) on {day} as tier {chosen.tier}",
        measured={"registered_by": chosen.signer, "registered_on": day.isoformat(), "tier": chosen.tier,
                  "authors": sorted(chosen.authors)},
        details=tuple(rejected), **base), frozenset(chosen.authors)
