"""What an audit event's hash and Merkle leaf are, and how one event is checked: pure functions, no database.

Version 2 (every event since revision 0002)::

    entry = canonical_json({v: 2, seq, kind, subject, record_id, recorded_at,
                            payload_digest, rows_digest, prev_hash})
    hash  = "sha256:" + sha256(entry)          leaf = entry

so the hash covers the event, every row it wrote (``rows_digest``, see :mod:`govern.record.rows`)
and, through ``prev_hash``, the event before it. Version 1 events (written at revision 0001)
keep their original hash, ``sha256(canonical_json({seq, kind, subject, payload,
payload_digest, prev_hash, recorded_at}))``, so the old chain head still verifies; their rows
were recorded when the store was upgraded, and their leaf binds the two::

    leaf = canonical_json({v: 1, seq, hash, record_id, rows_digest})

Leaf 0 of every log is its anchor (:func:`anchor_text`): the log's id and the head of the
version 1 chain it continues (``GENESIS`` and 0 events for a store created since). Payloads
and rows are stored as canonical JSON text and covered byte for byte by their digests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from govern.canonical import canonical_json

#: prev_hash of the first event
GENESIS = "sha256:" + "0" * 64
LOG_FORMAT = "govern-audit-log"


def sha256_text(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def payload_text(payload: Any) -> str:
    return canonical_json(payload).decode("utf-8")


def v1_hash(seq: int, kind: str, subject: str, payload: Any, payload_digest: str, prev_hash: str,
            recorded_at: str) -> str:
    return sha256_text(canonical_json({
        "seq": seq, "kind": kind, "subject": subject, "payload": payload, "payload_digest": payload_digest,
        "prev_hash": prev_hash, "recorded_at": recorded_at}))


def entry(seq: int, kind: str, subject: str, record_id: int | None, recorded_at: str, payload_digest: str,
          rows_digest: str, prev_hash: str) -> bytes:
    """The bytes a version 2 event's hash and leaf are computed over: ``canonical_json`` of the fields.

    Written out with :func:`json.dumps` directly -- for strings, integers and null that is
    byte for byte what ``canonical_json`` produces (a test holds them equal), without its
    generic walk: the views recompute one entry per displayed event.
    """
    if not (type(seq) is int and (record_id is None or type(record_id) is int)):
        raise TypeError("seq and record_id must be integers")
    return _ENTRY.encode({"v": 2, "seq": seq, "kind": str(kind), "subject": str(subject), "record_id": record_id,
                          "recorded_at": str(recorded_at), "payload_digest": str(payload_digest),
                          "rows_digest": str(rows_digest), "prev_hash": str(prev_hash)}).encode("utf-8")


_ENTRY = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                         check_circular=False)  # a flat dict of scalars


def v1_leaf(seq: int, hash_: str, record_id: int | None, rows_digest: str) -> bytes:
    return canonical_json({"v": 1, "seq": seq, "hash": hash_, "record_id": record_id, "rows_digest": rows_digest})


def anchor_text(log_id: str, created_at: str, events: int, head_hash: str) -> str:
    """Leaf 0: which log this is, and the version 1 chain (its length and head) that it continues."""
    return payload_text({"log": LOG_FORMAT, "log_id": log_id, "created_at": created_at,
                         "continues": {"events": events, "head_hash": head_hash}})


def parse_anchor(text: str) -> dict[str, Any]:
    """ValueError unless ``text`` is an anchor as :func:`anchor_text` writes it."""
    data = json.loads(text)
    if (not isinstance(data, dict) or data.get("log") != LOG_FORMAT or not isinstance(data.get("log_id"), str)
            or not isinstance(data.get("continues"), dict)
            or not isinstance(data["continues"].get("events"), int)
            or not isinstance(data["continues"].get("head_hash"), str)):
        raise ValueError("not a govern audit log anchor")
    if canonical_json(data).decode("utf-8") != text:
        raise ValueError("the anchor is not the canonical text that was recorded")
    return data


class EventLike(Protocol):
    seq: int
    version: int
    kind: str
    subject: str
    record_id: int | None
    payload_digest: str
    payload_json: str
    rows_digest: str
    rows_json: str
    prev_hash: str
    hash: str
    recorded_at: str


def leaf_data(event: EventLike) -> bytes:
    if event.version == 1:
        return v1_leaf(event.seq, event.hash, event.record_id, event.rows_digest)
    return entry(event.seq, event.kind, event.subject, event.record_id, event.recorded_at, event.payload_digest,
                 event.rows_digest, event.prev_hash)


class LogAltered(Exception):
    """An event a view is about to show fails its own hashes: nothing from it is displayed (`audit verify` says more)."""


@dataclass(frozen=True)
class ChainReport:
    """What `audit verify` found: ok, or the first problem and where it is (event, and row when a row differs)."""

    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None
    events: int = 0
    head_hash: str = GENESIS
    table: str | None = None
    key: Any = None
    column: str | None = None
    tree_size: int | None = None
    root_hash: str | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "first_bad_seq": self.first_bad_seq, "problem": self.problem,
                "events": self.events, "head_hash": self.head_hash, "table": self.table, "key": self.key,
                "column": self.column, "tree_size": self.tree_size, "root_hash": self.root_hash,
                "checkpoints": self.checkpoints}


def check_event(event: EventLike, expected_seq: int, prev_hash: str) -> str | None:
    """Why this event breaks the log at position ``expected_seq``, or None (its rows are checked elsewhere)."""
    if event.seq != expected_seq:
        if event.seq > expected_seq:
            missing = (f"event {expected_seq}" if event.seq == expected_seq + 1
                       else f"events {expected_seq}–{event.seq - 1}")
            return f"{missing} removed: the log jumps to event {event.seq}"
        return f"event {event.seq} appears out of order at position {expected_seq}"
    if event.version not in (1, 2):
        return f"event {event.seq} was altered: unknown version {event.version!r}"
    raw = event.payload_json.encode("utf-8")
    if sha256_text(raw) != event.payload_digest:
        return f"event {event.seq} was altered: its payload does not match its payload digest"
    if sha256_text(event.rows_json.encode("utf-8")) != event.rows_digest:
        return f"event {event.seq} was altered: its rows do not match its rows digest"
    if event.prev_hash != prev_hash:
        return (f"event {event.seq} does not follow event {event.seq - 1}: an earlier event was removed, "
                f"reordered or rewritten")
    if event.version == 2:
        recomputed = sha256_text(leaf_data(event))
    else:
        try:
            payload = json.loads(raw)
        except ValueError:
            return f"event {event.seq} was altered: its payload is no longer valid JSON"
        if canonical_json(payload) != raw:
            return f"event {event.seq} was altered: its payload is not the canonical text that was recorded"
        recomputed = v1_hash(event.seq, event.kind, event.subject, payload, event.payload_digest, event.prev_hash,
                             event.recorded_at)
    if recomputed != event.hash:
        return f"event {event.seq} was altered: its hash no longer matches its content"
    return None


def verify(events: Iterable[EventLike], first_prev: str = GENESIS) -> ChainReport:
    """Walk events in ``seq`` order (from 1); stop at the first event that was altered, removed or reordered."""
    prev, count = first_prev, 0
    for expected, event in enumerate(events, start=1):
        problem = check_event(event, expected, prev)
        if problem is not None:
            bad = min(event.seq, expected) if event.seq > 0 else expected
            return ChainReport(False, bad, problem, count, prev)
        prev, count = event.hash, count + 1
    return ChainReport(True, None, None, count, prev)
