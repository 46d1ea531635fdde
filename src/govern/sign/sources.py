"""Signed records as the evaluator sees them, and the questions it asks of wherever they are kept.

The evaluator depends only on :class:`SignoffSource` / :class:`WaiverSource`, so where records
live -- memory, the bundle's record files (:mod:`govern.evidence.sources`), the audit store
(:mod:`govern.record.sources`) -- does not change evaluation. This module sits below all three
so that none of them has to know the others: a store-backed source is handed to the evaluator
through :class:`RecordSources`, never imported by it. Records that cannot be trusted are still
returned, with ``verified=False`` and a ``problem``; the evaluator decides what counts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Mapping, Protocol, runtime_checkable

Decision = Literal["approve", "reject"]
UNSIGNED = "unsigned record"


@dataclass(frozen=True)
class SignoffRecord:
    signer: str
    role: str
    gate: str
    decision: Decision
    model_digest: str
    evidence_digest: str | None
    policy_digest: str | None
    signed_at: _dt.datetime
    key_fingerprint: str | None
    comment: str | None
    verified: bool
    problem: str | None
    use_case_id: str = ""
    #: where the record came from (bundle-relative path), for reports
    source: str | None = None


@dataclass(frozen=True)
class WaiverRecord:
    check_id: str
    reason: str
    approver: str
    role: str
    expires: _dt.date
    verified: bool
    problem: str | None
    use_case_id: str = ""
    source: str | None = None
    policy_digest: str | None = None
    signed_at: _dt.datetime | None = None
    #: the model the exception was granted for: retraining makes it stale, as it does sign-offs
    model_digest: str | None = None

    def active_on(self, day: _dt.date) -> bool:
        """A waiver counts through its expiry day; the evaluator passes its (fixed) decision date."""
        return day <= self.expires


@dataclass(frozen=True)
class RegistrationRecord:
    """A signed intake approval: this descriptor under this pack is this tier, built by these people."""

    use_case_id: str
    descriptor_digest: str
    policy_digest: str | None
    tier: str
    owner: str | None
    authors: tuple[str, ...]
    role: str
    signer: str
    signed_at: _dt.datetime
    key_fingerprint: str | None
    comment: str | None
    verified: bool
    problem: str | None
    source: str | None = None


@runtime_checkable
class RegistrationSource(Protocol):
    def registrations(self, use_case_id: str) -> list[RegistrationRecord]:
        """Every registration naming the use case, newest last: the evaluator says which one counts."""
        ...


@runtime_checkable
class SignoffSource(Protocol):
    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        """Every record for the gate and role, whatever model it names: the evaluator says which are stale."""
        ...


@runtime_checkable
class WaiverSource(Protocol):
    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]: ...


# -- in memory -------------------------------------------------------------------------------
class InMemorySignoffSource:
    """Records held in a list: for tests and for callers that fetched records elsewhere."""

    def __init__(self, records: Iterable[SignoffRecord] = ()) -> None:
        self.records = list(records)

    def add(self, record: SignoffRecord) -> None:
        self.records.append(record)

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        return sorted_signoffs(r for r in self.records if r.use_case_id == use_case_id and r.gate == gate
                                and r.role == role)


class InMemoryWaiverSource:
    def __init__(self, records: Iterable[WaiverRecord] = ()) -> None:
        self.records = list(records)

    def add(self, record: WaiverRecord) -> None:
        self.records.append(record)

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        return sorted_waivers(r for r in self.records if r.use_case_id == use_case_id and r.check_id == check_id)


class InMemoryRegistrationSource:
    def __init__(self, records: Iterable[RegistrationRecord] = ()) -> None:
        self.records = list(records)

    def registrations(self, use_case_id: str) -> list[RegistrationRecord]:
        return sorted_registrations(r for r in self.records if r.use_case_id == use_case_id)


def sorted_registrations(records: Iterable[RegistrationRecord]) -> list[RegistrationRecord]:
    return sorted(records, key=lambda r: (r.signed_at, r.signer, r.source or ""))


def sorted_signoffs(records: Iterable[SignoffRecord]) -> list[SignoffRecord]:
    return sorted(records, key=lambda r: (r.signed_at, r.signer, r.source or ""))


def sorted_waivers(records: Iterable[WaiverRecord]) -> list[WaiverRecord]:
    return sorted(records, key=lambda r: (r.expires, r.approver, r.source or ""))


@dataclass(frozen=True)
class Verification:
    """A verifier's answer; ``key_fingerprint`` replaces the record's claimed one when given."""

    verified: bool
    problem: str | None = None
    key_fingerprint: str | None = None


#: (bundle-relative path, the exact bytes of the record file, parsed data) → verdict. Injected so the
#: signature scheme of the "Audit store" issue can plug in without changing this module.
Verifier = Callable[[str, bytes, Mapping[str, Any]], Verification]


def unsigned_verifier(name: str, raw: bytes, data: Any) -> Verification:
    """The verifier of a caller that trusts no key: every record is reported, none counts."""
    return Verification(False, UNSIGNED)


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
        return sorted_signoffs(_dedupe(found, _signoff_key))


class CombinedWaiverSource:
    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        found = [r for s in self.sources for r in s.waivers(use_case_id, check_id)]
        return sorted_waivers(_dedupe(found, _waiver_key))


class CombinedRegistrationSource:
    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def registrations(self, use_case_id: str) -> list[RegistrationRecord]:
        found = [r for s in self.sources for r in s.registrations(use_case_id)]
        return sorted_registrations(_dedupe(found, lambda r: (r.use_case_id, r.descriptor_digest, r.signer,
                                                              r.signed_at, r.key_fingerprint)))


@runtime_checkable
class RecordSources(Protocol):
    """Somewhere besides the evidence bundle that keeps signed records (the audit store).

    The evaluation pipeline combines it with the bundle's files under one verifier.
    """

    def signoff_source(self, verifier: Verifier | None = None) -> SignoffSource: ...

    def waiver_source(self, verifier: Verifier | None = None) -> WaiverSource: ...

    def registration_source(self, verifier: Verifier | None = None) -> RegistrationSource: ...
