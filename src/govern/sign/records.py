"""The signed record both the signer (`govern sign`/`waive`) and the store agree on.

A record is a flat payload of plain values plus a detached Ed25519 signature over the
payload's canonical JSON (:func:`govern.canonical.canonical_json`). It travels as a YAML
or JSON file beside the evidence (``signoffs/*.yaml``, ``waivers/*.yaml``) or as a row in
the audit store; either way the bytes that were signed can be recomputed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from govern.canonical import canonical_json

Kind = Literal["signoff", "waiver", "registration"]

#: Payload fields, in the order they are written to files (the signature does not depend on order).
SIGNOFF_FIELDS = ("kind", "use_case", "gate", "role", "signer", "decision", "comment", "model_digest",
                  "evidence_digest", "policy_digest", "signed_at", "key_fingerprint")
WAIVER_FIELDS = ("kind", "use_case", "check", "role", "approver", "reason", "expires", "model_digest",
                 "policy_digest", "signed_at", "key_fingerprint")
#: A use case's intake approval: this descriptor (its answers), under this pack, is this tier, and
#: these people built the model (segregation of duties reads them from here, not from the descriptor).
REGISTRATION_FIELDS = ("kind", "use_case", "descriptor_digest", "policy_digest", "tier", "owner", "authors",
                       "role", "signer", "comment", "signed_at", "key_fingerprint")
FIELDS: dict[str, tuple[str, ...]] = {"signoff": SIGNOFF_FIELDS, "waiver": WAIVER_FIELDS,
                                      "registration": REGISTRATION_FIELDS}


@dataclass(frozen=True)
class SignedRecord:
    kind: Kind
    payload: dict[str, Any]  # every field of SIGNOFF_FIELDS / WAIVER_FIELDS, JSON-safe (dates as ISO text)
    signature: str  # base64 of the 64-byte Ed25519 signature over canonical_json(payload)
    source: str | None = field(default=None, compare=False)  # where it was read from, for reports

    def signed_bytes(self) -> bytes:
        return canonical_json(self.payload)

    def to_data(self) -> dict[str, Any]:
        fields = FIELDS[self.kind]
        ordered = {k: self.payload.get(k) for k in fields}
        ordered["signature"] = self.signature
        return ordered
