"""Inclusion proofs an auditor checks offline: one event, its place in the tree, and the signed head it leads to.

`govern audit prove EVENT` writes a JSON document (format ``govern-inclusion-proof``,
version 1, documented in docs/signing.md) holding the event exactly as stored -- payload and
rows as their canonical text -- its leaf index, the RFC 9162 inclusion path and the tree
head (size, root) it is relative to, normally the head of a checkpoint. :func:`check` needs
nothing but that document and a checkpoint: it recomputes the digests, the event's hash and
leaf, walks the path up to the root, and compares the root with the checkpoint the witness
signed. No database, no network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable

from govern.errors import Diagnostic, InputError
from govern.record import chain, merkle
from govern.record.checkpoint import Checkpoint, from_data

if TYPE_CHECKING:
    from sqlalchemy import Connection

FORMAT = "govern-inclusion-proof"
VERSION = 1
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
EVENT_FIELDS = {"version": int, "seq": int, "kind": str, "subject": str, "record_id": (int, type(None)),
                "recorded_at": str, "payload_json": str, "payload_digest": str, "rows_json": str, "rows_digest": str,
                "prev_hash": str, "hash": str}


def build(conn: "Connection", seq: int, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
    """The proof that event ``seq`` is leaf ``seq`` of the tree ``checkpoint`` signed (default: the current head).

    InputError when the event does not exist or the checkpoint does not cover it; a store
    that no longer leads to the checkpoint's root still gets a proof -- which will fail.
    """
    from govern.record.log import event_document, event_row, inclusion_path, read_head, root_at

    head = read_head(conn)
    size = head.size
    if checkpoint is not None:
        if checkpoint.log_id != head.log_id:
            raise InputError(Diagnostic("checkpoint-other-log", f"the checkpoint is of log {checkpoint.log_id}; "
                                        f"this store's log is {head.log_id}"))
        if checkpoint.tree_size > head.size:
            raise InputError(Diagnostic("checkpoint-ahead", f"{checkpoint.describe()} covers more leaves than the "
                                        f"store has ({head.size})", hint="run `govern audit verify --checkpoint`"))
        size = checkpoint.tree_size
    row = event_row(conn, seq) if seq >= 1 else None
    if row is None:
        raise InputError(Diagnostic("unknown-event", f"no audit event {seq} in the store",
                                    hint=f"events are numbered 1–{head.size - 1}; see `govern audit export`"))
    if seq >= size:
        raise InputError(Diagnostic("event-not-covered", f"event {seq} is newer than the checkpoint "
                                    f"({size} leaves, events up to {size - 1})",
                                    hint="take a newer checkpoint (`govern audit checkpoint --key WITNESS`)"))
    doc: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "log_id": head.log_id, "leaf_index": seq, "tree_size": size,
        "root_hash": root_at(conn, size).hex(), "leaf_hash": merkle.leaf_hash(chain.leaf_data(row)).hex(),
        "inclusion_path": [h.hex() for h in inclusion_path(conn, seq, size)], "event": event_document(row)}
    if checkpoint is not None:
        doc["checkpoint"] = checkpoint.to_dict()
    return doc


@dataclass
class ProofCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    event: dict[str, Any] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None
    checkpoint_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        e = self.event
        return {"ok": self.ok, "problems": self.problems,
                "event": {k: e.get(k) for k in ("seq", "kind", "subject", "record_id", "recorded_at", "hash")},
                "payload": _loads(e.get("payload_json")),
                "checkpoint": None if self.checkpoint is None else self.checkpoint.to_dict(),
                "checkpoint_source": self.checkpoint_source}


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def parse(data: Any, fail: Callable[[str, tuple], InputError] | None = None) -> dict[str, Any]:
    """Structure only (types, hex, known format): InputError for a document that is not a proof at all."""
    def bad(message: str, loc: tuple = ()) -> InputError:
        return fail(message, loc) if fail else InputError(Diagnostic("proof-invalid", message))

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not an inclusion proof (`format` must be {FORMAT!r})", ("format",))
    if data.get("version") != VERSION:
        raise bad(f"proof version {data.get('version')!r} is not one this govern reads (expected {VERSION})",
                  ("version",))
    for name in ("leaf_index", "tree_size"):
        if not isinstance(data.get(name), int) or isinstance(data.get(name), bool) or data[name] < 0:
            raise bad(f"`{name}` must be a non-negative integer", (name,))
    for name in ("root_hash", "leaf_hash"):
        if not isinstance(data.get(name), str) or not _HEX64.match(data[name]):
            raise bad(f"`{name}` must be 64 lowercase hex digits", (name,))
    path = data.get("inclusion_path")
    if not isinstance(path, list) or not all(isinstance(h, str) and _HEX64.match(h) for h in path):
        raise bad("`inclusion_path` must be a list of 64-hex-digit hashes", ("inclusion_path",))
    if not isinstance(data.get("log_id"), str):
        raise bad("`log_id` must be a string", ("log_id",))
    event = data.get("event")
    if not isinstance(event, dict):
        raise bad("`event` must be an object", ("event",))
    for name, kind in EVENT_FIELDS.items():
        if name not in event or not isinstance(event[name], kind) or isinstance(event[name], bool):
            raise bad(f"`event.{name}` is missing or has the wrong type", ("event", name))
    unknown = sorted(set(event) - set(EVENT_FIELDS))
    if unknown:
        raise bad(f"unknown field `event.{unknown[0]}`", ("event", unknown[0]))
    unknown = sorted(set(data) - {"format", "version", "log_id", "leaf_index", "tree_size", "root_hash", "leaf_hash",
                                  "inclusion_path", "event", "checkpoint"})
    if unknown:
        raise bad(f"unknown field `{unknown[0]}`", (unknown[0],))
    return data


def check(data: dict[str, Any], checkpoint: Checkpoint | None = None, *, witness: str | None = None,
          fail: Callable[[str, tuple], InputError] | None = None) -> ProofCheck:
    """Every check an auditor can make with the proof and a checkpoint alone; problems are listed, not raised."""
    parse(data, fail)
    event = data["event"]
    result = ProofCheck(False, event=event)
    problems = result.problems
    ns = SimpleNamespace(**event)
    if event["seq"] != data["leaf_index"]:
        problems.append(f"the event is number {event['seq']} but the proof is for leaf {data['leaf_index']}")
    if chain.sha256_text(event["payload_json"].encode("utf-8")) != event["payload_digest"]:
        problems.append("the event's payload does not match its digest (altered)")
    if chain.sha256_text(event["rows_json"].encode("utf-8")) != event["rows_digest"]:
        problems.append("the event's rows do not match their digest (altered)")
    if event["version"] == 2:
        recomputed = chain.sha256_text(chain.leaf_data(ns))
    elif event["version"] == 1:
        payload = _loads(event["payload_json"])
        recomputed = chain.v1_hash(event["seq"], event["kind"], event["subject"], payload, event["payload_digest"],
                                   event["prev_hash"], event["recorded_at"])
    else:
        recomputed = None
        problems.append(f"unknown event version {event['version']}")
    if recomputed is not None and recomputed != event["hash"]:
        problems.append("the event's hash does not match its content (altered)")
    leaf = merkle.leaf_hash(chain.leaf_data(ns))
    if leaf.hex() != data["leaf_hash"]:
        problems.append("the leaf hash is not the hash of this event")
    root = bytes.fromhex(data["root_hash"])
    if not merkle.verify_inclusion(data["leaf_index"], data["tree_size"], leaf,
                                   [bytes.fromhex(h) for h in data["inclusion_path"]], root):
        problems.append(f"the inclusion path does not lead from leaf {data['leaf_index']} to the root of a tree "
                        f"of {data['tree_size']} leaves")
    embedded = from_data(data["checkpoint"]) if isinstance(data.get("checkpoint"), dict) else None
    if checkpoint is None and embedded is not None:
        checkpoint, result.checkpoint_source = embedded, "embedded in the proof"
    elif checkpoint is not None:
        result.checkpoint_source = "given"
        if embedded is not None and (embedded.problem() is not None or (embedded.log_id, embedded.tree_size,
                                     embedded.root_hash) != (checkpoint.log_id, checkpoint.tree_size,
                                                             checkpoint.root_hash)):
            problems.append("the checkpoint the proof embeds is altered or signs another head than the one given")
    result.checkpoint = checkpoint
    if checkpoint is None:
        problems.append("no checkpoint: the proof leads to a tree head nobody signed (pass --checkpoint FILE)")
    else:
        problem = checkpoint.problem(witness)
        if problem is not None:
            problems.append(problem)
        if checkpoint.log_id != data["log_id"]:
            problems.append(f"the proof is for log {data['log_id']}, the checkpoint for log {checkpoint.log_id}")
        if (checkpoint.tree_size, checkpoint.root_hash) != (data["tree_size"], data["root_hash"]):
            problems.append(f"the proof is for a tree of {data['tree_size']} leaves with root "
                            f"{data['root_hash'][:16]}…, the checkpoint signs {checkpoint.tree_size} leaves with "
                            f"root {checkpoint.root_hash[:16]}… (re-run `govern audit prove --checkpoint FILE`)")
    result.ok = not problems
    return result
