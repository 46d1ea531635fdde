"""A :class:`~govern.sign.records.SignedRecord` payload → the columns it is queried by.

The payload is stored verbatim (canonical text) beside these columns, so the columns are a
query index, never the thing a signature is checked against. A payload missing what its
kind needs is refused before anything is written.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from govern.sign.records import SignedRecord

UTC = _dt.timezone.utc


def _invalid(record: "SignedRecord", message: str) -> InputError:
    return InputError(Diagnostic("signed-record-invalid", f"{record.kind} record: {message}",
                                 hint="records come from `govern sign` / `govern waive`; re-create it"))


def _str(record: "SignedRecord", key: str, required: bool = True) -> str | None:
    value = record.payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _invalid(record, f"`{key}` must be a non-empty string")
    return value


def _timestamp(record: "SignedRecord") -> _dt.datetime:
    raw = _str(record, "signed_at")
    try:
        value = _dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise _invalid(record, f"`signed_at` {raw!r} is not an ISO timestamp") from None
    if value.tzinfo is None:
        raise _invalid(record, "`signed_at` needs a UTC offset")
    return value.astimezone(UTC)


def columns_of(record: "SignedRecord") -> dict[str, Any]:
    if record.kind not in ("signoff", "waiver", "registration"):
        raise _invalid(record, f"unknown kind {record.kind!r}")
    if record.payload.get("kind", record.kind) != record.kind:
        raise _invalid(record, f"payload kind {record.payload.get('kind')!r} does not match {record.kind!r}")
    if not isinstance(record.signature, str) or not record.signature:
        raise _invalid(record, "no signature")
    common = {"use_case_id": _str(record, "use_case"), "role": _str(record, "role"),
              "policy_digest": _str(record, "policy_digest", False), "signed_at": _timestamp(record),
              "key_fingerprint": _str(record, "key_fingerprint", False)}
    if record.kind == "registration":
        return {**common, "descriptor_digest": _str(record, "descriptor_digest"), "tier": _str(record, "tier"),
                "signer": _str(record, "signer")}
    if record.kind == "signoff":
        decision = _str(record, "decision")
        if decision not in ("approve", "reject"):
            raise _invalid(record, f"`decision` must be approve or reject, not {decision!r}")
        return {**common, "gate": _str(record, "gate"), "signer": _str(record, "signer"), "decision": decision,
                "comment": _str(record, "comment", False), "model_digest": _str(record, "model_digest"),
                "evidence_digest": _str(record, "evidence_digest", False)}
    raw = _str(record, "expires")
    try:
        expires = _dt.date.fromisoformat(str(raw))
    except ValueError:
        raise _invalid(record, f"`expires` {raw!r} is not a date (YYYY-MM-DD)") from None
    return {**common, "check_id": _str(record, "check"), "approver": _str(record, "approver"),
            "reason": _str(record, "reason"), "expires": expires}
