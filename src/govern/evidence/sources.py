"""The bundle's ``signoffs/`` and ``waivers/`` files as a :class:`~govern.sign.sources.SignoffSource` /
``WaiverSource``.

The protocols and record types live in :mod:`govern.sign.sources`, below evidence, so the
evaluator, the audit store and these files all speak one vocabulary; this module only knows how
record *files* are laid out and validated. Records that cannot be trusted are still returned,
with ``verified=False`` and a ``problem``, so a report can say "a sign-off exists but is
unsigned" instead of just "pending".
"""

from __future__ import annotations

import datetime as _dt
from abc import ABC, abstractmethod
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from govern.errors import Diagnostic, GovernError, InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import read_bytes
from govern.evidence.validation import validate
from govern.load.safe_yaml import decode_utf8, load_yaml_text
from govern.sign.sources import (
    UNSIGNED, Decision, InMemoryRegistrationSource, InMemorySignoffSource, InMemoryWaiverSource, RegistrationRecord,
    SignoffRecord, Verification, Verifier, WaiverRecord,
)

# -- files in the bundle ---------------------------------------------------------------------
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
    model_digest: StrictStr | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    policy_digest: StrictStr | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    signed_at: AwareDatetime | None = None
    key_fingerprint: StrictStr | None = None
    signature: StrictStr | None = None


class RegistrationFile(_Record):
    kind: Literal["registration"] = "registration"
    descriptor_digest: StrictStr = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    policy_digest: StrictStr = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    tier: StrictStr = Field(min_length=1)
    owner: StrictStr | None = None
    authors: list[StrictStr] = Field(default_factory=list)
    role: StrictStr = Field(min_length=1)
    signer: StrictStr = Field(min_length=1)
    comment: StrictStr | None = None
    signed_at: AwareDatetime
    key_fingerprint: StrictStr | None = None
    signature: StrictStr | None = None


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class _BundleLike(Protocol):
    def files_with_role(self, role: str) -> list[Any]: ...


class _FileRecords(ABC):
    """Loads every record file of one role once, on first use.

    A malformed file is reported and skipped, never fatal: it comes back as an unverified record
    whose problem carries the file's ``file:line:col`` diagnostics, so one broken file neither
    counts nor takes every other record of the bundle down with it.
    """

    role: str
    model: type[_Record]

    def __init__(self, bundle: _BundleLike, verifier: Verifier | None = None) -> None:
        self.bundle = bundle
        self.verifier = verifier
        self._records: list[Any] | None = None
        self.broken: list[Any] = []  # the malformed files, as unverified records
        self.problems: list[Diagnostic] = []  # every diagnostic of the malformed files, positioned

    def _load(self) -> list[Any]:
        if self._records is not None:
            return self._records
        records: list[Any] = []
        for ef in self.bundle.files_with_role(self.role):
            try:
                records.append(self._read(ef))
            except GovernError as exc:
                self.problems.extend(exc.diagnostics)
                first = exc.diagnostics[0]
                where = f"{first.span.file}:{first.span.line}:{first.span.column}: " if first.span else ""
                more = f" (+{len(exc.diagnostics) - 1} more)" if len(exc.diagnostics) > 1 else ""
                self.broken.append(self._malformed(f"malformed record file: {where}{first.message}{more}", ef.path))
        self._records = records
        return records

    @abstractmethod
    def _malformed(self, problem: str, name: str) -> Any:
        """An unverified record standing for a file that could not be read: reported wherever it is asked for."""

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

    def _malformed(self, problem: str, name: str) -> SignoffRecord:
        return SignoffRecord(signer="?", role="", gate="", decision="reject", model_digest="", evidence_digest=None,
                             policy_digest=None, signed_at=_EPOCH, key_fingerprint=None, comment=None,
                             verified=False, problem=problem, use_case_id="", source=name)

    def signoffs(self, use_case_id: str, gate: str, role: str) -> list[SignoffRecord]:
        return InMemorySignoffSource(self._load()).signoffs(use_case_id, gate, role) + self.broken


class FileWaiverSource(_FileRecords):
    """Waivers from the bundle's ``waivers/*.yaml|json`` (one record per file)."""

    role = "waiver"
    model = WaiverFile

    def _record(self, parsed: WaiverFile, verdict: Verification, name: str) -> WaiverRecord:
        return WaiverRecord(
            check_id=parsed.check, reason=parsed.reason, approver=parsed.approver, role=parsed.role,
            expires=parsed.expires, verified=verdict.verified,
            problem=None if verdict.verified else (verdict.problem or UNSIGNED), use_case_id=parsed.use_case,
            source=name, policy_digest=parsed.policy_digest, signed_at=parsed.signed_at,
            model_digest=parsed.model_digest)

    def _malformed(self, problem: str, name: str) -> WaiverRecord:
        return WaiverRecord(check_id="", reason="", approver="?", role="", expires=_EPOCH.date(), verified=False,
                            problem=problem, use_case_id="", source=name)

    def waivers(self, use_case_id: str, check_id: str) -> list[WaiverRecord]:
        return InMemoryWaiverSource(self._load()).waivers(use_case_id, check_id) + self.broken


class FileRegistrationSource(_FileRecords):
    """Registrations from the bundle's ``registrations/*.yaml|json``: signed, so a file is as good as a row."""

    role = "registration"
    model = RegistrationFile

    def _record(self, parsed: RegistrationFile, verdict: Verification, name: str) -> RegistrationRecord:
        return RegistrationRecord(
            use_case_id=parsed.use_case, descriptor_digest=parsed.descriptor_digest,
            policy_digest=parsed.policy_digest, tier=parsed.tier, owner=parsed.owner, authors=tuple(parsed.authors),
            role=parsed.role, signer=parsed.signer, signed_at=parsed.signed_at,
            key_fingerprint=verdict.key_fingerprint or parsed.key_fingerprint, comment=parsed.comment,
            verified=verdict.verified, problem=None if verdict.verified else (verdict.problem or UNSIGNED),
            source=name)

    def _malformed(self, problem: str, name: str) -> RegistrationRecord:
        return RegistrationRecord(use_case_id="", descriptor_digest="", policy_digest=None, tier="", owner=None,
                                  authors=(), role="", signer="?", signed_at=_EPOCH, key_fingerprint=None,
                                  comment=None, verified=False, problem=problem, source=name)

    def registrations(self, use_case_id: str) -> list[RegistrationRecord]:
        return InMemoryRegistrationSource(self._load()).registrations(use_case_id) + self.broken


__all__ = ["FileRegistrationSource", "FileSignoffSource", "FileWaiverSource", "RegistrationFile", "SignoffFile",
           "WaiverFile"]
