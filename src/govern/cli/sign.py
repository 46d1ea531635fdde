"""`govern sign`: a signed approval (or rejection) of one gate, bound to the current model and evidence."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import click

from govern.cli.common import policy_option
from govern.cli.status import database_option


def parse_at(ctx: click.Context, param: click.Parameter, value: str | None) -> _dt.datetime | None:
    if value is None:
        return None
    from govern.sign.payload import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc) if "time zone" in str(exc) else
                                 f"{value!r} is not an ISO date or date-time (e.g. 2026-05-01T09:00:00Z)") from None


evidence_option = click.option(
    "--evidence", "-e", "evidence", required=True, type=click.Path(path_type=Path),
    help="Evidence bundle folder; the record binds to its model and evidence digests.")
key_option = click.option(
    "--key", "-k", "key", required=True, metavar="KEY",
    help="Your private key: a path, or a name from `govern keys generate` (passphrase: GOVERN_KEY_PASSPHRASE).")
out_option = click.option("--out", "--output-record", "-o", "out", type=click.Path(path_type=Path), default=None,
                          metavar="FILE", help="Also write the signed record to FILE (.yaml, or .json). With "
                                               "--no-store it is only that file, which the console (`govern "
                                               "serve`) accepts for sign-offs and waivers.")
into_option = click.option("--into-evidence", "into", is_flag=True,
                           help="Write the record into the evidence bundle (signoffs/ or waivers/), for CI "
                                "without database access. Never overwrites another record.")
no_store_option = click.option("--no-store", is_flag=True,
                               help="Do not add the record to the audit store (then it is only a file, or "
                                    "printed if no file is asked for).")
at_option = click.option("--at", "at", callback=parse_at, metavar="ISO_TIMESTAMP",
                         help="Signing time (default: now, UTC), e.g. 2026-05-01T09:00:00Z or 2026-05-01.")


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@evidence_option
@click.option("--gate", "-g", required=True, help="Gate (stage) being approved, e.g. production.")
@click.option("--role", "-r", required=True,
              help="The sign-off you give: its role (e.g. validator), or its id when a gate has two of one role.")
@click.option("--decision", "-d", required=True, type=click.Choice(["approve", "reject"]),
              help="approve counts towards the gate; reject blocks it until re-signed.")
@click.option("--comment", "-m", default=None, help="Why (shown in reports; required in practice for reject).")
@key_option
@click.option("--signer", "-s", required=True, metavar="PERSON_ID",
              help="Your person id in the pack's `people:`; must own --key and hold --role.")
@out_option
@into_option
@no_store_option
@database_option
@at_option
def sign(use_case_path: Path, policy_path: Path, evidence: Path, gate: str, role: str, decision: str,
         comment: str | None, key: str, signer: str, out: Path | None, into: bool, no_store: bool,
         database: str | None, at: _dt.datetime | None) -> None:
    """Sign off a gate for the model and evidence as they are now.

    \b
    The signed payload names: use case, model digest, evidence digest, policy digest,
    gate, role, decision, comment, signed_at (UTC) and key fingerprint, plus you as
    signer. `govern check` counts it only while all of these hold:
      - the signature verifies with the key the pack lists for the signer;
      - the signer holds the role in the policy;
      - the evidence still has the same model and evidence digests (retraining, or
        any change to the evidence, makes the approval stale: sign again);
      - it is not older than the sign-off's `valid_for` (e.g. 365d);
      - segregation of duties holds (`not_author`, `distinct_from`);
      - the signer is counted once per sign-off, however many records they made.

    \b
    Refused before signing (exit 2): an unknown gate or role, a gate that does not
    need that role, a signer not in the pack or not holding the role, a key that is
    not the signer's key in the pack.

    \b
    Where the record goes: the audit store (unless --no-store), and --out FILE and/or
    --into-evidence (EVIDENCE/signoffs/<gate>-<role>-<signer>-<date>.yaml). With
    --no-store and no file, the record is printed.

    \b
    Examples:
      govern sign uc.yaml -p policies/eu-ai-act -e evidence/ --gate production \\
          --role validator --decision approve --key victor --signer victor --into-evidence
      govern sign uc.yaml -p pack -e evidence/ -g production -r risk_officer -d reject \\
          -m "overlays undocumented" -k ~/.govern/keys/rita.key -s rita --no-store -o rita.yaml
    """
    from govern.cli import signing as issue
    from govern.sign.payload import signoff_payload, utc_timestamp

    moment = at or _dt.datetime.now(_dt.timezone.utc)
    open_store = None if no_store else issue.store_opener(database)  # fail early if the store is missing
    subject = issue.Subject.load(policy_path, use_case_path, evidence, moment.astimezone(_dt.timezone.utc).date())
    spec = subject.gate_role(gate, role)
    role, held = spec.key, spec.role  # the record names the sign-off it answers; the signer must hold its role
    policy = subject.policy
    person = issue.person_or_refuse(policy, signer, "signer")
    if held not in person.roles:
        raise issue.refuse("sign-role-not-held", f"{signer} does not hold role `{held}` in policy {policy.name}",
                           f"{signer}'s roles: {', '.join(person.roles) or 'none'}; holders of {held}: "
                           f"{', '.join(policy.holders(held)) or 'nobody'}")
    day = moment.astimezone(_dt.timezone.utc).date()
    if open_store is not None:
        from govern.record.config import existing_store

        store = open_store() if existing_store(database) is not None else None
    else:
        store = None
    try:
        authors = subject.authors(day, store)
    finally:
        if store is not None:
            store.close()
    from govern.evaluate.signoffs import duty_problem

    duty = duty_problem(policy, spec, signer, authors)
    if duty is not None:  # the message evaluation would give, before anything is signed
        raise issue.refuse("sign-segregation-of-duties", duty,
                           f"holders of {held} who did not build it: "
                           f"{', '.join(h for h in policy.holders(held) if h not in authors) or 'nobody'}")
    private_key, key_path, warning = issue.load_signing_key(key)
    if warning:
        click.echo(warning, err=True)
    fp = issue.key_matches_person(policy, person, private_key, key_path)
    payload = signoff_payload(
        use_case=subject.use_case.id, gate=gate, role=role, signer=signer, decision=decision, comment=comment,
        model_digest=subject.model_digest, evidence_digest=subject.evidence_digest, policy_digest=policy.digest,
        signed_at=utc_timestamp(moment), key_fingerprint=fp)
    issue.sign_and_deliver(policy, private_key, payload, out=out, into=subject.bundle.root if into else None,
                           open_store=open_store, folder="signoffs", summary=[
                               f"signed: {decision} {gate} as {role} for {subject.use_case.id} by {signer} ({fp})",
                               f"  model {subject.model_digest}", f"  evidence {subject.evidence_digest}",
                               f"  policy {policy.name} {policy.version} {policy.digest}",
                               f"  at {payload['signed_at']}"])
