"""The verifiable log: every row covered by its event, events as leaves of a Merkle tree, signed checkpoints.

Adds to ``audit_event`` the rows each event wrote (``rows_json``, its digest) and the id of
the record it is about; adds the tree (``merkle_node``), its head (``audit_log``) and signed
tree heads (``checkpoint``). Existing history is kept as it is and re-hashed into the tree:

- leaf 0, the anchor, records the log's new id and the head of the existing hash chain
  (its length and last hash), so a head someone wrote down before the upgrade still
  verifies -- the old events keep their hashes and links, and verification still walks them;
- each existing event becomes leaf ``seq``, binding its old hash to the rows it wrote as they
  stand at the upgrade (evaluation and results, the sign-off or waiver, the policy version;
  the use case as the event left it), read from the tables as they are at this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-07-01
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the record tables at this revision (the rows of later tables are written by later events)
RECORD_TABLES = ("use_case", "model_version", "policy_version", "evaluation", "gate_result", "check_result",
                 "signoff_result", "approval", "signoff", "waiver")
CHILDREN = ("gate_result", "check_result", "signoff_result", "approval")
CHUNK = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # a govern still at 0001 appends under this lock: none may slip in
        from govern.record.engine import CHAIN_LOCK  # between reading the history and building its tree

        bind.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("record_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rows_digest", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("rows_json", sa.Text(), nullable=False, server_default="{}"))
    op.create_index("ix_audit_event_kind_subject_seq", "audit_event", ["kind", "subject", "seq"])
    op.create_index("ix_audit_event_kind_record_id", "audit_event", ["kind", "record_id"])
    op.create_table(
        "merkle_node",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_merkle_node"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("log_id", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("chain_head", sa.String(), nullable=False),
        sa.Column("anchor_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.String(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(), nullable=False),
        sa.Column("time", sa.String(), nullable=False),
        sa.Column("key_fingerprint", sa.String(), nullable=False),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checkpoint"),
    )
    op.create_index("ix_checkpoint_tree_size", "checkpoint", ["tree_size"])
    _rehash(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_checkpoint_tree_size", table_name="checkpoint")
    for table in ("checkpoint", "audit_log", "merkle_node"):
        op.drop_table(table)
    op.drop_index("ix_audit_event_kind_record_id", table_name="audit_event")
    op.drop_index("ix_audit_event_kind_subject_seq", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        for column in ("rows_json", "rows_digest", "record_id", "version"):
            batch.drop_column(column)


# -- re-hashing the history -------------------------------------------------------------------------

def _rehash(conn: sa.Connection) -> None:
    from govern.record import chain, log
    from govern.record.rows import Written

    meta = sa.MetaData()
    tables = {name: sa.Table(name, meta, autoload_with=conn) for name in RECORD_TABLES}
    event = sa.Table("audit_event", meta, autoload_with=conn)
    events = conn.execute(sa.select(event.c.seq, event.c.kind, event.c.subject, event.c.payload_json, event.c.hash)
                          .order_by(event.c.seq)).all()
    seen_subjects: set[str] = set()
    leaves: list[bytes] = []
    for start in range(0, len(events), CHUNK):
        chunk = events[start:start + CHUNK]
        payloads = [_payload(e.payload_json) for e in chunk]
        rows = _load(conn, tables, payloads)
        updates = []
        for e, payload in zip(chunk, payloads):
            record, record_id = payload.get("record"), payload.get("id")
            record_id = record_id if isinstance(record_id, int) and not isinstance(record_id, bool) else None
            written = Written()
            first_of_subject = e.subject not in seen_subjects and e.kind in ("evaluation", "signoff", "waiver")
            seen_subjects.add(e.subject)
            if e.kind == "evaluation" and record == "evaluation" and record_id in rows["evaluation"]:
                evaluation = rows["evaluation"][record_id]
                case = rows["use_case"].get(evaluation["use_case_id"])
                if case is not None:
                    name = (_payload(evaluation["decision_json"]).get("use_case") or {}).get("name")
                    written.add(tables["use_case"], {**case, "name": name if isinstance(name, str) else case["name"],
                                                     "latest_evaluation_id": record_id})
                for table, key in (("model_version", "model_version_id"), ("policy_version", "policy_version_id")):
                    if evaluation[key] in rows[table]:
                        written.add(tables[table], rows[table][evaluation[key]])
                written.add(tables["evaluation"], evaluation)
                for child in CHILDREN:
                    written.add_many(tables[child], rows[child].get(record_id, []))
            elif e.kind in ("signoff", "waiver") and record == e.kind and record_id in rows[e.kind]:
                case = rows["use_case"].get(e.subject)
                if first_of_subject and case is not None:  # the record that created its use case
                    written.add(tables["use_case"], {**case, "name": e.subject, "latest_evaluation_id": None})
                written.add(tables[e.kind], rows[e.kind][record_id])
            elif e.kind == "policy" and record == "policy_version" and record_id in rows["policy_version"]:
                written.add(tables["policy_version"], rows["policy_version"][record_id])
            rows_json = written.to_json()
            rows_digest = chain.sha256_text(rows_json.encode("utf-8"))
            updates.append({"s": e.seq, "r": record_id, "j": rows_json, "d": rows_digest})
            leaves.append(chain.v1_leaf(e.seq, e.hash, record_id, rows_digest))
        conn.execute(sa.update(event).where(event.c.seq == sa.bindparam("s"))
                     .values(version=1, record_id=sa.bindparam("r"), rows_json=sa.bindparam("j"),
                             rows_digest=sa.bindparam("d")), updates)
    head = events[-1].hash if events else chain.GENESIS
    log.create(conn, uuid.uuid4().hex, _dt.datetime.now(_dt.timezone.utc).isoformat(), leaves,
               events=len(events), head_hash=head)


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _load(conn: sa.Connection, tables: dict[str, sa.Table], payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows a chunk of events wrote, by table and id (children by evaluation id), in a few queries."""
    ids: dict[str, set[int]] = defaultdict(set)
    for p in payloads:
        if isinstance(p.get("id"), int) and p.get("record") in ("evaluation", "signoff", "waiver", "policy_version"):
            ids[p["record"]].add(p["id"])
    out: dict[str, Any] = {name: {} for name in RECORD_TABLES}

    def by_id(name: str, wanted: set[Any]) -> None:
        table, ordered = tables[name], sorted(wanted)
        for i in range(0, len(ordered), CHUNK):
            part = ordered[i:i + CHUNK]
            for row in conn.execute(sa.select(table).where(table.c.id.in_(part))):
                out[name][row.id] = dict(row._mapping)

    for name in ("evaluation", "signoff", "waiver", "policy_version"):
        by_id(name, ids[name])
    by_id("model_version", {e["model_version_id"] for e in out["evaluation"].values()})
    by_id("policy_version", {e["policy_version_id"] for e in out["evaluation"].values()} - set(out["policy_version"]))
    cases = {e["use_case_id"] for e in out["evaluation"].values()}
    cases |= {r["use_case_id"] for kind in ("signoff", "waiver") for r in out[kind].values()}
    by_id("use_case", cases)
    evaluations = sorted(out["evaluation"])
    for child in CHILDREN:
        table, grouped = tables[child], defaultdict(list)
        for i in range(0, len(evaluations), CHUNK):
            part = evaluations[i:i + CHUNK]
            for row in conn.execute(sa.select(table).where(table.c.evaluation_id.in_(part)).order_by(table.c.id)):
                grouped[row.evaluation_id].append(dict(row._mapping))
        out[child] = grouped
    return out
