"""The store API: record decisions and signed records, read them back, verify the audit chain.

Every write is one transaction that also appends its audit event(s), serialised by
:func:`govern.record.engine.write`, so a crash (even SIGKILL) leaves the whole record and its
event, or neither. Queries use SQLAlchemy Core on the SQLModel tables: the inventory views
read thousands of rows and ORM objects would only slow them down.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from govern.collector import paused
from govern.record import chain
from govern.record.config import redact, resolve_url, store_error
from govern.record.engine import make_engine, read, write
from govern.record.decisions import (as_utc, furthest_stage, policy_event, register,
                                     write_decisions)
from govern.record.log import Appender, append_event
from govern.record.rows import Written
from govern.record.tables import CHECKPOINT, EVALUATION, EVENT, LOG, POLICY, SIGNED_TABLES, USE_CASE

if TYPE_CHECKING:
    from typing import Iterable, Sequence

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.evaluate.results import Decision
    from govern.record.checkpoint import Checkpoint
    from govern.record.config import CheckpointSettings
    from govern.record.log import Head
    from govern.record.recorded import Recorded
    from govern.policy.pack import Policy
    from govern.sign.records import SignedRecord

UTC = _dt.timezone.utc
#: event kinds whose events cover rows this module writes (never appended by :meth:`Store.record_event`)
ROW_KINDS = frozenset({"evaluation", "signoff", "waiver", "registration", "policy", "report"})


def now() -> _dt.datetime:
    return _dt.datetime.now(UTC)


@dataclass(frozen=True)
class EvaluationSummary:
    id: int
    use_case_id: str
    tier: str
    target: str
    allowed: bool
    furthest_stage: str | None
    as_of: _dt.date
    recorded_at: _dt.datetime
    decision_digest: str
    model: dict[str, Any]  # digest, name, version
    policy: dict[str, Any]  # digest, name, version

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "use_case": self.use_case_id, "tier": self.tier, "target": self.target,
                "allowed": self.allowed, "furthest_stage": self.furthest_stage, "as_of": self.as_of.isoformat(),
                "recorded_at": self.recorded_at.isoformat(), "decision_digest": self.decision_digest,
                "model": self.model, "policy": self.policy}


class Store:
    """An open store. Create with :meth:`open`; close (or use as a context manager) when done."""

    def __init__(self, engine: Engine, url: str, cwd: Path | None = None) -> None:
        self.engine = engine
        self.url = url
        self.cwd = cwd
        self._settings: "CheckpointSettings | None" = None
        self._witness_key: "Ed25519PrivateKey | None" = None
        #: the checkpoints this Store signed on schedule (for the front end to mention)
        self.scheduled: list["Checkpoint"] = []

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, cwd: Path | None = None) -> "Store":
        """Resolve the URL, create the SQLite folder if needed and migrate to head; StoreError if impossible."""
        from govern.record.migrate import upgrade

        resolved = resolve_url(url, cwd)
        if resolved.startswith("sqlite:///") and resolved != "sqlite:///:memory:":
            folder = Path(resolved.removeprefix("sqlite:///")).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise store_error(f"cannot create the store folder {folder}: {exc.strerror or exc}") from None
        try:
            engine = make_engine(resolved)
        except ImportError as exc:  # the PostgreSQL driver is an optional extra
            raise store_error(f"cannot open {redact(resolved)}: the PostgreSQL driver is not installed ({exc})",
                              "pip install 'govern[postgres]' (psycopg 3)") from None
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise store_error(f"cannot open the govern store at {redact(resolved)}: {_reason(exc)}") from None
        return cls(engine, resolved, cwd)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def record_decision(self, decision: "Decision", *, policy: "Policy | None" = None,
                        recorded_at: _dt.datetime | None = None) -> int:
        """Store a decision with its normalised results; registers use case, model and policy versions.

        ``policy`` (optional) supplies each sign-off's ``valid_for`` so the inventory can say when
        an approval expires; approvals that already carry an ``expires`` date use it instead.
        """
        if decision.replay:  # a replay answers "what would it have been"; the record holds only what was
            from govern.errors import Diagnostic, InputError

            raise InputError(Diagnostic("replay-recorded", "a replayed decision (--as-of) is never recorded",
                                        hint="evaluate at today's date to record; replay with --no-record"))
        validity = _validity(policy, decision.tier) if policy is not None else {}
        witness = self.witness()  # a configured witness key that cannot be used stops us before anything is written
        try:
            with write(self.engine) as conn:
                log = Appender(conn)
                (evaluation_id,) = write_decisions(conn, [decision], [validity], as_utc(recorded_at or now()), log)
                log.flush()
        except SQLAlchemyError as exc:
            raise store_error(f"decision not recorded in {redact(self.url)}: {_reason(exc)}") from None
        self._on_schedule(witness, decision.target)
        return evaluation_id

    def record_decisions(self, decisions: "Iterable[Decision]", *, policy: "Policy | None" = None,
                         recorded_at: _dt.datetime | None = None, per_transaction: int = 1000) -> list[int]:
        """Record many decisions (a portfolio's nightly run): ``per_transaction`` of them per transaction.

        Each decision gets the same rows and its own audit event, in order, exactly as
        :meth:`record_decision` would write them one by one, so the chain and the views cannot
        tell the difference; what is saved is a commit (an fsync) per decision and the
        per-statement cost: each table gets one statement per batch (:mod:`govern.record.decisions`).
        The decisions of one batch share its recording time. A failing batch is rolled back
        whole; earlier batches stay.
        """
        decisions = list(decisions)
        if any(d.replay for d in decisions):
            from govern.errors import Diagnostic, InputError

            raise InputError(Diagnostic("replay-recorded", "a replayed decision (--as-of) is never recorded",
                                        hint="evaluate at today's date to record; replay with --no-record"))
        validities: dict[str, Mapping[tuple[str, str], str]] = {}
        witness = self.witness()
        ids: list[int] = []
        for start in range(0, len(decisions), max(1, per_transaction)):
            part = decisions[start:start + per_transaction]
            try:
                for decision in part:
                    if decision.tier not in validities:
                        validities[decision.tier] = _validity(policy, decision.tier) if policy is not None else {}
                with write(self.engine) as conn, paused():
                    log = Appender(conn)
                    ids += write_decisions(conn, part, [validities[d.tier] for d in part],
                                           as_utc(recorded_at or now()), log)
                    log.flush()
            except SQLAlchemyError as exc:
                raise store_error(f"decisions not recorded in {redact(self.url)} ({len(ids)} were): "
                                  f"{_reason(exc)}") from None
            # one checkpoint per batch at most: due by count, or if any decision is for a listed stage
            listed = [d.target for d in part if d.target in self.settings.on_targets] if witness else []
            self._on_schedule(witness, listed[0] if listed else None)
        return ids

    def register_policy(self, name: str, version: str, digest: str) -> int:
        """Register a policy version (idempotent); the first registration appends a `policy` event."""
        witness = self.witness()
        try:
            with write(self.engine) as conn:
                policy_id = int(_register_policy(conn, {"name": name, "version": version, "digest": digest}, now())["id"])
        except SQLAlchemyError as exc:
            raise store_error(f"policy not registered in {redact(self.url)}: {_reason(exc)}") from None
        self._on_schedule(witness, None)
        return policy_id

    def record_report(self, use_case_id: str, decision_digest: str, pdf_sha256: str, name: str,
                      evaluation_id: int | None = None) -> int:
        """Append a `report` event naming a rendered PDF by its sha256, so a report handed to an
        auditor years later can be matched to the chain (the PDF itself is not stored)."""
        witness = self.witness()
        try:
            with write(self.engine) as conn:
                seq = append_event(conn, "report", use_case_id, {
                    "decision_digest": decision_digest, "pdf_sha256": pdf_sha256, "file": name,
                    "evaluation": evaluation_id}, now())
        except SQLAlchemyError as exc:
            raise store_error(f"report not recorded in {redact(self.url)}: {_reason(exc)}") from None
        self._on_schedule(witness, None)
        return seq

    def record_event(self, kind: str, subject: str, payload: Mapping[str, Any], *,
                     recorded_at: _dt.datetime | None = None, unless_subject_exists: bool = False) -> int | None:
        """Append an event that writes no row -- a sign-off request, a notification sent -- and return its seq.

        Such events are facts about the process, not records a decision reads, so they need no
        table (and no migration): the payload is canonical JSON covered by the event's hash.
        ``unless_subject_exists`` makes the append idempotent per (kind, subject), decided under
        the write lock: None if an event of that kind and subject is already in the log.
        """
        if kind in ROW_KINDS:
            raise ValueError(f"`{kind}` events record rows: use the store method that writes them")
        witness = self.witness()
        try:
            with write(self.engine) as conn:
                if unless_subject_exists and conn.execute(select(EVENT.c.seq).where(
                        EVENT.c.kind == kind, EVENT.c.subject == subject).limit(1)).first() is not None:
                    return None
                seq = append_event(conn, kind, subject, dict(payload), as_utc(recorded_at or now()))
        except SQLAlchemyError as exc:
            raise store_error(f"{kind} not recorded in {redact(self.url)}: {_reason(exc)}") from None
        self._on_schedule(witness, None)
        return seq

    def record_registry(self, use_case_id: str, payload: dict[str, Any]) -> int:
        """Append a `registry` event: govern moved (or refused to move) a model registry alias.

        The event is the only record of it (no table): `verify-registry` compares the registry
        with these events, so an alias moved by hand is one no event accounts for.
        """
        seq = self.record_event("registry", use_case_id, payload)
        assert seq is not None  # appended unconditionally
        return seq

    def registry_events(self) -> list[dict[str, Any]]:
        """Every `registry` event's payload (with ``seq`` and ``recorded_at``), in log order, each checked."""
        from govern.record.recorded import events

        with read(self.engine) as conn:
            found = list(events(conn, EVENT.c.kind == "registry"))
        return [{**r.payload, "seq": r.seq} for r in found]

    def evaluation_view(self, evaluation_id: int) -> dict[str, Any] | None:
        """What an evaluation's event recorded of it (verdict, approvals with their expiry, waivers), or None."""
        from govern.record.recorded import events

        with read(self.engine) as conn:
            found = list(events(conn, EVENT.c.kind == "evaluation", EVENT.c.record_id == evaluation_id))
        return found[-1].view() if found else None

    def add_signed(self, record: "SignedRecord", *, recorded_at: _dt.datetime | None = None) -> int:
        """Store a signed sign-off or waiver exactly as signed; adding the same record again returns its id."""
        from govern.record.signed import columns_of

        table = SIGNED_TABLES[record.kind]
        canonical = record.signed_bytes()
        columns = columns_of(record)  # raises InputError for a malformed payload: nothing is written
        payload_digest = chain.sha256_text(canonical)
        at = as_utc(recorded_at or now())
        witness = self.witness()
        try:
            with write(self.engine) as conn:
                existing = conn.execute(select(table.c.id).where(
                    table.c.payload_digest == payload_digest, table.c.signature == record.signature)).scalar()
                if existing is not None:
                    return int(existing)
                use_case, wrote = _ensure_use_case(conn, columns["use_case_id"], columns["use_case_id"], at)
                values = {**columns, "signature": record.signature, "payload_digest": payload_digest,
                          "canonical_payload": canonical.decode("utf-8"), "recorded_at": at}
                row_id = conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
                rows = Written()
                if wrote:
                    rows.add(USE_CASE, use_case)
                rows.add(table, {**values, "id": row_id})
                append_event(conn, record.kind, columns["use_case_id"], {
                    "record": record.kind, "id": row_id, "payload": record.payload, "signature": record.signature,
                    "payload_digest": payload_digest}, at, record_id=row_id, rows=rows)
        except SQLAlchemyError as exc:
            raise store_error(f"{record.kind} not recorded in {redact(self.url)}: {_reason(exc)}") from None
        self._on_schedule(witness, None)
        return int(row_id)

    # -- checkpoints on a schedule ------------------------------------------------------------
    @property
    def settings(self) -> "CheckpointSettings":
        if self._settings is None:
            from govern.record.config import checkpoint_settings

            self._settings = checkpoint_settings(self.cwd)
        return self._settings

    def witness(self) -> "Ed25519PrivateKey | None":
        """The configured witness key (``GOVERN_WITNESS_KEY`` / ``[checkpoints] witness_key``), loaded once."""
        if self._witness_key is None and self.settings.witness_key:
            from govern.sign.keys import load_private_key, resolve_key_path

            self._witness_key = load_private_key(resolve_key_path(self.settings.witness_key))
        return self._witness_key

    def _on_schedule(self, witness: "Ed25519PrivateKey | None", target: str | None) -> None:
        """Sign a checkpoint after this write if one is due: every N events, or a decision for a listed stage."""
        if witness is None:
            return
        with read(self.engine) as conn:
            size = conn.execute(select(LOG.c.size)).scalar() or 0
            last = conn.execute(select(func.max(CHECKPOINT.c.tree_size))).scalar() or 1
        if self.settings.due(size - last, target):
            self.scheduled.append(self.checkpoint(witness))

    # -- reading (what the log recorded: see govern.record.recorded) ---------------------------
    def signed_record(self, kind: str, row_id: int) -> "SignedRecord | None":
        """One stored sign-off, waiver or registration exactly as signed (None if there is no such row)."""
        from govern.sign.records import SignedRecord

        table = SIGNED_TABLES[kind]
        with read(self.engine) as conn:
            row = conn.execute(select(table.c.canonical_payload, table.c.signature).where(table.c.id == row_id)).first()
        if row is None:
            return None
        return SignedRecord(kind, json.loads(row.canonical_payload), row.signature,  # type: ignore[arg-type]
                            source=f"store:{kind}/{row_id}")

    def evaluations(self, use_case_id: str | None = None) -> list[EvaluationSummary]:
        """Every recorded evaluation (of one use case), oldest first, as its event recorded it."""
        from govern.record.recorded import events

        where = [EVENT.c.kind == "evaluation"]
        if use_case_id is not None:
            where.append(EVENT.c.subject == use_case_id)
        with read(self.engine) as conn:
            return sorted((summary_from(r) for r in events(conn, *where)), key=lambda s: s.id)

    def latest_decisions(self) -> dict[str, EvaluationSummary]:
        """use case id → its most recently recorded evaluation."""
        from govern.record.recorded import latest_evaluations

        with read(self.engine) as conn:
            return {r.subject: summary_from(r) for r in latest_evaluations(conn)}

    def decision(self, evaluation_id: int) -> dict[str, Any]:
        """The full decision JSON of one evaluation (as :meth:`Decision.to_dict` wrote it), checked against its event.

        KeyError if there is no such evaluation; LogAltered if its JSON is not what the log recorded.
        """
        from govern.record.recorded import events

        with read(self.engine) as conn:
            text_ = conn.execute(select(EVALUATION.c.decision_json).where(EVALUATION.c.id == evaluation_id)).scalar()
            found = list(events(conn, EVENT.c.kind == "evaluation", EVENT.c.record_id == evaluation_id, rows=True))
        if text_ is None and not found:
            raise KeyError(evaluation_id)
        if not found:
            raise chain.LogAltered(f"evaluation {evaluation_id} has no audit event")
        row = found[-1].one("evaluation", evaluation_id)
        if text_ is None or chain.sha256_text(text_.encode("utf-8")) != row["decision_json"]:
            raise chain.LogAltered(f"the decision JSON of evaluation {evaluation_id} is not what event "
                                   f"{found[-1].seq} recorded")
        return json.loads(text_)

    # -- the audit trail ---------------------------------------------------------------------
    def verify_chain(self, checkpoints: "Sequence[Checkpoint]" = (), *, witness: str | None = None
                     ) -> chain.ChainReport:
        """Events, rows, tree and checkpoints (see :mod:`govern.record.audit`)."""
        from govern.record.audit import verify_store

        with read(self.engine) as conn:
            return verify_store(conn, checkpoints, witness=witness)

    def head(self) -> "Head":
        from govern.record.log import read_head

        with read(self.engine) as conn:
            return read_head(conn)

    def checkpoint(self, key: "Ed25519PrivateKey", *, at: _dt.datetime | None = None) -> "Checkpoint":
        """Sign the current tree head with a witness key and keep it in the store."""
        from govern.record.checkpoint import sign

        head = self.head()  # a committed head: every later head extends it (appends are serialised)
        cp = sign(key, head.log_id, head.size, head.root, at or now())
        try:
            with write(self.engine) as conn:
                conn.execute(insert(CHECKPOINT).values(
                    log_id=cp.log_id, tree_size=cp.tree_size, root_hash=cp.root_hash, time=cp.time,
                    key_fingerprint=cp.key_fingerprint, public_key=cp.public_key, signature=cp.signature))
        except SQLAlchemyError as exc:
            raise store_error(f"checkpoint not recorded in {redact(self.url)}: {_reason(exc)}") from None
        return cp

    def checkpoints(self) -> list["Checkpoint"]:
        """Every stored checkpoint, oldest first."""
        from govern.record.checkpoint import Checkpoint

        with read(self.engine) as conn:
            return [Checkpoint(r.log_id, int(r.tree_size), r.root_hash, r.time, r.key_fingerprint, r.public_key,
                               r.signature) for r in conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.id))]

    def latest_checkpoint(self) -> "Checkpoint | None":
        found = self.checkpoints()
        return max(found, key=lambda c: (c.tree_size, c.time)) if found else None

    def prove(self, seq: int, checkpoint: "Checkpoint | None" = None) -> dict[str, Any]:
        """An inclusion proof for event ``seq`` (see :mod:`govern.record.proof`)."""
        from govern.record.proof import build

        with read(self.engine) as conn:
            return build(conn, seq, checkpoint)

    def event_of(self, kind: str, record_id: int) -> int | None:
        """The seq of the event that recorded an evaluation, sign-off, waiver or policy version."""
        with read(self.engine) as conn:
            return conn.execute(select(func.max(EVENT.c.seq)).where(
                EVENT.c.kind == kind, EVENT.c.record_id == record_id)).scalar()

    def export_events(self) -> Iterator[dict[str, Any]]:
        """Every event in order, payload and rows parsed: one JSON object per line of ``audit export``."""
        with read(self.engine) as conn:
            for row in conn.execution_options(yield_per=2000).execute(select(EVENT).order_by(EVENT.c.seq)):
                yield {"seq": row.seq, "version": row.version, "kind": row.kind, "subject": row.subject,
                       "record_id": row.record_id, "recorded_at": row.recorded_at,
                       "payload_digest": row.payload_digest, "payload": json.loads(row.payload_json),
                       "rows_digest": row.rows_digest, "rows": json.loads(row.rows_json),
                       "prev_hash": row.prev_hash, "hash": row.hash}


