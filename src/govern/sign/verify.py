"""Signature verification against the policy's people: is this record what its signer signed?

:func:`policy_verifier` answers, for one record (a file in the bundle or a stored row):

1. the record has every signed field and a well-formed signature (else "malformed …");
2. its ``key_fingerprint`` names a public key listed for a person in the policy
   (else "key SHA256:… belongs to nobody in policy P");
3. the Ed25519 signature over the canonical payload verifies with that key
   (else "signature does not verify (record altered after signing?)");
4. the person the record names as signer (sign-offs) or approver (waivers) owns that key
   (else "signed by vera's key but claims signer victor").

A verified record only means *who said what*. Whether it counts -- role held, current model
and evidence, not expired, segregation of duties, not a duplicate -- is decided by
:mod:`govern.evaluate.signoffs` from the verified fields.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from govern.canonical import canonical_json
from govern.sign.sources import Verification, Verifier
from govern.sign.payload import SIGNER_FIELD, MalformedRecord, decode_signature, payload_from_data

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from govern.policy.pack import Policy
    from govern.sign.records import SignedRecord

ALTERED = "signature does not verify (record altered after signing?)"


@dataclass(frozen=True)
class KeyEntry:
    person: str
    key: "Ed25519PublicKey"
    fingerprint: str


class Keyring:
    """The policy's people's public keys by fingerprint, parsed once on first use.

    Unparseable keys are remembered as problems (``govern validate`` territory) and simply
    match nothing; a key listed for two people is ambiguous and verifies nobody.
    """

    def __init__(self, policy: "Policy") -> None:
        self.policy_name = policy.name
        self._people = [(p.id, p.public_key) for p in policy.manifest.people if p.public_key]
        self._by_fp: dict[str, list[KeyEntry]] | None = None
        self.problems: dict[str, str] = {}  # person → why their key is unusable
        self._lock = threading.Lock()

    def _build(self) -> dict[str, list[KeyEntry]]:
        with self._lock:
            if self._by_fp is None:
                from govern.sign.keys import fingerprint, parse_public_key

                by_fp: dict[str, list[KeyEntry]] = {}
                for person, text in self._people:
                    try:
                        key = parse_public_key(text)
                    except ValueError as exc:
                        self.problems[person] = str(exc)
                        continue
                    fp = fingerprint(key)
                    by_fp.setdefault(fp, []).append(KeyEntry(person, key, fp))
                self._by_fp = by_fp
            return self._by_fp

    def owners(self, fp: str) -> list[KeyEntry]:
        return list(self._build().get(fp, []))

    def entries(self) -> list[KeyEntry]:
        """Every usable key, for envelopes whose key id is only a hint (DSSE) or absent."""
        return [entry for entries in self._build().values() for entry in entries]

    def fingerprints_of(self, person: str) -> list[str]:
        return [fp for fp, entries in self._build().items() if any(e.person == person for e in entries)]


def verify_data(keyring: Keyring, data: Mapping[str, Any], kind: str | None = None) -> Verification:
    """Record data (payload fields + ``signature``) → verdict. Never raises for bad input."""
    from cryptography.exceptions import InvalidSignature

    if not data.get("signature"):
        from govern.sign.sources import UNSIGNED

        return Verification(False, UNSIGNED)
    try:
        found, payload, signature_text = payload_from_data(data, kind)  # type: ignore[arg-type]
        signature = decode_signature(signature_text)
    except MalformedRecord as exc:
        text = str(exc)
        return Verification(False, text if text.startswith("malformed") else f"malformed record: {text}")
    fp = payload.get("key_fingerprint")
    if not isinstance(fp, str) or not fp:
        return Verification(False, "malformed record: no key fingerprint")
    owners = keyring.owners(fp)
    if not owners:
        return Verification(False, f"key {fp} belongs to nobody in policy {keyring.policy_name}")
    if len({o.person for o in owners}) > 1:
        names = ", ".join(sorted({o.person for o in owners}))
        return Verification(False, f"key {fp} is listed for several people ({names}) in policy "
                                   f"{keyring.policy_name}; it identifies nobody", fp)
    owner = owners[0]
    try:
        owner.key.verify(signature, canonical_json(payload))
    except InvalidSignature:
        return Verification(False, ALTERED, fp)
    field = SIGNER_FIELD[found]
    claimed = payload.get(field)
    if claimed != owner.person:
        return Verification(False, f"signed by {owner.person}'s key but claims {field} {claimed}", fp)
    return Verification(True, None, fp)


def policy_verifier(policy: "Policy") -> Verifier:
    """The :data:`~govern.sign.sources.Verifier` for ``FileSignoffSource``/``FileWaiverSource``
    and the store: it judges the parsed data (``raw`` bytes are not needed, layout is not signed)."""
    keyring = Keyring(policy)

    def verifier(name: str, raw: bytes, data: Mapping[str, Any]) -> Verification:
        return verify_data(keyring, data)

    verifier.keyring = keyring  # type: ignore[attr-defined]
    return verifier


def verify_record(policy: "Policy", record: "SignedRecord") -> Verification:
    return verify_data(Keyring(policy), record.to_data(), record.kind)
