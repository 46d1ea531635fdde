"""A signed sign-off or waiver POSTed to the console: verified as `govern sign` verifies it, then stored.

The body is the record file `govern sign … --out FILE` (or `govern waive`) writes -- YAML or
JSON, parsed with the project's capped loaders -- or any Ed25519 signer's record following
docs/signing.md. It is refused, and nothing is stored, unless every signed field is present
and nothing else (:func:`~govern.sign.payload.payload_from_data`), the pack whose digest it
names is served by this console, and its signature verifies against the key that pack lists
for the signer (:func:`~govern.sign.verify.verify_record`, the check `govern sign` makes
before delivering a record). Whether it then *counts* -- role, model, expiry, segregation of
duties -- is decided by the next evaluation, as for a record file in the evidence bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, GovernError, InputError

if TYPE_CHECKING:
    from govern.server.data import Console

MAX_BYTES = 64 * 1024
KINDS = ("signoff", "waiver")


@dataclass
class Stored:
    kind: str
    id: int
    event: int | None
    created: bool
    use_case: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "event": self.event, "created": self.created,
                "use_case": self.use_case}


class Refused(Exception):
    def __init__(self, status: int, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.status = status
        self.diagnostics = diagnostics

    def to_dict(self) -> dict[str, Any]:
        return {"error": "record refused", "diagnostics": [d.to_dict() for d in self.diagnostics]}


def refused(code: str, message: str, hint: str | None = None, status: int = 422) -> Refused:
    return Refused(status, [Diagnostic(code, message, hint=hint)])


def parse(raw: bytes) -> dict[str, Any]:
    from govern.evidence.jsondoc import load_json_text
    from govern.load.safe_yaml import decode_utf8, load_yaml_text

    if len(raw) > MAX_BYTES:
        raise refused("record-too-large", f"a signed record is at most {MAX_BYTES} bytes, this is {len(raw)}",
                      status=413)
    try:
        text = decode_utf8(raw, "record")
        doc = load_json_text(text, "record") if text.lstrip().startswith("{") else load_yaml_text(text, "record")
    except GovernError as exc:
        raise Refused(400, exc.diagnostics) from None
    if not isinstance(doc.data, dict):
        raise refused("record-invalid", "a signed record is a mapping of its signed fields and `signature`",
                      status=400)
    return doc.data


def submit(console: "Console", raw: bytes) -> Stored:
    from govern.sign.payload import MalformedRecord, payload_from_data
    from govern.sign.records import SignedRecord
    from govern.sign.verify import verify_record

    data = parse(raw)
    try:
        kind, payload, signature = payload_from_data(data)
    except MalformedRecord as exc:
        raise refused("record-malformed", str(exc), "post the file `govern sign --out FILE` wrote, unedited") from None
    if kind not in KINDS:
        raise refused("record-kind", f"a {kind} record cannot be posted here: only sign-offs and waivers",
                      "registrations are made with `govern register`")
    pack = console.pack(payload.get("policy_digest"))
    if pack is None:
        served = ", ".join(f"{p.policy.name} {p.policy.version} ({p.digest[7:19]})" for p in console.packs) or "none"
        raise refused("record-unknown-pack", f"the record is signed under pack {str(payload.get('policy_digest'))}, "
                      "which this console does not serve", f"packs served (--policy): {served}")
    record = SignedRecord(kind, payload, signature)  # type: ignore[arg-type]
    verdict = verify_record(pack.policy, record)
    if not verdict.verified:
        raise refused("record-not-verified", f"the record does not verify against pack {pack.policy.name} "
                      f"{pack.policy.version}: {verdict.problem}", "sign again with your own key (`govern sign`)")
    store = console.store
    before = _existing(store, record)
    try:
        record_id = store.add_signed(record)
    except InputError as exc:
        raise Refused(422, exc.diagnostics) from None
    return Stored(kind, record_id, store.event_of(kind, record_id), before is None, str(payload["use_case"]))


def _existing(store: Any, record: Any) -> int | None:
    from sqlalchemy import select

    from govern.record import chain
    from govern.record.engine import read
    from govern.record.tables import SIGNED_TABLES

    table = SIGNED_TABLES[record.kind]
    digest = chain.sha256_text(record.signed_bytes())
    with read(store.engine) as conn:
        return conn.execute(select(table.c.id).where(table.c.payload_digest == digest,
                                                     table.c.signature == record.signature)).scalar()
