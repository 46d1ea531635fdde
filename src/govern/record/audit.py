"""`audit verify` over a store: every event, every stored row, the Merkle tree, and checkpoints held against it.

In one pass over the events in ``seq`` order it checks each event's hash, payload and rows
digests and its link to the previous one; recomputes every stored row from the events that
wrote it and names the first that differs (table, key, column), or that no event wrote;
rebuilds the tree from the leaves and compares every stored node and the head; and proves
every stored checkpoint, and any checkpoint file the auditor holds, consistent with the
tree as it is now (RFC 9162 consistency proof from the stored nodes, verified against the
recomputed root).

Without a checkpoint held outside the database, someone who can write to it could rewrite a
row and recompute every hash after it, or cut the newest events with their rows, and the
store would still be self-consistent. A checkpoint signed by a witness catches both: a
cut log is shorter than the checkpoint, a rewritten one no longer leads to its root.

Rows are checked in chunks of events (one query per table per chunk), so memory stays
bounded by the chunk plus one bit per row id and 64 bytes per leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, select

from govern.record import chain, merkle, rows as rowcodec
from govern.record.checkpoint import Checkpoint
from govern.record.log import LogError, read_head
from govern.record.tables import CHECKPOINT, EVENT, MUTABLE_TABLES, NODE, covered_tables

CHUNK = 2000
FETCH = 500


@dataclass(order=True)
class Problem:
    seq: int
    order: tuple = field(compare=True)
    message: str = field(compare=False)
    table: str | None = field(default=None, compare=False)
    key: Any = field(default=None, compare=False)
    column: str | None = field(default=None, compare=False)


class _Found(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def verify_store(conn: Connection, checkpoints: Sequence[Checkpoint] = (), *, witness: str | None = None
                 ) -> chain.ChainReport:
    """The whole store against itself and against ``checkpoints`` (held by the auditor, signed by ``witness``)."""
    return _Verifier(conn).run(checkpoints, witness)


class _Verifier:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tables = {t.name: t for t in covered_tables()}
        self.order = {name: i for i, name in enumerate(self.tables)}
        self.leaves = bytearray()
        self.count = 0
        self.prev = chain.GENESIS
        self.pending: dict[str, dict[Any, list[tuple[int, list[str], list[Any]]]]] = {}
        self.last_writer: dict[str, dict[Any, tuple[int, list[str], list[Any]]]] = {n: {} for n in MUTABLE_TABLES}
        self.covered: dict[str, bytearray | set] = {}
        self.levels: list[list[bytes]] = []

    # -- the run ---------------------------------------------------------------------------------
    def run(self, checkpoints: Sequence[Checkpoint], witness: str | None) -> chain.ChainReport:
        try:
            head = self._head()
            self._events(head)
            self._tree(head)
            results = self._checkpoints(head, checkpoints, witness)
        except _Found as found:
            p = found.problem
            return chain.ChainReport(False, p.seq, p.message, self.count, self.prev, p.table, p.key, p.column)
        return chain.ChainReport(True, None, None, self.count, self.prev, tree_size=head.size,
                                 root_hash=head.root.hex(), checkpoints=results)

    def _head(self) -> Any:
        try:
            head = read_head(self.conn)
        except LogError as exc:
            raise _Found(Problem(0, (), str(exc))) from None
        try:
            anchor = chain.parse_anchor(head.anchor_json)
        except ValueError as exc:
            raise _Found(Problem(0, (), f"the log's anchor (leaf 0) was altered: {exc}")) from None
        self.legacy = anchor["continues"]["events"]
        self.legacy_head = anchor["continues"]["head_hash"]
        self.leaves += merkle.leaf_hash(head.anchor_json.encode("utf-8"))
        return head

    def _events(self, head: Any) -> None:
        found: list[Problem] = []
        in_chunk = 0
        query = select(EVENT).order_by(EVENT.c.seq)
        for event in self.conn.execution_options(yield_per=CHUNK).execute(query):
            expected = self.count + 1
            problem = self._event_problem(event, expected)
            if problem is not None:
                found.append(Problem(min(event.seq, expected) if event.seq > 0 else expected, (0,), problem))
                break
            self._collect(event)
            self.leaves += merkle.leaf_hash(chain.leaf_data(event))
            self.prev, self.count = event.hash, self.count + 1
            in_chunk += 1
            if in_chunk >= CHUNK:
                self._raise_first(self._check_pending())
                in_chunk = 0
        found += self._check_pending()
        self._raise_first(found)
        if self.count == self.legacy and self.prev != self.legacy_head:
            self._raise_first([Problem(self.count, (), f"the {self.legacy} events written before the tree no "
                                       f"longer end in the head its anchor recorded ({self.legacy_head})")])
        if self.count < self.legacy:
            self._raise_first([Problem(self.count + 1, (), f"the log has {self.count} events, but its anchor "
                                       f"records {self.legacy} written before the tree: events were removed")])
        self._raise_first(self._check_mutable() + self._check_uncovered())

    def _event_problem(self, event: Any, expected: int) -> str | None:
        if expected == self.legacy + 1 and event.seq == expected and self.prev != self.legacy_head:
            return (f"the {self.legacy} events written before the tree no longer end in the head its anchor "
                    f"recorded ({self.legacy_head})")
        version = 1 if expected <= self.legacy else 2
        if event.seq == expected and event.version != version:
            return f"event {event.seq} was altered: it claims version {event.version}, it was written as {version}"
        problem = chain.check_event(event, expected, self.prev)
        if problem is None and event.version == 1:
            problem = _v1_claims(event)
        return problem

    def _raise_first(self, problems: list[Problem]) -> None:
        if problems:
            raise _Found(min(problems))

    # -- rows ------------------------------------------------------------------------------------
    def _collect(self, event: Any) -> None:
        try:
            recorded = rowcodec.parse(event.rows_json)
        except ValueError as exc:
            raise _Found(Problem(event.seq, (0,), f"event {event.seq} has malformed rows: {exc}")) from None
        if event.version == 2 and event.kind == "evaluation":
            self._check_view(event, recorded)
        for name, part in recorded.items():
            table = self.tables.get(name)
            if table is None:
                raise _Found(Problem(event.seq, (0,), f"event {event.seq} records rows of `{name}`, "
                                     "which is not a record table", name))
            have = rowcodec.columns_of(table)
            for column in have:
                if column not in part.columns:
                    raise _Found(Problem(event.seq, (0,), f"{name}.{column} is not covered by event {event.seq}: "
                                         "the writer of this table does not record it", name, None, column))
            extra = [c for c in part.columns if c not in have]
            if extra:
                raise _Found(Problem(event.seq, (0,), f"event {event.seq} records column {name}.{extra[0]}, "
                                     "which the table no longer has", name, None, extra[0]))
            for values in part.rows:
                key = rowcodec.key_of(table, values, part.columns)
                entry = (event.seq, part.columns, values)
                if name in MUTABLE_TABLES:
                    self.last_writer[name][key] = entry
                else:
                    self.pending.setdefault(name, {}).setdefault(key, []).append(entry)
                self._mark(name, key)

    def _check_view(self, event: Any, recorded: dict[str, rowcodec.RecordedTable]) -> None:
        """What an evaluation event shows (its payload's view) is what its rows say."""
        import json

        from govern.record.chain import LogAltered
        from govern.record.recorded import evaluation_view

        view = json.loads(event.payload_json).get("view")
        try:
            derived = evaluation_view(lambda t: recorded[t].as_dicts() if t in recorded else [], event.record_id,
                                      event.seq)
        except (LogAltered, ValueError, KeyError) as exc:
            raise _Found(Problem(event.seq, (0,), f"event {event.seq} does not record its evaluation's rows: "
                                 f"{exc}")) from None
        if view != derived:
            raise _Found(Problem(event.seq, (0,), f"event {event.seq} shows something its rows do not say: "
                                 "its payload's view differs from the view derived from its rows"))

    def _mark(self, name: str, key: Any) -> None:
        if isinstance(key, int) and key >= 0:
            bits = self.covered.setdefault(name, bytearray())
            assert isinstance(bits, bytearray)
            if key // 8 >= len(bits):
                bits.extend(b"\0" * (key // 8 + 1 - len(bits) + len(bits) // 2))
            bits[key // 8] |= 1 << (key % 8)
        else:
            covered = self.covered.setdefault(f"{name}:other", set())
            assert isinstance(covered, set)
            covered.add(key)

    def _is_covered(self, name: str, key: Any) -> bool:
        if isinstance(key, int) and key >= 0:
            bits = self.covered.get(name)
            return bool(bits) and key // 8 < len(bits) and bool(bits[key // 8] & (1 << (key % 8)))  # type: ignore[index]
        return key in self.covered.get(f"{name}:other", set())  # type: ignore[operator]

    def _fetch(self, name: str, keys: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        table = self.tables[name]
        (pk,) = table.primary_key.columns
        keys, found = sorted(keys, key=_sortable), {}
        for i in range(0, len(keys), FETCH):
            for row in self.conn.execute(select(table).where(pk.in_(keys[i:i + FETCH]))):
                mapping = row._mapping
                found[rowcodec.encode(pk.type, mapping[pk.name])] = dict(mapping)
        return found

    def _compare(self, name: str, key: Any, entry: tuple[int, list[str], list[Any]],
                 actual: dict[str, Any] | None) -> Problem | None:
        seq, columns, values = entry
        order = (self.order[name], _sortable(key))
        if actual is None:
            return Problem(seq, order + (-1,), f"{name} {key} was removed: event {seq} recorded it", name, key)
        table = self.tables[name]
        encoded = [rowcodec.encode(table.c[c].type, actual[c]) for c in columns]
        column = rowcodec.first_difference(columns, values, encoded)
        if column is None:
            return None
        i = columns.index(column)
        return Problem(seq, order + (i,), f"{name} {key} was altered after event {seq} recorded it: {column} is "
                       f"{rowcodec.show(encoded[i])}, the event recorded {rowcodec.show(values[i])}", name, key, column)

    def _check_pending(self) -> list[Problem]:
        problems = []
        for name, by_key in self.pending.items():
            actual = self._fetch(name, by_key)
            for key, entries in by_key.items():
                for entry in entries:
                    problem = self._compare(name, key, entry, actual.get(key))
                    if problem is not None:
                        problems.append(problem)
        self.pending = {}
        return problems

    def _check_mutable(self) -> list[Problem]:
        problems = []
        for name, writers in self.last_writer.items():
            actual = self._fetch(name, writers)
            for key, entry in writers.items():
                problem = self._compare(name, key, entry, actual.get(key))
                if problem is not None:
                    problems.append(problem)
        return problems

    def _check_uncovered(self) -> list[Problem]:
        """Rows no event wrote: inserted behind the log's back, or their event was cut from the end."""
        problems = []
        for name, table in self.tables.items():
            (pk,) = table.primary_key.columns
            for (value,) in self.conn.execution_options(yield_per=5000).execute(select(pk).order_by(pk)):
                key = rowcodec.encode(pk.type, value)
                if not self._is_covered(name, key):
                    problems.append(Problem(self.count + 1, (self.order[name], _sortable(key)),
                                            f"{name} {key} has no audit event (it was added behind the log, or "
                                            "its event was removed)", name, key))
                    break
        return problems

    # -- the tree --------------------------------------------------------------------------------
    def _tree(self, head: Any) -> None:
        size = len(self.leaves) // 32
        level = [bytes(self.leaves[i:i + 32]) for i in range(0, len(self.leaves), 32)]
        self.levels = [level]
        while len(level) > 1:
            level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)
        expected = ((lv, i) for lv, nodes in enumerate(self.levels) for i in range(len(nodes)))
        for row in self.conn.execution_options(yield_per=5000).execute(
                select(NODE.c.level, NODE.c.idx, NODE.c.hash).order_by(NODE.c.level, NODE.c.idx)):
            where, want = (row.level, int(row.idx)), next(expected, None)
            if want is not None and where > want:
                self._tree_problem(want, "is missing")
            if want is None or where < want:
                self._tree_problem(where, "should not exist: the tree has no such node")
            if bytes(row.hash) != self._node(where):
                self._tree_problem(where, "differs from the hash of the leaves below it")
        want = next(expected, None)
        if want is not None:
            self._tree_problem(want, "is missing")
        root = merkle.range_hash(0, size, self._node)
        frontier = [self._node(n) for n in merkle.frontier_nodes(size)]
        if head.size != size:
            raise _Found(Problem(min(head.size, size), (), f"the log's head says {head.size} leaves, the log has "
                                 f"{size}"))
        if head.root != root or head.frontier != frontier:
            raise _Found(Problem(size, (), "the log's head (root hash or frontier) does not match its leaves"))
        if head.chain_head != self.prev:
            raise _Found(Problem(size, (), f"the log's head names {head.chain_head} as its last event hash, "
                                 f"the last event is {self.prev}"))
        self.root = root

    def _node(self, node: merkle.Node) -> bytes:
        return self.levels[node[0]][node[1]]

    def _tree_problem(self, node: merkle.Node, what: str) -> None:
        level, idx = node
        first = idx << level
        raise _Found(Problem(max(first, 0), (level,), f"tree node (level {level}, index {idx}, leaves "
                             f"{first}–{((idx + 1) << level) - 1}) {what}"))

    # -- checkpoints -----------------------------------------------------------------------------
    def _checkpoints(self, head: Any, held: Sequence[Checkpoint], witness: str | None) -> list[dict[str, Any]]:
        stored = [(f"stored checkpoint #{r.id}", Checkpoint(r.log_id, int(r.tree_size), r.root_hash, r.time,
                                                             r.key_fingerprint, r.public_key, r.signature))
                  for r in self.conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.id))]
        results = []
        for source, cp in stored:  # the store's own: anything the database holds is checked too
            problem = self._checkpoint_problem(head, cp, None)
            if problem is not None:
                raise _Found(Problem(min(cp.tree_size, self.count + 1), (), f"{source}: {problem}"))
        good = 0  # leaves an earlier held checkpoint vouches for: a rewrite is after them
        for cp in sorted(held, key=lambda c: c.tree_size):
            problem = self._checkpoint_problem(head, cp, witness)
            results.append({"source": "held", **_summary(cp), "ok": problem is None, "problem": problem})
            if problem is not None:
                seq = self.count + 1 if cp.tree_size > len(self.levels[0]) else good
                raise _Found(Problem(seq, (), f"{cp.describe()}: {problem}"))
            good = cp.tree_size
        return results + [{"source": s, **_summary(c), "ok": True, "problem": None} for s, c in stored]

    def _checkpoint_problem(self, head: Any, cp: Checkpoint, witness: str | None) -> str | None:
        problem = cp.problem(witness)
        if problem is not None:
            return problem
        if cp.log_id != head.log_id:
            return f"it is a checkpoint of another log ({cp.log_id}; this store's log is {head.log_id})"
        size = len(self.levels[0])
        if cp.tree_size > size:
            return (f"the log has only {size} leaves (events 0–{size - 1}); the checkpoint covers {cp.tree_size}: "
                    f"events {size}–{cp.tree_size - 1} were removed")
        from govern.record.log import consistency_path

        try:
            path = consistency_path(self.conn, cp.tree_size, size)
        except LogError as exc:
            return str(exc)
        if not merkle.verify_consistency(cp.tree_size, size, cp.root, self.root, path):
            return (f"the log's first {cp.tree_size} leaves (events 0–{cp.tree_size - 1}) no longer lead to the "
                    "checkpoint's root: an event or row they cover was rewritten (even if every hash was recomputed)")
        return None


def _summary(cp: Checkpoint) -> dict[str, Any]:
    return {"tree_size": cp.tree_size, "root_hash": cp.root_hash, "time": cp.time, "key_fingerprint": cp.key_fingerprint}


def _sortable(key: Any) -> tuple:
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))


