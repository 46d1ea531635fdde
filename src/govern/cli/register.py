"""`govern register`: approve a use case's intake -- its descriptor, answers and tier under one pack."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import click

from govern.cli.common import policy_option
from govern.cli.sign import at_option, key_option, no_store_option, out_option
from govern.cli.status import database_option


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@key_option
@click.option("--signer", "-s", required=True, metavar="PERSON_ID",
              help="Your person id in the pack's `people:`; must hold one of its `registration_roles`.")
@click.option("--role", "-r", default=None,
              help="The registration role you sign as (default: your first role among registration_roles).")
@click.option("--comment", "-m", default=None, help="What you checked (shown in history and reports).")
@click.option("--evidence", "-e", "evidence", type=click.Path(path_type=Path), default=None,
              help="With --into-evidence: the bundle whose registrations/ folder receives the record.")
@click.option("--into-evidence", "into", is_flag=True,
              help="Write the record into EVIDENCE/registrations/, for CI without database access.")
@out_option
@no_store_option
@database_option
@at_option
def register(use_case_path: Path, policy_path: Path, key: str, signer: str, role: str | None, comment: str | None,
             evidence: Path | None, into: bool, out: Path | None, no_store: bool, database: str | None,
             at: _dt.datetime | None) -> None:
    """Register a use case: sign its descriptor, its tier and who built the model.

    \b
    A pack whose policy.yaml names `registration_roles` makes `govern check` require a
    valid registration: signed by someone holding one of those roles who did not build
    the model, for exactly this descriptor (its digest) under exactly this pack (its
    digest, or one the pack lists in `compatible_with`). Editing any answer, the owner
    or the authors changes the descriptor digest, and the use case is unregistered
    until someone registers it again -- so a lower tier always needs a second person.
    Segregation of duties reads the model's authors from the registration.

    \b
    The signed payload names: use case, descriptor digest, policy digest, tier, owner,
    authors (model.author and model.developers), role, signer, comment, signed_at and
    key fingerprint.

    \b
    Examples:
      govern register uc.yaml -p policies/eu-ai-act --key rita --signer rita
      govern register uc.yaml -p pack -k rita -s rita -e evidence/ --into-evidence --no-store
    """
    from govern.classification import classify
    from govern.cli import signing as issue
    from govern.cli.common import load
    from govern.sign.payload import registration_payload, utc_timestamp

    if into and evidence is None:
        raise click.UsageError("--into-evidence needs --evidence DIR")
    moment = at or _dt.datetime.now(_dt.timezone.utc)
    open_store = None if no_store else issue.store_opener(database)  # fail early if the store is missing
    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    roles = policy.manifest.registration_roles
    if not roles:
        raise issue.refuse("register-not-required", f"policy {policy.name} names no `registration_roles`",
                           "add `registration_roles: [risk_officer]` (for example) to policy.yaml, through the "
                           "pack's review process")
    person = issue.person_or_refuse(policy, signer, "signer")
    held = [r for r in roles if r in person.roles]
    if role is None:
        if not held:
            raise issue.refuse("sign-role-not-held", f"{signer} holds no registration role in policy {policy.name}",
                               f"registration_roles: {', '.join(roles)}; holders: "
                               f"{', '.join(sorted({h for r in roles for h in policy.holders(r)})) or 'nobody'}")
        role = held[0]
    elif role not in roles:
        raise issue.refuse("register-unknown-role", f"role `{role}` does not register use cases in policy "
                           f"{policy.name}", f"registration_roles: {', '.join(roles)}")
    elif role not in person.roles:
        raise issue.refuse("sign-role-not-held", f"{signer} does not hold role `{role}` in policy {policy.name}",
                           f"holders of {role}: {', '.join(policy.holders(role)) or 'nobody'}")
    model = use_case.model
    authors = sorted({a for a in ([model.author, *model.developers] if model else []) if a})
    if signer in authors:
        raise issue.refuse("sign-segregation-of-duties",
                           f"{signer} built this model and may not register it (segregation of duties)",
                           f"another holder of {role}: "
                           f"{', '.join(h for h in policy.holders(role) if h not in authors) or 'nobody'}")
    day = moment.astimezone(_dt.timezone.utc).date()
    tier = classify(policy, use_case, day).tier
    private_key, key_path, warning = issue.load_signing_key(key)
    if warning:
        click.echo(warning, err=True)
    fp = issue.key_matches_person(policy, person, private_key, key_path)
    payload = registration_payload(
        use_case=use_case.id, descriptor_digest=use_case.digest, policy_digest=policy.digest, tier=tier,
        owner=use_case.owner, authors=authors, role=role, signer=signer, comment=comment,
        signed_at=utc_timestamp(moment), key_fingerprint=fp)
    issue.sign_and_deliver(policy, private_key, payload, out=out, into=evidence if into else None,
                           open_store=open_store, folder="registrations", summary=[
                               f"registered: {use_case.id} as tier {tier} by {signer} ({role}, {fp})",
                               f"  descriptor {use_case.digest}",
                               f"  policy {policy.name} {policy.version} {policy.digest}",
                               f"  authors {', '.join(authors) or '(none named)'}", f"  at {payload['signed_at']}"])
