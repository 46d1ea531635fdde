"""The audit store as a :class:`~govern.sign.sources.SignoffSource` / ``WaiverSource``.

:class:`StoreRecords` is what a front end hands the evaluation pipeline (as its
:class:`~govern.sign.sources.RecordSources`), which combines it with the bundle's record files;
the store itself does not know this module, so the dependency runs one way.

Like the file sources, every record is returned, verified or not: the injected verifier gets
the record's source name (``store:signoff/<id>``), the exact bytes that were signed and the
record data (payload + ``signature``), and its verdict becomes ``verified``/``problem``. The
evaluator, not this module, decides which records count (role, staleness, expiry, duties).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable

from govern.record.store import Store
from govern.sign.sources import (
    UNSIGNED, SignoffRecord, Verification, Verifier, WaiverRecord, sorted_signoffs, sorted_waivers,
)

if TYPE_CHECKING:
    from govern.sign.records import SignedRecord


def _verdict(verifier: Verifier | None, name: str, record: "SignedRecord") -> Verification:
    if verifier is None:
        return Verification(False, UNSIGNED)
    try:
        return verifier(name, record.signed_bytes(), record.to_data())
    except Exception as exc:  # a crashing verifier fails closed, as for bundle files
        return Verification(False, f"verifier failed: {type(exc).__name__}: {exc}")


class StoreSignoffSource:
    def __init__(self, store: Store, verifier: Verifier | None = None) -> None:
        self.store, self.verifier = store, verifier

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        out = []
        for row_id, record in self.store.signed_records("signoff", use_case_id, gate=gate, role=role):
            p, name = record.payload, f"store:signoff/{row_id}"
            verdict = _verdict(self.verifier, name, record)
            out.append(SignoffRecord(
                signer=p["signer"], role=p["role"], gate=p["gate"], decision=p["decision"],
                model_digest=p["model_digest"], evidence_digest=p.get("evidence_digest"),
                policy_digest=p.get("policy_digest"), signed_at=_dt.datetime.fromisoformat(p["signed_at"]),
                key_fingerprint=verdict.key_fingerprint or p.get("key_fingerprint"), comment=p.get("comment"),
                verified=verdict.verified, problem=None if verdict.verified else (verdict.problem or UNSIGNED),
                use_case_id=p["use_case"], source=name))
        return sorted_signoffs(out)


class StoreWaiverSource:
    def __init__(self, store: Store, verifier: Verifier | None = None) -> None:
        self.store, self.verifier = store, verifier

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        out = []
        for row_id, record in self.store.signed_records("waiver", use_case_id, check_id=check_id):
            p, name = record.payload, f"store:waiver/{row_id}"
            verdict = _verdict(self.verifier, name, record)
            out.append(WaiverRecord(
                check_id=p["check"], reason=p["reason"], approver=p["approver"], role=p["role"],
                expires=_dt.date.fromisoformat(p["expires"]), verified=verdict.verified,
                problem=None if verdict.verified else (verdict.problem or UNSIGNED), use_case_id=p["use_case"],
                source=name))
        return sorted_waivers(out)


class StoreRecords:
    """The store's sign-offs and waivers, one verifier for both: a :class:`~govern.sign.sources.RecordSources`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def signoff_source(self, verifier: Verifier | None = None) -> StoreSignoffSource:
        return StoreSignoffSource(self.store, verifier)

    def waiver_source(self, verifier: Verifier | None = None) -> StoreWaiverSource:
        return StoreWaiverSource(self.store, verifier)
