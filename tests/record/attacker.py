"""What someone with the database's credentials can do: edit any row, then recompute every hash and the tree.

These helpers are the attacker the checkpoint tests play against: they leave a store that is
perfectly consistent with itself (``audit verify`` without a checkpoint says intact), so only
a checkpoint signed before the rewrite can tell.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection, delete, insert, select, update

from govern.canonical import canonical_json
from govern.record import chain, merkle, rows as rowcodec
from govern.record.tables import EVENT, LOG, NODE, covered_tables


@contextmanager
def connection(store: Any, *, commit: bool = False) -> Iterator[Connection]:
    """A transaction with foreign keys off (as a superuser could), rolled back unless ``commit``."""
    with store.engine.connect() as conn:
        sqlite = store.engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        trans = conn.begin()
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        else:
            (trans.commit if commit else trans.rollback)()
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")


def recompute_everything(conn: Connection) -> None:
    """Re-derive every digest and hash from the stored content, then rebuild the tree and the head."""
    head = conn.execute(select(LOG)).one()
    anchor = chain.parse_anchor(head.anchor_json)
    prev = anchor["continues"]["head_hash"]
    leaves = [head.anchor_json.encode("utf-8")]
    for event in conn.execute(select(EVENT).order_by(EVENT.c.seq)).all():
        values = dict(event._mapping)
        if event.version == 2:
            values.update(payload_digest=chain.sha256_text(event.payload_json.encode()),
                          rows_digest=chain.sha256_text(event.rows_json.encode()), prev_hash=prev)
            ns = type("E", (), values)
            values["hash"] = chain.sha256_text(chain.leaf_data(ns))
            conn.execute(update(EVENT).where(EVENT.c.seq == event.seq).values(**values))
        prev = values["hash"]
        leaves.append(chain.leaf_data(type("E", (), values)))
    conn.execute(delete(NODE))
    frontier: list[bytes] = []
    nodes = []
    for i, data in enumerate(leaves):
        frontier, new = merkle.append(frontier, i, merkle.leaf_hash(data))
        nodes += [{"level": lv, "idx": idx, "hash": h} for lv, idx, h in new]
    conn.execute(insert(NODE), nodes)
    conn.execute(update(LOG).values(size=len(leaves), root=merkle.root_of_frontier(frontier),
                                    frontier=b"".join(frontier), chain_head=prev))


def rewrite_row(conn: Connection, table_name: str, key: Any, column: str, value: Any) -> list[int]:
    """Change one stored value *and* what every event recorded for it; returns the events rewritten."""
    table = next(t for t in covered_tables() if t.name == table_name)
    (pk,) = table.primary_key.columns
    old = conn.execute(select(table.c[column]).where(pk == key)).scalar_one()
    assert old != value, f"{table_name} {key}.{column} is already {value!r}: that rewrites nothing"
    conn.execute(update(table).where(pk == key).values({column: value}))
    encoded = rowcodec.encode(table.c[column].type, value)
    touched = []
    for event in conn.execute(select(EVENT.c.seq, EVENT.c.rows_json)).all():
        data = json.loads(event.rows_json)
        part = data.get(table_name)
        if not part:
            continue
        cols = part["columns"]
        for row in part["rows"]:
            if row[cols.index(pk.name)] == key:
                row[cols.index(column)] = encoded
                if event.seq not in touched:
                    touched.append(event.seq)
        if event.seq in touched:
            conn.execute(update(EVENT).where(EVENT.c.seq == event.seq)
                         .values(rows_json=canonical_json(data).decode()))
            _refresh_view(conn, event.seq)
    recompute_everything(conn)
    return touched


def _refresh_view(conn: Connection, seq: int) -> None:
    """An evaluation event's payload shows a view of its rows: the attacker rewrites that too."""
    from govern.record.recorded import evaluation_view

    event = conn.execute(select(EVENT).where(EVENT.c.seq == seq)).one()
    payload = json.loads(event.payload_json)
    if event.version != 2 or "view" not in payload:
        return
    parsed = rowcodec.parse(event.rows_json)
    payload["view"] = evaluation_view(lambda t: parsed[t].as_dicts() if t in parsed else [], event.record_id)
    conn.execute(update(EVENT).where(EVENT.c.seq == seq).values(payload_json=canonical_json(payload).decode()))


def truncate(conn: Connection, keep: int) -> None:
    """Cut every event after ``keep`` together with the rows they wrote, then recompute: a log that never had them."""
    for event in conn.execute(select(EVENT).where(EVENT.c.seq > keep).order_by(EVENT.c.seq.desc())).all():
        for name, part in json.loads(event.rows_json).items():
            table = next(t for t in covered_tables() if t.name == name)
            (pk,) = table.primary_key.columns
            for row in part["rows"]:
                key = row[part["columns"].index(pk.name)]
                earlier = _last_recorded(conn, name, key, before=keep + 1)  # by an event that stays
                if earlier is None:
                    conn.execute(delete(table).where(pk == key))
                elif name == "use_case":  # the use case goes back to how the last remaining event left it
                    conn.execute(update(table).where(pk == key).values(
                        name=earlier["name"], latest_evaluation_id=earlier["latest_evaluation_id"]))
        conn.execute(delete(EVENT).where(EVENT.c.seq == event.seq))
    recompute_everything(conn)


def _last_recorded(conn: Connection, table: str, key: Any, before: int) -> dict[str, Any] | None:
    found = None
    for event in conn.execute(select(EVENT.c.rows_json).where(EVENT.c.seq < before).order_by(EVENT.c.seq)):
        part = json.loads(event.rows_json).get(table)
        for row in (part or {}).get("rows", []):
            values = dict(zip(part["columns"], row))
            if values["id"] == key:
                found = values
    return found
