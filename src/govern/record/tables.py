"""The store's schema as SQLModel tables: registries, evaluations with normalised results, signed records, events.

Evaluations keep the whole decision JSON (the record of truth, covered by its digest) *and*
normalised gate/check/sign-off rows, so inventory queries never parse JSON. Signed records
keep their canonical payload text byte for byte, so signatures can be re-verified forever.
The audit log is append-only by convention and tamper-evident three ways: each event's
hash covers the canonical content of every row it wrote (:mod:`govern.record.rows`), the
events are leaves of an RFC 9162 Merkle tree (:mod:`govern.record.merkle`, nodes in
``merkle_node``, head in ``audit_log``), and signed tree heads (``checkpoint``) let anyone
holding one prove the log only grew since. Changing anything here needs a new migration in
``migrations/versions`` (a test compares the two); a new column or table of *records* is
covered by the log automatically, and its writer must record it (a test edits every column).
"""

from __future__ import annotations

import datetime as _dt

from typing import ClassVar

from sqlalchemy import BigInteger, Date, DateTime, Index, LargeBinary, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

#: Named constraints, so later migrations (and SQLite batch mode) can address them by name.
NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}
metadata = MetaData(naming_convention=NAMING)


class Table(SQLModel):
    """Base of govern's tables: their own metadata, so no other SQLModel user in the process shares it."""

    metadata: ClassVar[MetaData] = metadata


#: timestamps are stored timezone-aware (timestamptz on PostgreSQL; ISO text on SQLite, read back as UTC)
UTC_TS = DateTime(timezone=True)


class UseCase(Table, table=True):
    __tablename__ = "use_case"
    id: str = Field(primary_key=True)  # the descriptor's id
    name: str
    created_at: _dt.datetime = Field(sa_type=UTC_TS)
    #: the newest evaluation, kept in the recording transaction so the inventory never groups
    #: 120k evaluations to find 4k latest ones (not a foreign key: it would make the two tables circular)
    latest_evaluation_id: int | None = None


class ModelVersion(Table, table=True):
    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("digest"),)
    id: int | None = Field(default=None, primary_key=True)
    digest: str
    name: str | None = None
    version: str | None = None
    created_at: _dt.datetime = Field(sa_type=UTC_TS)


class PolicyVersion(Table, table=True):
    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("digest"),)
    id: int | None = Field(default=None, primary_key=True)
    digest: str
    name: str
    version: str
    created_at: _dt.datetime = Field(sa_type=UTC_TS)