# -- helpers (module level: used inside one write transaction) ----------------------------------
def _ensure_use_case(conn: Connection, use_case_id: str, name: str, at: _dt.datetime) -> tuple[dict[str, Any], bool]:
    """The use case's row after this write, and whether this write created or renamed it."""
    current = conn.execute(select(USE_CASE).where(USE_CASE.c.id == use_case_id)).first()
    if current is None:
        row = {"id": use_case_id, "name": name, "created_at": at, "latest_evaluation_id": None}
        conn.execute(insert(USE_CASE).values(**row))
        return row, True
    row = dict(current._mapping)
    if current.name != name and name != use_case_id:  # a signed record knows only the id
        conn.execute(update(USE_CASE).where(USE_CASE.c.id == use_case_id).values(name=name))
        return {**row, "name": name}, True
    return row, False


def _register_policy(conn: Connection, policy: Mapping[str, str], at: _dt.datetime) -> dict[str, Any]:
    registered = register(conn, POLICY, [(policy["digest"], {"name": policy["name"], "version": policy["version"]})], at)
    row = registered.rows[policy["digest"]]
    if registered.new:
        log = Appender(conn)
        policy_event(log, row, at)
        log.flush()
    return row


def _validity(policy: "Policy", tier: str) -> dict[tuple[str, str], str]:
    template = policy.templates.get(tier)
    if template is None:
        return {}
    return {(stage.id, s.role): s.valid_for for stage in template.stages for s in stage.gate.signoffs if s.valid_for}


def summary_from(recorded: "Recorded") -> EvaluationSummary:
    """An evaluation as its event recorded it (never as the table says)."""
    from govern.record.recorded import date, timestamp

    view = recorded.view()
    e = view["evaluation"]
    return EvaluationSummary(e["id"], view["use_case"]["id"], e["tier"], e["target"], e["allowed"], e["furthest_stage"],
                             date(e["as_of"]), timestamp(e["recorded_at"]), e["decision_digest"], view["model"],
                             view["policy"])


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


__all__ = ["Store", "EvaluationSummary", "furthest_stage", "append_event", "summary_from"]
