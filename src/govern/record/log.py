"""The audit log in the database: appending an event as a Merkle leaf, and reading tree heads and proofs.

An append (inside the caller's write transaction) reads the head row ``FOR UPDATE``, inserts
the event, the tree nodes the new leaf completes (one on average) and updates the head: four
statements, whatever the log's size (and whatever the number of events a batch appends, see
:class:`Appender`) -- the root is folded from the stored frontier, never
recomputed. The lock on the head row (on top of :func:`govern.record.engine.write`'s advisory
lock / ``BEGIN IMMEDIATE``) serialises appends, so ``seq`` -- the leaf index -- is the commit
order, and a head read by any transaction is a prefix of every later one.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import Connection, insert, select, tuple_, update

from govern.record import chain, merkle
from govern.record.tables import EVENT, LOG, NODE

if TYPE_CHECKING:
    from govern.record.rows import Written

UTC = _dt.timezone.utc
HEAD_ID = 1
HASH_BYTES = 32


class LogError(Exception):
    """The log's head or nodes are not what appends write (missing, malformed): the store was tampered with."""


@dataclass(frozen=True)
class Head:
    log_id: str
    size: int  # leaves, the anchor included: the next event's seq
    root: bytes
    frontier: list[bytes]
    chain_head: str
    anchor_json: str


def split_frontier(raw: bytes) -> list[bytes]:
    return [bytes(raw[i:i + HASH_BYTES]) for i in range(0, len(raw), HASH_BYTES)]


def read_head(conn: Connection, *, lock: bool = False) -> Head:
    query = select(LOG).where(LOG.c.id == HEAD_ID)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise LogError("the audit log has no head row (audit_log): it was removed")
    frontier = split_frontier(row.frontier)
    if len(row.frontier) != HASH_BYTES * len(frontier) or len(frontier) != bin(row.size).count("1"):
        raise LogError(f"the audit log's head is malformed: {len(row.frontier)} frontier bytes for "
                       f"{row.size} leaves")
    return Head(row.log_id, int(row.size), bytes(row.root), frontier, row.chain_head, row.anchor_json)