class Evaluation(Table, table=True):
    __tablename__ = "evaluation"
    __table_args__ = (Index(None, "use_case_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    use_case_id: str = Field(foreign_key="use_case.id")
    model_version_id: int = Field(foreign_key="model_version.id")
    policy_version_id: int = Field(foreign_key="policy_version.id")
    decision_digest: str
    use_case_digest: str
    evidence_digest: str
    plan_digest: str
    tier: str
    target: str
    allowed: bool
    #: the last gate of the leading run of passing gates: the furthest stage the model may enter
    furthest_stage: str | None = None
    as_of: _dt.date = Field(sa_type=Date)
    recorded_at: _dt.datetime = Field(sa_type=UTC_TS)
    govern_version: str
    decision_json: str = Field(sa_type=Text)


class GateResultRow(Table, table=True):
    __tablename__ = "gate_result"
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    position: int
    gate: str
    status: str


class CheckResultRow(Table, table=True):
    __tablename__ = "check_result"
    __table_args__ = (Index(None, "evaluation_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id")
    gate: str
    check_id: str
    kind: str
    status: str
    enforcement: str
    waiver_approver: str | None = None
    waiver_expires: _dt.date | None = Field(default=None, sa_type=Date)


class SignoffResultRow(Table, table=True):
    """One required sign-off of a gate in one evaluation (status passed | pending | failed)."""

    __tablename__ = "signoff_result"
    __table_args__ = (Index(None, "evaluation_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id")
    gate: str
    role: str
    required: int
    approved: int
    status: str


class ApprovalRow(Table, table=True):
    """A sign-off that counted in one evaluation, with the day it stops counting (``valid_for``)."""

    __tablename__ = "approval"
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    gate: str
    role: str
    signer: str
    decision: str
    signed_at: _dt.datetime = Field(sa_type=UTC_TS)
    expires: _dt.date | None = Field(default=None, sa_type=Date)
    key_fingerprint: str | None = None


class _Signed(Table):
    """Columns every signed record has: the exact canonical payload, its digest and the signature."""

    use_case_id: str = Field(foreign_key="use_case.id")
    role: str
    policy_digest: str | None = None
    signed_at: _dt.datetime = Field(sa_type=UTC_TS)
    key_fingerprint: str | None = None
    signature: str
    payload_digest: str  # sha256 of the canonical payload bytes (what was signed)
    canonical_payload: str = Field(sa_type=Text)
    recorded_at: _dt.datetime = Field(sa_type=UTC_TS)


class SignoffRow(_Signed, table=True):
    __tablename__ = "signoff"
    __table_args__ = (UniqueConstraint("payload_digest", "signature"),
                      Index(None, "use_case_id", "gate", "role"))
    id: int | None = Field(default=None, primary_key=True)
    gate: str
    signer: str
    decision: str
    comment: str | None = None
    model_digest: str
    evidence_digest: str | None = None


class WaiverRow(_Signed, table=True):
    __tablename__ = "waiver"
    __table_args__ = (UniqueConstraint("payload_digest", "signature"),
                      Index(None, "use_case_id", "check_id"))
    id: int | None = Field(default=None, primary_key=True)
    check_id: str
    approver: str
    reason: str
    expires: _dt.date = Field(sa_type=Date)


class RegistrationRow(_Signed, table=True):
    """A signed intake approval (`govern register`): descriptor digest, tier and who built the model."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("payload_digest", "signature"), Index(None, "use_case_id"))
    id: int | None = Field(default=None, primary_key=True)
    descriptor_digest: str
    tier: str
    signer: str


class AuditEvent(Table, table=True):
    """One event: a link of the hash chain and leaf ``seq`` of the Merkle tree (leaf 0 is the log's anchor).

    ``recorded_at`` is kept as the exact text that was hashed. ``version`` 2 events hash
    every column but ``payload_json``/``rows_json`` (covered by their digests) and ``hash``;
    version 1 events were written before the tree (revision 0001) and keep their original
    hash, their rows being covered by their leaf since the upgrade (see :mod:`chain`).
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index(None, "kind", "subject", "seq"), Index(None, "kind", "record_id"))
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int
    kind: str  # evaluation | signoff | waiver | registration | policy | report | signoff_request | notification | registry
    subject: str  # the use case id (the policy name for policy registrations)
    record_id: int | None = None  # the id of the evaluation, sign-off, waiver or policy version it recorded
    payload_digest: str
    payload_json: str = Field(sa_type=Text)
    rows_digest: str  # sha256 of rows_json
    rows_json: str = Field(sa_type=Text)  # every row the event wrote, canonically (govern.record.rows)
    prev_hash: str
    hash: str
    recorded_at: str


class MerkleNode(Table, table=True):
    """A perfect subtree of the log's Merkle tree: leaves [idx·2^level, (idx+1)·2^level), written once complete."""

    __tablename__ = "merkle_node"
    level: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    idx: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    hash: bytes = Field(sa_type=LargeBinary)


class AuditLog(Table, table=True):
    """The log's head, one row: appends lock it (``FOR UPDATE``), so leaf order is commit order.

    ``anchor_json`` is leaf 0: the log's id and the hash chain it continues (the head of the
    events written before the tree existed). ``frontier`` is the concatenated hashes of the
    perfect subtrees the tree is made of, largest first: an append needs nothing else.
    """

    __tablename__ = "audit_log"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    log_id: str
    size: int = Field(sa_type=BigInteger)  # leaves, the anchor included
    root: bytes = Field(sa_type=LargeBinary)
    frontier: bytes = Field(sa_type=LargeBinary)
    chain_head: str  # hash of the last event (the anchor's chain head while there is none)
    anchor_json: str = Field(sa_type=Text)


class CheckpointRow(Table, table=True):
    """A signed tree head (govern.record.checkpoint): a witness's signature over size, root and time."""

    __tablename__ = "checkpoint"
    __table_args__ = (Index(None, "tree_size"),)
    id: int | None = Field(default=None, primary_key=True)
    log_id: str
    tree_size: int = Field(sa_type=BigInteger)
    root_hash: str  # hex
    time: str  # exactly as signed
    key_fingerprint: str
    public_key: str  # base64 of the 32 raw bytes
    signature: str


class ConsoleToken(Table, table=True):
    """A bearer token of the web console (`govern tokens`): only its sha256 is kept, never the token.

    Not a record: who may *look* is configuration of the console, so these rows are outside
    the audit log (see ``UNRECORDED_TABLES``); revoking sets ``revoked_at`` and keeps the row.
    """

    __tablename__ = "console_token"
    __table_args__ = (UniqueConstraint("name"), UniqueConstraint("token_hash"))
    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str  # viewer | auditor | admin
    token_hash: str  # sha256 hex of the token
    created_at: _dt.datetime = Field(sa_type=UTC_TS)
    revoked_at: _dt.datetime | None = Field(default=None, sa_type=UTC_TS)


class ConsoleAccess(Table, table=True):
    """One API request or page view by an auditor or admin of the console: who, when, what, answer."""

    __tablename__ = "console_access"
    __table_args__ = (Index(None, "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: _dt.datetime = Field(sa_type=UTC_TS)
    principal: str  # token name, trusted-header identity, or `anonymous`
    via: str  # token | header | anonymous
    role: str
    method: str
    path: str  # path and query string (no credential is ever sent in either)
    status: int


__all__ = ["metadata", "Table", "UseCase", "ModelVersion", "PolicyVersion", "Evaluation", "GateResultRow",
           "CheckResultRow", "SignoffResultRow", "ApprovalRow", "SignoffRow", "WaiverRow", "AuditEvent", "MerkleNode",
           "AuditLog", "CheckpointRow", "ConsoleToken", "ConsoleAccess", "LOG_TABLES", "UNRECORDED_TABLES", "MUTABLE_TABLES", "covered_tables"]


# The tables as Core objects, which the store's queries use (SQLModel classes are only the declaration).
USE_CASE, MODEL, POLICY = UseCase.__table__, ModelVersion.__table__, PolicyVersion.__table__
EVALUATION, GATE, CHECK = Evaluation.__table__, GateResultRow.__table__, CheckResultRow.__table__
SIGNOFF_RESULT, APPROVAL = SignoffResultRow.__table__, ApprovalRow.__table__
SIGNOFF, WAIVER, EVENT = SignoffRow.__table__, WaiverRow.__table__, AuditEvent.__table__
REGISTRATION = RegistrationRow.__table__
#: the table each kind of signed record is stored in
SIGNED_TABLES = {"signoff": SIGNOFF, "waiver": WAIVER, "registration": REGISTRATION}
NODE, LOG, CHECKPOINT = MerkleNode.__table__, AuditLog.__table__, CheckpointRow.__table__
CONSOLE_TOKEN, CONSOLE_ACCESS = ConsoleToken.__table__, ConsoleAccess.__table__

#: The log's own tables, verified as the log (hashes, tree, signatures); every other table holds
#: records, and each of their rows must be exactly what an audit event recorded.
LOG_TABLES = frozenset({"audit_event", "merkle_node", "audit_log", "checkpoint"})
#: Record tables whose rows are updated after insertion (use_case.latest_evaluation_id, its name):
#: a row must match the *last* event that wrote it. All others are written once.
MUTABLE_TABLES = frozenset({"use_case"})
#: Tables that hold no record and are outside the log: the console's tokens and its access log.
#: Nothing a decision, sign-off or view depends on is read from them.
UNRECORDED_TABLES = frozenset({"console_token", "console_access"})


def covered_tables() -> list:
    """Every record table, from the metadata: a table added later is covered without a code change."""
    return [t for t in metadata.sorted_tables if t.name not in LOG_TABLES | UNRECORDED_TABLES]
