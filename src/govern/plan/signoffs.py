"""Which sign-off requirement of a plan a (gate, role) pair names: what may be signed, or requested.

`govern sign` and `govern request` (and the console, through :mod:`govern.notify.requests`)
accept the same words for the same thing, and refuse the same mistakes with the same
did-you-mean, before anything is signed or recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.errors import Diagnostic, did_you_mean
from govern.sign.keys import SigningError

if TYPE_CHECKING:
    from govern.plan.graph import Plan
    from govern.policy.model import SignoffSpec


def refuse(code: str, message: str, hint: str | None = None) -> SigningError:
    return SigningError(Diagnostic(code, message, hint=hint))


def gate_role(plan: "Plan", gate: str, role: str) -> "SignoffSpec":
    """The gate's sign-off requirement ``role`` names: its id (the role, unless the template gives
    two sign-offs of one role distinct ids), or a role with exactly one sign-off at the gate."""
    if gate not in plan.gates:
        raise refuse("sign-unknown-gate", f"gate `{gate}` is not in the {plan.tier} plan of {plan.use_case_id}",
                     did_you_mean(gate, plan.gates) or "gates: " + ", ".join(plan.order))
    specs = [r.spec for r in plan.gates[gate].signoffs]
    if not specs:
        wanted = [g for g in plan.order if plan.gates[g].signoffs]
        raise refuse("sign-no-signoffs", f"gate `{gate}` of {plan.use_case_id} requires no sign-offs",
                     ("gates that do: " + ", ".join(wanted)) if wanted else
                     f"no gate of the {plan.tier} plan requires a sign-off")
    by_key = {s.key: s for s in specs}  # type: ignore[union-attr]
    if role in by_key:
        return by_key[role]
    same_role = [s for s in specs if s.role == role]  # type: ignore[union-attr]
    if len(same_role) == 1:
        return same_role[0]
    if same_role:
        raise refuse("sign-ambiguous-role", f"gate `{gate}` has {len(same_role)} sign-offs by role `{role}`",
                     "name the one you sign: --role " + " or --role ".join(s.key for s in same_role))
    raise refuse("sign-unknown-role", f"gate `{gate}` needs no sign-off by role `{role}`",
                 did_you_mean(role, by_key) or "its sign-offs: " + ", ".join(by_key))
