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
import hashlib
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from govern.record.store import Store
from govern.record.tables import REGISTRATION, SIGNOFF, WAIVER
from govern.sign.sources import (
    UNSIGNED, RegistrationRecord, SignoffRecord, Verification, Verifier, WaiverRecord, sorted_registrations,
    sorted_signoffs, sorted_waivers,
)

if TYPE_CHECKING:
    from govern.sign.records import SignedRecord


MISMATCH = "sign-record-mismatch"


def _verdict(verifier: Verifier | None, name: str, record: "SignedRecord") -> Verification:
    if verifier is None:
        return Verification(False, UNSIGNED)
    try:
        return verifier(name, record.signed_bytes(), record.to_data())
    except Exception as exc:  # a crashing verifier fails closed, as for bundle files
        return Verification(False, f"verifier failed: {type(exc).__name__}: {exc}")


def _same(stored: Any, signed: Any) -> bool:
    if isinstance(stored, _dt.datetime) and isinstance(signed, _dt.datetime):
        if stored.tzinfo is None:  # SQLite hands timestamps back without their (UTC) offset
            stored = stored.replace(tzinfo=_dt.timezone.utc)
        return stored == signed
    return stored == signed


def _mismatch(row: Any, record: "SignedRecord") -> str | None:
    """Where the row's index columns disagree with its own signed payload, or None.

    The columns only find rows; a column that no longer says what the payload says means
    someone edited the row after it was stored, and the record is reported, never counted.
    """
    from govern.errors import GovernError
    from govern.record.signed import columns_of

    try:
        signed = columns_of(record)
    except GovernError as exc:
        return f"{MISMATCH}: the stored payload is malformed ({exc.diagnostics[0].message})"
    if row.payload_digest != "sha256:" + hashlib.sha256(record.signed_bytes()).hexdigest():
        return f"{MISMATCH}: the stored payload digest is not the digest of the stored payload"
    for column, value in signed.items():
        stored = getattr(row, column)
        if not _same(stored, value):
            return (f"{MISMATCH}: column {column} = {stored!s} but the signed payload says {value!s} "
                    "(the row was edited after it was stored)")
    return None


class _StoreRecords(ABC):
    """Every stored record of one kind for one use case, read once per evaluation.

    Rows are found by the ``use_case_id`` column *or* by the use case named inside the canonical
    payload, so editing the column cannot hide a record (a rejection, say) from the use case it
    was signed for. Which gate, role or check a record answers is then read from the payload.
    """

    kind: str
    table: Any

    def __init__(self, store: Store, verifier: Verifier | None = None) -> None:
        self.store, self.verifier = store, verifier
        self._cache: dict[str, list[tuple[Any, Any]]] = {}

    def _load(self, use_case_id: str) -> list[tuple[Any, Any]]:
        if use_case_id in self._cache:
            return self._cache[use_case_id]
        import json

        from sqlalchemy import or_, select

        from govern.record.engine import read
        from govern.sign.records import SignedRecord

        needle = json.dumps(use_case_id, ensure_ascii=False)
        needle = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        t = self.table
        query = select(t).where(or_(t.c.use_case_id == use_case_id,
                                    t.c.canonical_payload.like(f'%"use_case":{needle}%', escape="\\"))
                                ).order_by(t.c.id)
        with read(self.store.engine) as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            name = f"store:{self.kind}/{row.id}"
            try:
                payload = json.loads(row.canonical_payload)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                out.append((row, self._broken(row, name, f"{MISMATCH}: the stored payload is not a JSON object")))
                continue
            record = SignedRecord(self.kind, payload, row.signature, source=name)  # type: ignore[arg-type]
            problem = _mismatch(row, record)
            verdict = Verification(False, problem) if problem else _verdict(self.verifier, name, record)
            out.append((row, self._record(payload, verdict, name)))
        self._cache[use_case_id] = out
        return out

    @abstractmethod
    def _broken(self, row: Any, name: str, problem: str) -> Any:
        """An unverified record for a row whose stored payload cannot even be read."""

    @abstractmethod
    def _record(self, payload: dict[str, Any], verdict: Verification, name: str) -> Any:
        """The public record type built from the signed payload and the verifier's verdict."""


def _timestamp(text: Any) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


def _date(text: Any) -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(text))
    except ValueError:
        return _dt.date(1970, 1, 1)


def _problem(verdict: Verification) -> str | None:
    return None if verdict.verified else (verdict.problem or UNSIGNED)


