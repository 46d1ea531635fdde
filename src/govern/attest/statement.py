"""Decision + model artifact → an in-toto Statement v1, signed into a DSSE envelope.

The statement (in-toto attestation framework, ``spec/v1/statement.md``)::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "model/credit.skops", "digest": {"sha256": "…"}}],
     "predicateType": "https://govern.dev/attestation/decision/v1",
     "predicate": { …the decision JSON, as `govern check -f json` prints it… }}

The subject is each model artifact of the bundle (``model/…`` files with role ``artifact``: the
files :func:`govern.evidence.identity.model_digest` names), by its bundle path and sha256, so
the attestation is about the exact bytes a deployment ships. The payload is canonical JSON: the
same decision gives the same bytes, and (Ed25519 being deterministic) the same envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.canonical import canonical_json
from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.attest.dsse import Envelope
    from govern.evidence.bundle import EvidenceBundle

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://govern.dev/attestation/decision/v1"


@dataclass(frozen=True)
class Subject:
    name: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "digest": {"sha256": self.sha256}}


def model_subjects(bundle: "EvidenceBundle", model_digest: str) -> list[Subject]:
    """The bundle's model artifacts, refused unless they are the model the decision judged.

    ``model_digest`` is the decision's: a bundle changed between evaluation and attestation (or a
    decision whose model digest fell back to the model card) must not yield an attestation of a
    model nobody evaluated.
    """
    from govern.evidence.identity import model_digest as digest_of

    artifacts = sorted((f for f in bundle.files_with_role("artifact") if f.path.startswith("model/")),
                       key=lambda f: f.path)
    if not artifacts:
        raise InputError(Diagnostic(
            "attest-no-model", "the evidence bundle has no model artifact to attest", Span("model/"),
            "an attestation names the model file it allows: put it under model/ (*.skops, *.onnx) or list it "
            "in manifest.yaml with role `artifact` and a path under model/"))
    if digest_of(bundle) != model_digest:
        raise InputError(Diagnostic(
            "attest-model-changed", "the model in the evidence bundle changed while it was being checked",
            Span("model/"), "run the check again on a bundle nothing writes to"))
    return [Subject(f.path, f.sha256) for f in artifacts]


def statement(decision: dict[str, Any], subjects: list[Subject]) -> dict[str, Any]:
    return {"_type": STATEMENT_TYPE, "subject": [s.to_dict() for s in subjects],
            "predicateType": PREDICATE_TYPE, "predicate": decision}


def attest(decision: dict[str, Any], subjects: list[Subject], key: "Ed25519PrivateKey",
           keyid: str) -> "Envelope":
    from govern.attest.dsse import sign

    return sign(PAYLOAD_TYPE, canonical_json(statement(decision, subjects)), key, keyid)
