"""DSSE (Dead Simple Signing Envelope, v1.0) for Ed25519: sign, parse, verify.

The spec (github.com/secure-systems-lab/dsse, ``envelope.md`` and ``protocol.md``):

* the signature covers ``PAE(payloadType, payload)`` =
  ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, LEN the byte length in ASCII decimal
  without leading zeros; never the JSON of the envelope, so whitespace or key order in the
  envelope cannot change what was signed;
* the envelope is ``{"payload": base64(body), "payloadType": type, "signatures": [{"keyid": …,
  "sig": base64(signature)}]}``; standard or URL-safe base64 is accepted on reading, standard is
  written;
* ``keyid`` is an unauthenticated hint: a verifier picks the key by it but trusts only keys it
  already holds. govern writes the key's fingerprint (``SHA256:…``, as ``govern keys show`` prints it).

``cryptography`` is imported only when a signature is made or checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: an envelope larger than this is not a decision attestation
MAX_ENVELOPE_BYTES = 20 * 1024 * 1024


class EnvelopeError(ValueError):
    """The bytes are not a DSSE envelope (a usage error for a verifier, not a failed verification)."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding: the exact bytes a DSSE signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_json(self) -> str:
        """One line (JSON Lines, as ``*.intoto.jsonl`` files hold envelopes), keys in the spec's order."""
        return json.dumps({
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "signatures": [{"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
                           for s in self.signatures],
        }, separators=(",", ":"))


def sign(payload_type: str, payload: bytes, key: "Ed25519PrivateKey", keyid: str) -> Envelope:
    return Envelope(payload_type, payload, (Signature(keyid, key.sign(pae(payload_type, payload))),))


def verifies(envelope: Envelope, signature: Signature, key: "Ed25519PublicKey") -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(signature.sig, pae(envelope.payload_type, envelope.payload))
    except InvalidSignature:
        return False
    return True


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise EnvelopeError(f"`{what}` must be a base64 string")
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"`{what}` is not base64") from None


def parse(data: Any) -> Envelope:
    """A parsed JSON object → :class:`Envelope`; the reason in :class:`EnvelopeError` when it is none."""
    if not isinstance(data, dict):
        raise EnvelopeError("a DSSE envelope is a JSON object")
    # other fields are allowed and ignored: nothing outside the PAE is signed, so nothing else is believed
    payload_type = data.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise EnvelopeError("`payloadType` must be a non-empty string")
    payload = _b64(data.get("payload"), "payload")
    raw_signatures = data.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise EnvelopeError("`signatures` must be a non-empty list")
    signatures = []
    for i, item in enumerate(raw_signatures):
        if not isinstance(item, dict):
            raise EnvelopeError(f"signatures[{i}] must be an object")
        keyid = item.get("keyid", "")
        if not isinstance(keyid, str):
            raise EnvelopeError(f"signatures[{i}].keyid must be a string")
        signatures.append(Signature(keyid, _b64(item.get("sig"), f"signatures[{i}].sig")))
    return Envelope(payload_type, payload, tuple(signatures))
