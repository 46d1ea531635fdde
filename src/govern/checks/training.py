"""`training` check: every person holding the listed roles has a dated training record, recent enough.

Engagement and education (step 7 of the MLOps governance template) is a claim about people;
the pack names who holds which role, the evidence holds their records. A record dated after
the evaluation date does not count, and neither does one older than ``max_age_days``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement, param_list, plural
from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.evidence.training import load_training_records

    manifest = ctx.policy.manifest
    roles = param_list(spec.params, "roles") or sorted(manifest.roles)
    unknown = [r for r in roles if r not in manifest.roles]
    if unknown:
        raise InputError(Diagnostic("unknown-role", f"`training` check `{spec.id}` names unknown role(s) "
                                    + ", ".join(f"`{r}`" for r in unknown)))
    max_age = spec.params.get("max_age_days")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1):
        raise InputError(Diagnostic("invalid-value", f"`max_age_days` is {max_age!r}; it needs a whole number of "
                                    "days, at least 1"))
    people = sorted({p.id for p in manifest.people if set(p.roles) & set(roles)})
    files = ctx.bundle.files_with_role(str(spec.params.get("role") or "training_record"))
    latest: dict[str, object] = {}
    for source in files:
        for record in ctx.cached(f"training:{source.path}", lambda s=source: load_training_records(s)):
            if record.date > ctx.as_of:
                continue  # not yet completed on the evaluation date
            if record.person not in latest or record.date > latest[record.person].date:
                latest[record.person] = record
    missing = [p for p in people if p not in latest]
    stale = [f"{p} ({latest[p].date.isoformat()})" for p in people if p in latest and max_age is not None
             and (ctx.as_of - latest[p].date).days > max_age]
    measured = {"people": len(people), "trained": len(people) - len(missing) - len(stale), "missing": missing,
                "stale": stale, "records": len(latest), "roles": roles}
    parts = []
    if not people:
        parts.append("nobody in the pack holds " + ", ".join(roles))
    if missing:
        parts.append("no training record: " + ", ".join(missing))
    if stale:
        parts.append(f"older than {max_age} days: " + ", ".join(stale))
    message = "; ".join(parts) or f"{plural(len(people), 'role holder')} trained"
    return Measurement(measured=measured, ok=bool(people) and not missing and not stale, message=message,
                       evidence=[ctx.ref(f) for f in files])
