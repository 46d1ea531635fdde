"""The audit hash chain: how an event's hash is computed, and how a whole log is checked.

``hash = sha256(canonical_json({seq, kind, subject, payload, payload_digest, prev_hash,
recorded_at}))``, so each event commits to its own content *and* to everything before it.
The payload is stored as canonical JSON text; verification requires the text to be exactly
canonical, so even a byte change that would parse to the same value is caught. Pure
functions, no database: the store feeds rows in, the CLI and tests read the report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from govern.canonical import canonical_json

#: prev_hash of the first event
GENESIS = "sha256:" + "0" * 64


def sha256_text(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def payload_text(payload: Any) -> str:
    return canonical_json(payload).decode("utf-8")


def event_hash(seq: int, kind: str, subject: str, payload: Any, payload_digest: str, prev_hash: str,
               recorded_at: str) -> str:
    return sha256_text(canonical_json({
        "seq": seq, "kind": kind, "subject": subject, "payload": payload, "payload_digest": payload_digest,
        "prev_hash": prev_hash, "recorded_at": recorded_at}))


class EventLike(Protocol):
    seq: int
    kind: str
    subject: str
    payload_digest: str
    payload_json: str
    prev_hash: str
    hash: str
    recorded_at: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None
    events: int = 0
    head_hash: str = GENESIS

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "first_bad_seq": self.first_bad_seq, "problem": self.problem,
                "events": self.events, "head_hash": self.head_hash}


def check_event(event: EventLike, expected_seq: int, prev_hash: str) -> str | None:
    """Why this event breaks the chain at position ``expected_seq``, or None."""
    if event.seq != expected_seq:
        if event.seq > expected_seq:
            missing = (f"event {expected_seq}" if event.seq == expected_seq + 1
                       else f"events {expected_seq}–{event.seq - 1}")
            return f"{missing} removed: the log jumps to event {event.seq}"
        return f"event {event.seq} appears out of order at position {expected_seq}"
    raw = event.payload_json.encode("utf-8")
    try:
        payload = json.loads(raw)
    except ValueError:
        return f"event {event.seq} was altered: its payload is no longer valid JSON"
    if canonical_json(payload) != raw:
        return f"event {event.seq} was altered: its payload is not the canonical text that was recorded"
    if sha256_text(raw) != event.payload_digest:
        return f"event {event.seq} was altered: its payload does not match its payload digest"
    if event.prev_hash != prev_hash:
        return (f"event {event.seq} does not follow event {event.seq - 1}: an earlier event was removed, "
                f"reordered or rewritten")
    recomputed = event_hash(event.seq, event.kind, event.subject, payload, event.payload_digest, event.prev_hash,
                            event.recorded_at)
    if recomputed != event.hash:
        return f"event {event.seq} was altered: its hash no longer matches its content"
    return None


def verify(events: Iterable[EventLike]) -> ChainReport:
    """Walk the log in ``seq`` order; stop at the first event that was altered, removed or reordered."""
    prev, count = GENESIS, 0
    for expected, event in enumerate(events, start=1):
        problem = check_event(event, expected, prev)
        if problem is not None:
            bad = min(event.seq, expected) if event.seq > 0 else expected
            return ChainReport(False, bad, problem, count, prev)
        prev, count = event.hash, count + 1
    return ChainReport(True, None, None, count, prev)
