"""`audit verify` over a store: the hash chain first, then every record against the event that wrote it.

The chain alone proves the log was not altered, reordered or cut in the middle. Checking
the records as well catches edits to a decision or signed record whose event is intact, and
an event removed from the *end* of the log while its record remains. (Removing the last
event together with its record needs an external anchor: publish ``head_hash``.)
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from govern.record import chain
from govern.record.tables import EVALUATION, EVENT, POLICY, SIGNED_TABLES


def verify_store(conn: Connection) -> chain.ChainReport:
    written: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    prev, count = chain.GENESIS, 0
    rows = conn.execution_options(yield_per=2000).execute(select(EVENT).order_by(EVENT.c.seq))
    for expected, event in enumerate(rows, start=1):
        problem = chain.check_event(event, expected, prev)
        if problem is not None:
            return chain.ChainReport(False, min(event.seq, expected), problem, count, prev)
        payload = json.loads(event.payload_json)
        if isinstance(payload, dict) and "record" in payload and "id" in payload:
            written[(payload["record"], payload["id"])] = (event.seq, payload)
        prev, count = event.hash, count + 1
    problem, seq = _records_problem(conn, written, count)
    if problem is not None:
        return chain.ChainReport(False, seq, problem, count, prev)
    return chain.ChainReport(True, None, None, count, prev)


def _records_problem(conn: Connection, written: dict[tuple[str, int], tuple[int, dict[str, Any]]],
                     count: int) -> tuple[str | None, int | None]:
    missing = count + 1  # where an event cut from the end of the log would have been

    q = select(EVALUATION.c.id, EVALUATION.c.decision_json, EVALUATION.c.decision_digest, EVALUATION.c.allowed,
               EVALUATION.c.target, EVALUATION.c.tier).order_by(EVALUATION.c.id)
    for row in conn.execution_options(yield_per=1000).execute(q):
        seq, payload = written.get(("evaluation", row.id), (None, None))
        if payload is None:
            return f"evaluation {row.id} has no audit event (its event was removed)", missing
        if (chain.sha256_text(row.decision_json.encode("utf-8")) != payload["decision_sha256"]
                or row.decision_digest != payload["decision_digest"] or bool(row.allowed) != payload["allowed"]
                or row.target != payload["target"] or row.tier != payload["tier"]):
            return f"evaluation {row.id} was altered after event {seq} recorded it", seq

    for kind, table in SIGNED_TABLES.items():
        q = select(table.c.id, table.c.canonical_payload, table.c.payload_digest, table.c.signature)
        for row in conn.execution_options(yield_per=1000).execute(q.order_by(table.c.id)):
            seq, payload = written.get((kind, row.id), (None, None))
            if payload is None:
                return f"{kind} {row.id} has no audit event (its event was removed)", missing
            digest = chain.sha256_text(row.canonical_payload.encode("utf-8"))
            if (digest != payload["payload_digest"] or row.payload_digest != digest
                    or row.signature != payload["signature"]):
                return f"{kind} {row.id} was altered after event {seq} recorded it", seq

    for row in conn.execute(select(POLICY.c.id, POLICY.c.digest, POLICY.c.name, POLICY.c.version)):
        seq, payload = written.get(("policy_version", row.id), (None, None))
        if payload is None:
            return f"policy version {row.id} has no audit event (its event was removed)", missing
        if (row.digest, row.name, row.version) != (payload["digest"], payload["name"], payload["version"]):
            return f"policy version {row.id} was altered after event {seq} recorded it", seq
    return None, None