def _v1_claims(event: Any) -> str | None:
    """What a version 1 event's payload said about its record still holds for the rows it covers.

    Version 1 hashed a few columns of each record into its payload (a decision's digest and
    sha256, a signed record's digest and signature); the upgrade recorded the whole rows.
    Checking one against the other keeps edits made *before* the upgrade detectable.
    """
    import json

    payload = json.loads(event.payload_json)
    record, record_id = payload.get("record"), payload.get("id")
    if record not in ("evaluation", "signoff", "waiver", "policy_version") or record_id is None:
        return None
    part = rowcodec.parse(event.rows_json).get(record)
    row = next((r for r in (part.as_dicts() if part else []) if r.get("id") == record_id), None)
    if row is None:
        return f"{record} {record_id} recorded by event {event.seq} was missing when the log was upgraded"
    if record == "evaluation":
        claims = {"decision_json": payload.get("decision_sha256"), "decision_digest": payload.get("decision_digest"),
                  "allowed": payload.get("allowed"), "target": payload.get("target"), "tier": payload.get("tier")}
    elif record == "policy_version":
        claims = {"digest": payload.get("digest"), "name": payload.get("name"), "version": payload.get("version")}
    else:
        claims = {"canonical_payload": payload.get("payload_digest"), "payload_digest": payload.get("payload_digest"),
                  "signature": payload.get("signature")}
    for column, claim in claims.items():
        if row.get(column) != claim:
            return f"{record} {record_id} was altered before the upgrade: {column} differs from event {event.seq}"
    return None
