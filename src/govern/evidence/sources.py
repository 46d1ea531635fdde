"""Evaluator questions ("which sign-offs exist for gate G and role R?") → records.

The evaluator depends only on the :class:`SignoffSource` / :class:`WaiverSource`
protocols, so where records live (memory, the bundle's ``signoffs/`` and ``waivers/``
folders, later a signed audit store) does not change evaluation. Records that cannot be
trusted are still *returned*, with ``verified=False`` and a ``problem``, so a report can
say "a sign-off exists but is unsigned" instead of just "pending".
"""

from __future__ import annotations

import datetime as _dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Mapping, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from govern.errors import Diagnostic, GovernError, InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import read_bytes
from govern.evidence.validation import validate
from govern.load.safe_yaml import decode_utf8, load_yaml_text

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
    #: when it was signed; the evaluator bounds expires - signed_at by the pack's `max_waiver_days`
    signed_at: _dt.datetime | None = None

    def active_on(self, day: _dt.date) -> bool:
        """A waiver counts through its expiry day; the evaluator passes its (fixed) decision date."""
        return day <= self.expires


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
        return _sorted_signoffs(r for r in self.records if r.use_case_id == use_case_id and r.gate == gate
                                and r.role == role)


class InMemoryWaiverSource:
    def __init__(self, records: Iterable[WaiverRecord] = ()) -> None:
        self.records = list(records)

    def add(self, record: WaiverRecord) -> None:
        self.records.append(record)

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        return _sorted_waivers(r for r in self.records if r.use_case_id == use_case_id and r.check_id == check_id)


def _sorted_signoffs(records: Iterable[SignoffRecord]) -> list[SignoffRecord]:
    return sorted(records, key=lambda r: (r.signed_at, r.signer, r.source or ""))


def _sorted_waivers(records: Iterable[WaiverRecord]) -> list[WaiverRecord]:
    return sorted(records, key=lambda r: (r.expires, r.approver, r.source or ""))


# -- files in the bundle ---------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    """A verifier's answer; ``key_fingerprint`` replaces the record's claimed one when given."""

    verified: bool
    problem: str | None = None
    key_fingerprint: str | None = None


#: (bundle-relative path, the exact bytes of the record file, parsed data) → verdict. Injected so the
#: signature scheme of the "Audit store" issue can plug in without changing this module.
Verifier = Callable[[str, bytes, Mapping[str, Any]], Verification]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    use_case: StrictStr = Field(min_length=1)


class SignoffFile(_Record):
    kind: Literal["signoff"] = "signoff"
    gate: StrictStr = Field(min_length=1)
    role: StrictStr = Field(min_length=1)
    signer: StrictStr = Field(min_length=1)
    decision: Decision
    model_digest: StrictStr = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    evidence_digest: StrictStr | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    policy_digest: StrictStr | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    signed_at: AwareDatetime
    key_fingerprint: StrictStr | None = None
    comment: StrictStr | None = None
    #: base64 Ed25519 signature over the canonical JSON of every other field (see govern.sign)
    signature: StrictStr | None = None


class WaiverFile(_Record):
    kind: Literal["waiver"] = "waiver"
    check: StrictStr = Field(min_length=1)
    reason: StrictStr = Field(min_length=1)
    approver: StrictStr = Field(min_length=1)
    role: StrictStr = Field(min_length=1)
    expires: _dt.date
    policy_digest: StrictStr | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    signed_at: AwareDatetime | None = None
    key_fingerprint: StrictStr | None = None
    signature: StrictStr | None = None


class _BundleLike(Protocol):
    def files_with_role(self, role: str) -> list[Any]: ...


class _FileRecords(ABC):
    """Loads every record file of one role once, on first use; malformed files raise InputError."""

    role: str
    model: type[_Record]

    def __init__(self, bundle: _BundleLike, verifier: Verifier | None = None) -> None:
        self.bundle = bundle
        self.verifier = verifier
        self._records: list[Any] | None = None

    def _load(self) -> list[Any]:
        if self._records is not None:
            return self._records
        problems: list[Diagnostic] = []
        records: list[Any] = []
        for ef in self.bundle.files_with_role(self.role):
            try:
                records.append(self._read(ef))
            except GovernError as exc:
                problems.extend(exc.diagnostics)
        if problems:
            raise InputError(problems)
        self._records = records
        return records

    def _read(self, ef: Any) -> Any:
        raw, name = read_bytes(ef, self.role)
        text = decode_utf8(raw, name)
        doc = load_json_text(text, name) if name.lower().endswith(".json") else load_yaml_text(text, name)
        if not isinstance(doc.data, dict):
            raise InputError(doc.diagnostic(f"{self.role}-invalid", f"a {self.role} record must be a mapping"))
        parsed = validate(self.model, doc, f"{self.role}-invalid")
        if self.verifier is None:
            verdict = Verification(False, UNSIGNED)
        else:
            try:
                verdict = self.verifier(name, raw, doc.data)
            except Exception as exc:  # a crashing verifier must fail closed, not pass or abort the run
                verdict = Verification(False, f"verifier failed: {type(exc).__name__}: {exc}")
        return self._record(parsed, verdict, name)

    @abstractmethod
    def _record(self, parsed: Any, verdict: Verification, name: str) -> Any:
        """The public record type built from the validated file and the verifier's verdict."""


class FileSignoffSource(_FileRecords):
    """Sign-offs from the bundle's ``signoffs/*.yaml|json`` (one record per file)."""

    role = "signoff"
    model = SignoffFile

    def _record(self, parsed: SignoffFile, verdict: Verification, name: str) -> SignoffRecord:
        return SignoffRecord(
            signer=parsed.signer, role=parsed.role, gate=parsed.gate, decision=parsed.decision,
            model_digest=parsed.model_digest, evidence_digest=parsed.evidence_digest,
            policy_digest=parsed.policy_digest, signed_at=parsed.signed_at,
            key_fingerprint=verdict.key_fingerprint or parsed.key_fingerprint, comment=parsed.comment,
            verified=verdict.verified, problem=None if verdict.verified else (verdict.problem or UNSIGNED),
            use_case_id=parsed.use_case, source=name)

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        return InMemorySignoffSource(self._load()).signoffs(use_case_id, gate, role)


class FileWaiverSource(_FileRecords):
    """Waivers from the bundle's ``waivers/*.yaml|json`` (one record per file)."""

    role = "waiver"
    model = WaiverFile

    def _record(self, parsed: WaiverFile, verdict: Verification, name: str) -> WaiverRecord:
        return WaiverRecord(
            check_id=parsed.check, reason=parsed.reason, approver=parsed.approver, role=parsed.role,
            expires=parsed.expires, verified=verdict.verified,
            problem=None if verdict.verified else (verdict.problem or UNSIGNED), use_case_id=parsed.use_case,
            source=name, signed_at=parsed.signed_at)

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        return InMemoryWaiverSource(self._load()).waivers(use_case_id, check_id)


__all__ = [
    "SignoffRecord", "WaiverRecord", "SignoffSource", "WaiverSource", "InMemorySignoffSource",
    "InMemoryWaiverSource", "FileSignoffSource", "FileWaiverSource", "Verification", "Verifier", "UNSIGNED",
]
