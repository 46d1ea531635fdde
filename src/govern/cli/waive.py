"""`govern waive`: a signed, scoped, expiring exception for one check of one use case."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import click

from govern.cli.common import parse_date, policy_option
from govern.cli.sign import at_option, evidence_option, into_option, key_option, no_store_option, out_option
from govern.cli.status import database_option


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@evidence_option
@click.option("--check", "-c", "check", required=True, metavar="GATE.CHECK",
              help="The check to waive, qualified by its gate, e.g. production.fria.")
@click.option("--reason", required=True, help="Why the exception is acceptable, and until what is done.")
@click.option("--expires", required=True, callback=parse_date, metavar="YYYY-MM-DD",
              help="Last day the waiver applies (inclusive). Not in the past, and at most the pack's "
                   "`max_waiver_days` (default 365) after signing.")
@key_option
@click.option("--approver", "-a", required=True, metavar="PERSON_ID",
              help="Your person id in the pack; must own --key and hold one of the policy's `waiver_roles`.")
@click.option("--role", "-r", default=None,
              help="Which of your waiver roles you grant it as (default: your first role in `waiver_roles`).")
@out_option
@into_option
@no_store_option
@database_option
@at_option
def waive(use_case_path: Path, policy_path: Path, evidence: Path, check: str, reason: str, expires: _dt.date,
          key: str, approver: str, role: str | None, out: Path | None, into: bool, no_store: bool,
          database: str | None, at: _dt.datetime | None) -> None:
    """Grant a signed exception for a failing check, until an expiry date.

    \b
    A waived check shows `waived` -- never `passed` -- with the reason, approver and
    expiry, and stops applying the day after it expires. It is scoped to one use case
    and one GATE.CHECK, and counts only if signed by a person holding one of the
    policy's `waiver_roles` with the key the pack lists for them.

    \b
    Refused (exit 2): unknown checks (with did-you-mean), checks marked
    `waivable: false`, the prohibited-tier check, an expiry in the past or more than
    the pack's `max_waiver_days` (default 365) away, an approver without a waiver
    role, a key that is not the approver's.

    \b
    Examples:
      govern waive uc.yaml -p policies/eu-ai-act -e evidence/ --check production.fria \\
          --reason "FRIA scheduled for Q3, interim controls in place" --expires 2026-09-30 \\
          --key rita --approver rita --into-evidence
    """
    from govern.cli import signing as issue
    from govern.evaluate.signoffs import waiver_term_problem
    from govern.sign.payload import utc_timestamp, waiver_payload

    moment = at or _dt.datetime.now(_dt.timezone.utc)
    today = moment.astimezone(_dt.timezone.utc).date()
    if expires < today:
        raise issue.refuse("waive-expired", f"--expires {expires} is in the past (today is {today})",
                           "a waiver needs a future expiry; choose the date the fix is due")
    open_store = None if no_store else issue.store_opener(database)  # fail early if the store is missing
    subject = issue.Subject.load(policy_path, use_case_path, evidence, today)
    policy = subject.policy
    subject.waivable_check(check)
    too_long = waiver_term_problem(policy, today, expires)
    if too_long is not None:  # the evaluator would ignore it: refuse before anything is signed
        raise issue.refuse("waive-too-long", too_long, "choose an earlier --expires; the pack sets the longest "
                           "term with `parameters: {max_waiver_days: N}`")
    person = issue.person_or_refuse(policy, approver, "approver")
    allowed = list(policy.manifest.waiver_roles)
    if not allowed:
        raise issue.refuse("waive-not-allowed", f"policy {policy.name} accepts no waivers (`waiver_roles` is empty)")
    held = [r for r in allowed if r in person.roles]
    if role is not None:
        if role not in allowed:
            raise issue.refuse("waive-role-not-allowed", f"role `{role}` may not grant waivers in policy {policy.name}",
                               "waiver roles: " + ", ".join(allowed))
        if role not in person.roles:
            raise issue.refuse("waive-role-not-held", f"{approver} does not hold role `{role}` in policy {policy.name}")
    elif not held:
        holders = sorted({h for r in allowed for h in policy.holders(r)})
        raise issue.refuse("waive-role-not-held", f"{approver} holds none of the waiver roles of policy "
                           f"{policy.name} ({', '.join(allowed)})",
                           f"ask {', '.join(holders)}" if holders else "nobody in the pack holds a waiver role")
    role = role or held[0]
    private_key, key_path, warning = issue.load_signing_key(key)
    if warning:
        click.echo(warning, err=True)
    fp = issue.key_matches_person(policy, person, private_key, key_path)
    payload = waiver_payload(use_case=subject.use_case.id, check=check, role=role, approver=approver, reason=reason,
                             expires=expires, model_digest=subject.model_digest, policy_digest=policy.digest,
                             signed_at=utc_timestamp(moment),
                             key_fingerprint=fp)
    issue.sign_and_deliver(policy, private_key, payload, out=out, into=subject.bundle.root if into else None,
                           open_store=open_store, folder="waivers", summary=[
                               f"waived: {check} for {subject.use_case.id} until {expires} by {approver} as {role} "
                               f"({fp})", f"  reason: {reason}"])
