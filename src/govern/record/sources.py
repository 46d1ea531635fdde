"""The store as a :class:`SignoffSource` / :class:`WaiverSource`, and the store + bundle files combined.

Like the file sources, every record is returned, verified or not: the injected verifier gets
the record's source name (``store:signoff/<id>``), the exact bytes that were signed and the
record data (payload + ``signature``), and its verdict becomes ``verified``/``problem``. The
evaluator, not this module, decides which records count (role, staleness, expiry, duties).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable

from govern.evidence.sources import (
    UNSIGNED, FileSignoffSource, FileWaiverSource, SignoffRecord, Verification, Verifier, WaiverRecord,
    _sorted_signoffs, _sorted_waivers,
)

if TYPE_CHECKING:
    from govern.record.store import Store
    from govern.sign.records import SignedRecord


def unsigned_verifier(name: str, raw: bytes, data: Any) -> Verification:
    """Stand-in until `govern.sign.verify` exists: nothing is trusted."""
    return Verification(False, UNSIGNED)


def _verdict(verifier: Verifier | None, name: str, record: "SignedRecord") -> Verification:
    if verifier is None:
        return Verification(False, UNSIGNED)
    try:
        return verifier(name, record.signed_bytes(), record.to_data())
    except Exception as exc:  # a crashing verifier fails closed, as for bundle files
        return Verification(False, f"verifier failed: {type(exc).__name__}: {exc}")


class StoreSignoffSource:
    def __init__(self, store: "Store", verifier: Verifier | None = None) -> None:
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
        return _sorted_signoffs(out)


class StoreWaiverSource:
    def __init__(self, store: "Store", verifier: Verifier | None = None) -> None:
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
                source=name, signed_at=_dt.datetime.fromisoformat(p["signed_at"]) if p.get("signed_at") else None))
        return _sorted_waivers(out)


def _dedupe(records: Iterable[Any], key: Any) -> list[Any]:
    """A record exported to the bundle *and* stored is one record: keep one copy, a verified one if any."""
    best: dict[Any, Any] = {}
    for record in records:
        k = key(record)
        if k not in best or (record.verified and not best[k].verified):
            best[k] = record
    return list(best.values())


def _signoff_key(r: SignoffRecord) -> tuple:
    # the key fingerprint is part of identity: a copy signed with another key is a different record
    # (a forgery to report), not a duplicate to drop
    return (r.use_case_id, r.gate, r.role, r.signer, r.decision, r.model_digest, r.evidence_digest, r.signed_at,
            r.key_fingerprint)


def _waiver_key(r: WaiverRecord) -> tuple:
    return (r.use_case_id, r.check_id, r.role, r.approver, r.reason, r.expires)


class CombinedSignoffSource:
    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        found = [r for s in self.sources for r in s.signoffs(use_case_id, gate, role)]
        return _sorted_signoffs(_dedupe(found, _signoff_key))


class CombinedWaiverSource:
    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        found = [r for s in self.sources for r in s.waivers(use_case_id, check_id)]
        return _sorted_waivers(_dedupe(found, _waiver_key))


def combined_sources(store: "Store", bundle: Any, verifier: Verifier | None = None
                     ) -> tuple[CombinedSignoffSource, CombinedWaiverSource]:
    """The bundle's ``signoffs/``/``waivers/`` files plus the store's records, one verifier for both."""
    return (CombinedSignoffSource(FileSignoffSource(bundle, verifier), store.signoff_source(verifier)),
            CombinedWaiverSource(FileWaiverSource(bundle, verifier), store.waiver_source(verifier)))
