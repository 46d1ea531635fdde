"""Sign-off and waiver payloads: building them, signing them, reading them back, writing record files.

The signed bytes are ``canonical_json(payload)`` (sorted keys, no whitespace, UTF-8), where the
payload is every field of :data:`~govern.sign.records.SIGNOFF_FIELDS` or
:data:`~govern.sign.records.WAIVER_FIELDS` and nothing else. Values are plain JSON: text,
``null`` for an absent comment; ``signed_at`` is UTC ``YYYY-MM-DDTHH:MM:SSZ`` and ``expires`` is
``YYYY-MM-DD``. Record files quote these so YAML keeps them as text; if a hand-edited file
unquotes them, :func:`payload_from_data` turns the parsed date back into the same text, so the
meaning -- not the YAML spelling -- is what is signed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from govern.canonical import canonical_json
from govern.sign.records import FIELDS, REGISTRATION_FIELDS, SIGNOFF_FIELDS, WAIVER_FIELDS, Kind, SignedRecord

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SIGNATURE_BYTES = 64
#: who a record says signed it: the person whose key must have made the signature
SIGNER_FIELD = {"signoff": "signer", "waiver": "approver", "registration": "signer"}


class MalformedRecord(ValueError):
    """Record data that cannot even be checked (missing fields, wrong kind, bad signature encoding)."""


def utc_timestamp(moment: _dt.datetime | None = None) -> str:
    """``2026-05-01T09:00:00Z``: seconds precision, always UTC, the only form written into payloads."""
    moment = moment or _dt.datetime.now(_dt.timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("a signing time needs a time zone (write e.g. 2026-05-01T09:00:00Z)")
    return moment.astimezone(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> _dt.datetime:
    """``--at`` values: an ISO date (midnight UTC) or an ISO date-time with a zone (``Z`` allowed)."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return _dt.datetime.fromisoformat(value).replace(tzinfo=_dt.timezone.utc)
    moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; add `Z` for UTC or an offset such as +02:00")
    return moment


def signoff_payload(*, use_case: str, gate: str, role: str, signer: str, decision: str, comment: str | None,
                    model_digest: str, evidence_digest: str, policy_digest: str, signed_at: str,
                    key_fingerprint: str) -> dict[str, Any]:
    payload = {"kind": "signoff", "use_case": use_case, "gate": gate, "role": role, "signer": signer,
               "decision": decision, "comment": comment or None, "model_digest": model_digest,
               "evidence_digest": evidence_digest, "policy_digest": policy_digest, "signed_at": signed_at,
               "key_fingerprint": key_fingerprint}
    assert tuple(payload) == SIGNOFF_FIELDS
    return payload


def waiver_payload(*, use_case: str, check: str, role: str, approver: str, reason: str, expires: _dt.date,
                   model_digest: str, policy_digest: str, signed_at: str, key_fingerprint: str) -> dict[str, Any]:
    payload = {"kind": "waiver", "use_case": use_case, "check": check, "role": role, "approver": approver,
               "reason": reason, "expires": expires.isoformat(), "model_digest": model_digest,
               "policy_digest": policy_digest,
               "signed_at": signed_at, "key_fingerprint": key_fingerprint}
    assert tuple(payload) == WAIVER_FIELDS
    return payload


def registration_payload(*, use_case: str, descriptor_digest: str, policy_digest: str, tier: str, owner: str | None,
                         authors: list[str], role: str, signer: str, comment: str | None, signed_at: str,
                         key_fingerprint: str) -> dict[str, Any]:
    payload = {"kind": "registration", "use_case": use_case, "descriptor_digest": descriptor_digest,
               "policy_digest": policy_digest, "tier": tier, "owner": owner, "authors": sorted(set(authors)),
               "role": role, "signer": signer, "comment": comment or None, "signed_at": signed_at,
               "key_fingerprint": key_fingerprint}
    assert tuple(payload) == REGISTRATION_FIELDS
    return payload


def sign(private_key: "Ed25519PrivateKey", payload: Mapping[str, Any], source: str | None = None) -> SignedRecord:
    kind: Kind = payload["kind"]
    if tuple(sorted(payload)) != tuple(sorted(FIELDS[kind])):
        raise ValueError(f"a {kind} payload has exactly the fields {', '.join(FIELDS[kind])}")
    signature = private_key.sign(canonical_json(dict(payload)))
    return SignedRecord(kind, dict(payload), base64.b64encode(signature).decode("ascii"), source)


def _plain(name: str, value: Any) -> Any:
    """YAML may have turned an unquoted timestamp or date into an object: back to payload text."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise MalformedRecord(f"`{name}` has no time zone")
        return utc_timestamp(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def payload_from_data(data: Mapping[str, Any], kind: Kind | None = None) -> tuple[Kind, dict[str, Any], str]:
    """Record data (a file's mapping or a stored row) → (kind, payload, signature text).

    Every payload field must be present (an omitted field would be an unsigned claim) and no
    other key than ``signature``; raises :class:`MalformedRecord` otherwise.
    """
    found = data.get("kind", kind)
    if found not in FIELDS:
        raise MalformedRecord(f"unknown record kind {found!r}")
    if kind is not None and found != kind:
        raise MalformedRecord(f"a {found} record where a {kind} was expected")
    fields = FIELDS[found]
    missing = [f for f in fields if f not in data]
    if missing:
        raise MalformedRecord(f"missing signed field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    extra = sorted(set(data) - set(fields) - {"signature"})
    if extra:
        raise MalformedRecord(f"unexpected field{'s' if len(extra) > 1 else ''}: {', '.join(extra)}")
    signature = data.get("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise MalformedRecord("no signature")
    return found, {f: _plain(f, data[f]) for f in fields}, signature


def decode_signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRecord("malformed signature (not base64)") from None
    if len(raw) != SIGNATURE_BYTES:
        raise MalformedRecord(f"malformed signature ({len(raw)} bytes; Ed25519 signatures have {SIGNATURE_BYTES})")
    return raw


# -- record files ----------------------------------------------------------------------------

def record_text(record: SignedRecord, fmt: str = "yaml") -> str:
    data = record.to_data()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    header = (f"# govern {record.kind} record: signed with {record.payload['key_fingerprint']}.\n"
              "# Any edit to a field below makes the signature fail; sign again instead.\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("._") or "x"


def record_filename(record: SignedRecord) -> str:
    p = record.payload
    day = str(p["signed_at"])[:10]
    if record.kind == "signoff":
        parts = (p["gate"], p["role"], p["signer"], day)
    elif record.kind == "registration":
        parts = (p["use_case"], p["signer"], day)
    else:
        parts = (str(p["check"]).replace(".", "-"), p["approver"], day)
    return "-".join(_slug(str(x)) for x in parts) + ".yaml"


def write_atomic(path: Path, text: str, *, replace: bool = True) -> Path:
    """Write ``text`` to a temp file beside ``path`` and rename it into place.

    With ``replace=False`` an existing file is never touched: a free name ``<stem>-2``,
    ``-3``… is chosen instead (atomic: hard link of the finished temp file). Returns the path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
            return path
        for n in range(1, 1000):
            target = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            return target
        raise FileExistsError(path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