class Appender:
    """Appends events inside one write transaction: the head is read (locked) once, and the events,
    the tree nodes they complete and the new head are written by :meth:`flush` -- one statement
    each, however many events. A single append and a batch of thousands write the same rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        head = read_head(conn, lock=True)
        self.size, self.frontier, self.chain_head = head.size, head.frontier, head.chain_head
        self.events: list[dict[str, Any]] = []
        self.nodes: list[dict[str, Any]] = []

    def append(self, kind: str, subject: str, payload: Any, at: _dt.datetime, *,
               record_id: int | None = None, rows: "Written | None" = None) -> int:
        seq = self.size
        text_ = chain.payload_text(payload)
        payload_digest = chain.sha256_text(text_.encode("utf-8"))
        rows_text = rows.to_json() if rows is not None else "{}"
        rows_digest = chain.sha256_text(rows_text.encode("utf-8"))
        recorded_at = at.astimezone(UTC).isoformat()
        data = chain.entry(seq, kind, subject, record_id, recorded_at, payload_digest, rows_digest, self.chain_head)
        hash_ = chain.sha256_text(data)
        self.events.append(dict(
            seq=seq, version=2, kind=kind, subject=subject, record_id=record_id, payload_digest=payload_digest,
            payload_json=text_, rows_digest=rows_digest, rows_json=rows_text, prev_hash=self.chain_head, hash=hash_,
            recorded_at=recorded_at))
        self.frontier, nodes = merkle.append(self.frontier, seq, merkle.leaf_hash(data))
        self.nodes += [{"level": level, "idx": idx, "hash": h} for level, idx, h in nodes]
        self.size, self.chain_head = seq + 1, hash_
        return seq

    def flush(self) -> None:
        if not self.events:
            return
        self.conn.execute(insert(EVENT), self.events)
        if self.nodes:
            self.conn.execute(insert(NODE), self.nodes)
        self.conn.execute(update(LOG).where(LOG.c.id == HEAD_ID).values(
            size=self.size, root=merkle.root_of_frontier(self.frontier), frontier=b"".join(self.frontier),
            chain_head=self.chain_head))
        self.events, self.nodes = [], []


def append_event(conn: Connection, kind: str, subject: str, payload: Any, at: _dt.datetime, *,
                 record_id: int | None = None, rows: "Written | None" = None) -> int:
    """Append one event covering ``rows``; the caller holds the write lock (see :func:`engine.write`)."""
    log = Appender(conn)
    seq = log.append(kind, subject, payload, at, record_id=record_id, rows=rows)
    log.flush()
    return seq


def create(conn: Connection, log_id: str, created_at: str, leaves: Iterable[bytes], *, events: int,
           head_hash: str) -> Head:
    """Start a log: the anchor as leaf 0, then the given leaf *data* (events already stored), nodes and head.

    Used once per store, by the migration that introduced the tree.
    """
    anchor = chain.anchor_text(log_id, created_at, events, head_hash)
    frontier: list[bytes] = []
    size, batch = 0, []
    for data in [anchor.encode("utf-8"), *leaves]:
        frontier, nodes = merkle.append(frontier, size, merkle.leaf_hash(data))
        batch += [{"level": level, "idx": idx, "hash": h} for level, idx, h in nodes]
        size += 1
        if len(batch) >= 5000:
            conn.execute(insert(NODE), batch)
            batch = []
    if batch:
        conn.execute(insert(NODE), batch)
    root = merkle.root_of_frontier(frontier)
    conn.execute(insert(LOG).values(id=HEAD_ID, log_id=log_id, size=size, root=root, frontier=b"".join(frontier),
                                    chain_head=head_hash, anchor_json=anchor))
    return Head(log_id, size, root, frontier, head_hash, anchor)


# -- proofs from the stored nodes ------------------------------------------------------------------

def fetch_nodes(conn: Connection, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    wanted = sorted(set(wanted))
    found: dict[merkle.Node, bytes] = {}
    for i in range(0, len(wanted), 400):
        part = wanted[i:i + 400]
        for row in conn.execute(select(NODE.c.level, NODE.c.idx, NODE.c.hash)
                                .where(tuple_(NODE.c.level, NODE.c.idx).in_(part))):
            found[(row.level, int(row.idx))] = bytes(row.hash)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LogError(f"tree node (level {missing[0][0]}, index {missing[0][1]}) is missing from merkle_node")
    return found


def _hashes(conn: Connection, ranges: list[tuple[int, int]]) -> list[bytes]:
    return merkle.path_hashes(ranges, fetch_nodes(conn, merkle.needed(ranges)))


def inclusion_path(conn: Connection, index: int, size: int) -> list[bytes]:
    return _hashes(conn, merkle.inclusion_ranges(index, size))


def consistency_path(conn: Connection, first: int, second: int) -> list[bytes]:
    return [] if first == second else _hashes(conn, merkle.consistency_ranges(first, second))


def root_at(conn: Connection, size: int) -> bytes:
    return _hashes(conn, [(0, size)])[0]


def event_row(conn: Connection, seq: int) -> Any:
    return conn.execute(select(EVENT).where(EVENT.c.seq == seq)).first()


def event_document(row: Any) -> dict[str, Any]:
    """An event as a proof carries it: every hashed field, payload and rows as the exact stored text."""
    return {"version": row.version, "seq": row.seq, "kind": row.kind, "subject": row.subject,
            "record_id": row.record_id, "recorded_at": row.recorded_at, "payload_json": row.payload_json,
            "payload_digest": row.payload_digest, "rows_json": row.rows_json, "rows_digest": row.rows_digest,
            "prev_hash": row.prev_hash, "hash": row.hash}
