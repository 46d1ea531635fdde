"""`govern check --attest FILE --key NAME`: the decision written as a signed in-toto attestation.

The signer is resolved before anything is evaluated (a wrong key is exit 2 before a decision is
recorded); the envelope is written after the decision, whatever its verdict: the verdict is in
the predicate, and `govern verify-attestation` refuses a model the decision does not allow.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.attest.statement import Subject
    from govern.evaluate.results import Decision
    from govern.policy.pack import Policy


@dataclass(frozen=True)
class Attester:
    person: str
    keyid: str
    key: "Ed25519PrivateKey"
    #: subjects the caller names besides the bundle's model files (the image that ships the model)
    extra: tuple["Subject", ...] = ()


def attester(policy: "Policy", key: str | None, path: Path, subjects: tuple[str, ...] = ()) -> Attester:
    """The private key and the pack person it belongs to: an envelope no verifier would accept is refused."""
    from govern.cli.signing import load_signing_key
    from govern.sign.verify import Keyring

    if not key:
        raise InputError(Diagnostic("attest-no-key", f"--attest {path} needs --key NAME (or a key file path)",
                                    hint="the key of the person (or CI identity) the pack lists as attesting"))
    private_key, key_path, warning = load_signing_key(key)
    if warning:
        import click

        click.echo(warning, err=True)
    from govern.sign.keys import fingerprint

    fp = fingerprint(private_key.public_key())
    owners = {entry.person for entry in Keyring(policy).owners(fp)}
    if len(owners) != 1:
        what = "belongs to nobody" if not owners else "is listed for several people"
        raise InputError(Diagnostic(
            "attest-key-unknown", f"key {key_path} ({fp}) {what} in policy {policy.name}", Span(str(key_path)),
            "verifiers check the attestation against the pack's people: add its public key (`govern keys show`) "
            "to one person's entry, e.g. a `ci-gate` identity"))
    return Attester(owners.pop(), fp, private_key, tuple(_subject(text) for text in subjects))


_SUBJECT = re.compile(r"^(?P<name>[^@\s]+)@sha256:(?P<hex>[0-9a-f]{64})$")


def _subject(text: str) -> "Subject":
    """``registry.example.com/credit-scorer@sha256:<hex>`` → a subject, as image references are written."""
    from govern.attest.statement import Subject

    match = _SUBJECT.match(text.strip())
    if match is None:
        raise InputError(Diagnostic("attest-bad-subject", f"--attest-subject {text!r} is not NAME@sha256:HEX",
                                    hint="e.g. registry.example.com/credit-scorer@sha256:<64 hex digits>, the "
                                         "digest `docker buildx imagetools inspect` or `crane digest` prints"))
    return Subject(match.group("name"), match.group("hex"))


def seal(decision: "Decision", evidence: Path, signer: Attester) -> str:
    """Sign the decision about the bundle's model artifact(s): the envelope's JSON line.

    Sealed while the bundle is still there: an MLflow snapshot is a temporary folder.
    """
    from govern.attest.statement import attest, model_subjects
    from govern.evidence.bundle import EvidenceBundle

    bundle = EvidenceBundle.open(evidence)
    subjects = model_subjects(bundle, decision.model_digest)
    return attest(decision.to_dict(), subjects + list(signer.extra), signer.key, signer.keyid).to_json() + "\n"


def write(envelope: str, path: Path) -> None:
    """Write a sealed envelope atomically: a reader never sees half an attestation."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(envelope, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(Diagnostic("output-unwritable", f"cannot write {path}: {exc.strerror or exc}",
                                    Span(str(path)))) from None
