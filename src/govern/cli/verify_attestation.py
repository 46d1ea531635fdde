"""`govern verify-attestation FILE --policy PACK --subject MODEL`: may this model be deployed? (0 yes, 1 no, 2 bad input)"""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option
from govern.cli.main import EXIT_POLICY


@click.command("verify-attestation")
@click.argument("attestation", metavar="FILE.intoto.jsonl", type=click.Path(path_type=Path))
@click.option("--policy", "-p", "policy_path", required=True, type=click.Path(path_type=Path),
              help="The policy pack: the signer's public key is taken from its people, and the decision must "
                   "have been made under exactly this pack (its digest).")
@click.option("--subject", "-s", "subject", required=True, type=click.Path(path_type=Path), metavar="MODEL_FILE",
              help="The model file about to be deployed; its sha256 must be an attested subject.")
@click.option("--target", "-t", help="The stage the model is entering (default: the last stage of the decision's "
                                     "plan, as `govern check` defaults).")
@click.option("--signer-role", metavar="ROLE", required=True,
              help="Accept only attestations signed by a person holding ROLE in the pack (e.g. the role of a "
                   "`ci-gate` identity). Required: anyone with a key in the pack could otherwise sign a "
                   "statement that claims an allowing decision.")
@click.option("--max-age-days", type=click.IntRange(min=0), metavar="N",
              help="Refuse a decision evaluated more than N days ago (UTC).")
@format_option("text", "json")
def verify_attestation(attestation: Path, policy_path: Path, subject: Path, target: str | None,
                       signer_role: str, max_age_days: int | None, fmt: str) -> None:
    """Verify a decision attestation written by `govern check --attest`, offline.

    \b
    Passes (exit 0) when an envelope of FILE
      1. is a DSSE envelope whose Ed25519 signature verifies with the public key a
         person of the pack lists who holds --signer-role (the envelope's key id is
         only a hint);
      2. holds an in-toto Statement v1 with predicate type
         https://govern.dev/attestation/decision/v1;
      3. names MODEL_FILE's sha256 as a subject;
      4. carries a decision made under this pack (same digest), not a replay, that
         allows the target stage.
    Exit 1 names what failed for each envelope; exit 2 for a file that is not an
    envelope, an unreadable model file or an invalid pack.

    \b
    Examples:
      govern verify-attestation decision.intoto.jsonl -p policies/bank-mrm \\
          --subject model/credit.skops --target production --signer-role gatekeeper
      govern verify-attestation decision.intoto.jsonl -p ... -s ... --signer-role gatekeeper -f json
    """
    from govern.attest.verify import Request, read_envelopes, verify_envelope
    from govern.canonical import file_sha256
    from govern.cli.common import load as load_pack
    from govern.cli.main import emit_json
    from govern.errors import Diagnostic, InputError, Span

    policy, _ = load_pack(policy_path)
    try:
        raw = attestation.read_bytes()
    except OSError as exc:
        raise InputError(Diagnostic("attestation-unreadable", f"cannot read {attestation}: {exc.strerror or exc}",
                                    Span(str(attestation)))) from None
    envelopes = read_envelopes(raw, str(attestation))
    try:
        if not subject.is_file():
            raise IsADirectoryError(21, "not a regular file")
        digest = file_sha256(subject)
    except OSError as exc:
        raise InputError(Diagnostic("subject-unreadable", f"cannot read model file {subject}: "
                                    f"{exc.strerror or exc}", Span(str(subject)))) from None
    request = Request(digest, target, signer_role, max_age_days)
    verdicts = [verify_envelope(policy, envelope, line, request) for line, envelope in envelopes]
    ok = any(v.ok for v in verdicts)
    if fmt == "json":
        emit_json({"ok": ok, "attestation": str(attestation), "subject": {"path": str(subject), "sha256": digest},
                   "policy": {"name": policy.name, "digest": policy.digest},
                   "envelopes": [v.to_dict() for v in verdicts]})
    else:
        lines = [f"{attestation}: " + ("VERIFIED" if ok else "NOT VERIFIED") + f" for {subject} (sha256:{digest})"]
        for v in verdicts:
            d = v.decision
            if v.ok:
                lines.append(f"  line {v.line}: signed by {v.signer} ({v.keyid}); decision {d.get('decision_digest')} "
                             f"allows `{d.get('target')}` for {(d.get('use_case') or {}).get('id')} "
                             f"(tier {d.get('tier')}, evaluated {d.get('as_of')})")
            else:
                lines.append(f"  line {v.line}: " + "; ".join(v.problems))
        click.echo("\n".join(lines))
    if not ok:
        raise SystemExit(EXIT_POLICY)