class StoreSignoffSource(_StoreRecords):
    kind = "signoff"
    table = SIGNOFF

    def _record(self, p: dict[str, Any], verdict: Verification, name: str) -> SignoffRecord:
        return SignoffRecord(
            signer=str(p.get("signer")), role=str(p.get("role")), gate=str(p.get("gate")),
            decision="approve" if p.get("decision") == "approve" else "reject",
            model_digest=str(p.get("model_digest")), evidence_digest=p.get("evidence_digest"),
            policy_digest=p.get("policy_digest"), signed_at=_timestamp(p.get("signed_at")),
            key_fingerprint=verdict.key_fingerprint or p.get("key_fingerprint"), comment=p.get("comment"),
            verified=verdict.verified, problem=_problem(verdict), use_case_id=str(p.get("use_case")), source=name)

    def _broken(self, row: Any, name: str, problem: str) -> SignoffRecord:
        return SignoffRecord(row.signer, row.role, row.gate, "reject", row.model_digest, row.evidence_digest,
                             row.policy_digest, _timestamp(row.signed_at), row.key_fingerprint, row.comment,
                             False, problem, row.use_case_id, name)

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        # the payload decides what a record answers; a row indexed here whose payload says otherwise
        # is returned too, unverified, so the edit is reported where it was aimed
        return sorted_signoffs(r for row, r in self._load(use_case_id)
                               if (r.gate == gate and r.role == role) or (row.gate == gate and row.role == role))


class StoreWaiverSource(_StoreRecords):
    kind = "waiver"
    table = WAIVER

    def _record(self, p: dict[str, Any], verdict: Verification, name: str) -> WaiverRecord:
        return WaiverRecord(
            check_id=str(p.get("check")), reason=str(p.get("reason")), approver=str(p.get("approver")),
            role=str(p.get("role")), expires=_date(p.get("expires")), verified=verdict.verified,
            problem=_problem(verdict), use_case_id=str(p.get("use_case")), source=name,
            policy_digest=p.get("policy_digest"), signed_at=_timestamp(p.get("signed_at")),
            model_digest=p.get("model_digest"))

    def _broken(self, row: Any, name: str, problem: str) -> WaiverRecord:
        return WaiverRecord(row.check_id, row.reason, row.approver, row.role, _date(row.expires), False, problem,
                            row.use_case_id, name, row.policy_digest, _timestamp(row.signed_at))

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        return sorted_waivers(r for row, r in self._load(use_case_id) if r.check_id == check_id or row.check_id == check_id)


class StoreRegistrationSource(_StoreRecords):
    kind = "registration"
    table = REGISTRATION

    def _record(self, p: dict[str, Any], verdict: Verification, name: str) -> RegistrationRecord:
        authors = p.get("authors")
        return RegistrationRecord(
            use_case_id=str(p.get("use_case")), descriptor_digest=str(p.get("descriptor_digest")),
            policy_digest=p.get("policy_digest"), tier=str(p.get("tier")), owner=p.get("owner"),
            authors=tuple(str(a) for a in authors) if isinstance(authors, list) else (),
            role=str(p.get("role")), signer=str(p.get("signer")), signed_at=_timestamp(p.get("signed_at")),
            key_fingerprint=verdict.key_fingerprint or p.get("key_fingerprint"), comment=p.get("comment"),
            verified=verdict.verified, problem=_problem(verdict), source=name)

    def _broken(self, row: Any, name: str, problem: str) -> RegistrationRecord:
        return RegistrationRecord(row.use_case_id, row.descriptor_digest, row.policy_digest, row.tier, None, (),
                                  row.role, row.signer, _timestamp(row.signed_at), row.key_fingerprint, None,
                                  False, problem, name)

    def registrations(self, use_case_id: str) -> list[RegistrationRecord]:
        return sorted_registrations(r for _, r in self._load(use_case_id))


class StoreRecords:
    """The store's sign-offs and waivers, one verifier for both: a :class:`~govern.sign.sources.RecordSources`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def signoff_source(self, verifier: Verifier | None = None) -> StoreSignoffSource:
        return StoreSignoffSource(self.store, verifier)

    def waiver_source(self, verifier: Verifier | None = None) -> StoreWaiverSource:
        return StoreWaiverSource(self.store, verifier)

    def registration_source(self, verifier: Verifier | None = None) -> StoreRegistrationSource:
        return StoreRegistrationSource(self.store, verifier)
