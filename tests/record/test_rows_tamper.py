"""Every row covered: an edit of any column of any table, a deleted, swapped or extra row -- found and located.

The tables and columns come from the schema (``covered_tables()`` and the log's own tables),
so a column added later is tampered with here too: if its writer does not record it in the
event, verification of an untouched store already fails; if it does, an edit is caught.
Each tamper runs in a transaction that is rolled back after verifying (foreign keys off,
as a superuser could), so the whole matrix costs one small store per backend.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.types import TypeDecorator

from govern.record.audit import verify_store
from govern.record.tables import CHECKPOINT, EVENT, LOG, NODE, covered_tables, metadata
from tests.record import factory
from tests.record.attacker import connection

EXPIRING = {"approver": "carol", "role": "risk_officer", "reason": "FRIA due", "expires": "2026-06-20"}
#: columns whose edit changes nothing anyone relies on, with the reason (everything else must be caught)
HARMLESS = {("checkpoint", "id"): "a row number; the signature covers every field a checkpoint asserts"}


@pytest.fixture
def filled(store):
    """A store with rows in every record table, and a stored checkpoint."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    store.record_decision(factory.make_decision("credit", model=1))
    store.add_signed(factory.signoff("credit", model=2))
    approved = ({**factory.approval(), "expires": "2026-06-15"}, factory.approval("bob"))
    store.record_decision(factory.make_decision("credit", model=2, approvals=approved, waiver=EXPIRING))
    store.add_signed(factory.waiver("credit"))
    store.add_signed(factory.waiver("credit", approver="dave", n=1))
    other_policy = {**factory.POLICY, "version": "1.1.0", "digest": factory.digest("policy mini 1.1.0")}
    store.record_decision(factory.make_decision("churn", fail_validation=True, policy=other_policy))
    store.add_signed(factory.signoff("fresh"))  # a use case created by a sign-off
    store.add_signed(factory.registration("credit"))
    store.checkpoint(Ed25519PrivateKey.generate())
    with store.engine.connect() as conn:
        assert verify_store(conn).ok
        for table in covered_tables():
            assert conn.execute(select(table)).first() is not None, f"no {table.name} rows: extend the fixture"
    return store


def impl(column):
    t = column.type
    while isinstance(t, TypeDecorator):
        t = t.impl_instance
    return t


def changed(column, value):
    """A different value of the column's type (NULL becomes a value, a value changes)."""
    from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, String, Text

    t = impl(column)
    if isinstance(t, Boolean):
        return not value
    if isinstance(t, Integer):
        return 999 if value is None else value + 1000
    if isinstance(t, DateTime):
        return dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc) if value is None else value + dt.timedelta(seconds=1)
    if isinstance(t, Date):
        return dt.date(2030, 1, 1) if value is None else value + dt.timedelta(days=1)
    if isinstance(t, Text):
        return "{}" if value is None else value + " "
    if isinstance(t, String):
        return "mallory" if value is None else value + "x"
    if isinstance(t, LargeBinary):
        return b"\0" * 32 if value is None else bytes([value[0] ^ 1]) + bytes(value[1:])
    raise AssertionError(f"no edit for {column.type!r}: add one")


def all_columns(tables):
    return [(t, c) for t in tables for c in t.columns]


def tampered(store, edit):
    with connection(store) as conn:
        edit(conn)
        return verify_store(conn)


def rows_of(store, table):
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


RECORD_COLUMNS = all_columns(covered_tables())


@pytest.mark.parametrize("table,column", RECORD_COLUMNS, ids=[f"{t.name}.{c.name}" for t, c in RECORD_COLUMNS])
def test_an_edit_of_any_column_of_any_record_row_is_found_and_located(filled, table, column):
    (pk,) = table.primary_key.columns
    rows = rows_of(filled, table)
    for row in (rows[0], rows[-1]):
        key, new = row[pk.name], changed(column, row[column.name])
        report = tampered(filled, lambda conn: conn.execute(update(table).where(pk == key).values({column.name: new})))
        assert not report.ok and report.table == table.name, (column.name, key, report)
        if column.primary_key:  # the row moved: the old key is gone (or the new one is uncovered)
            assert report.key in (key, new), report
        else:
            assert (report.key, report.column) == (key, column.name), report
            assert f"{table.name} {key}" in report.problem and column.name in report.problem


@pytest.mark.parametrize("table", covered_tables(), ids=lambda t: t.name)
def test_a_deleted_row_is_found_and_located(filled, table):
    (pk,) = table.primary_key.columns
    rows = rows_of(filled, table)
    for row in (rows[0], rows[-1]):
        key = row[pk.name]
        report = tampered(filled, lambda conn: conn.execute(delete(table).where(pk == key)))
        assert not report.ok and (report.table, report.key) == (table.name, key), report
        assert "removed" in report.problem


@pytest.mark.parametrize("table", covered_tables(), ids=lambda t: t.name)
def test_two_rows_swapped_are_found(filled, table):
    (pk,) = table.primary_key.columns
    rows = rows_of(filled, table)
    if len(rows) < 2:
        pytest.skip(f"one {table.name} row")
    a, b = rows[0], rows[-1]
    unique = {c.name for c in table.columns if c.unique} | {
        col.name for con in table.constraints if con.__class__.__name__ == "UniqueConstraint" for col in con.columns}

    def swap(conn):
        others = [c.name for c in table.columns if c.name != pk.name]
        # through a placeholder, so unique constraints hold at every step
        conn.execute(update(table).where(pk == a[pk.name]).values(
            {c: (f"tmp-{a[c]}" if c in unique else a[c]) for c in others}))
        conn.execute(update(table).where(pk == b[pk.name]).values({c: a[c] for c in others}))
        conn.execute(update(table).where(pk == a[pk.name]).values({c: b[c] for c in others}))

    report = tampered(filled, swap)
    assert not report.ok and report.table == table.name and report.key in (a[pk.name], b[pk.name]), report


@pytest.mark.parametrize("table", covered_tables(), ids=lambda t: t.name)
def test_a_row_added_behind_the_log_is_found(filled, table):
    (pk,) = table.primary_key.columns
    row = rows_of(filled, table)[-1]
    new_key = changed(pk, row[pk.name])
    unique = {col.name for con in table.constraints if con.__class__.__name__ == "UniqueConstraint"
              for col in con.columns}
    copy = {**row, pk.name: new_key, **{c: changed(table.c[c], row[c]) for c in unique}}
    report = tampered(filled, lambda conn: conn.execute(insert(table).values(copy)))
    assert not report.ok and (report.table, report.key) == (table.name, new_key), report
    assert "no audit event" in report.problem


LOG_COLUMNS = all_columns([EVENT, NODE, LOG, CHECKPOINT])


@pytest.mark.parametrize("table,column", LOG_COLUMNS, ids=[f"{t.name}.{c.name}" for t, c in LOG_COLUMNS])
def test_an_edit_of_any_column_of_the_log_itself_is_found(filled, table, column):
    if (table.name, column.name) in HARMLESS:
        pytest.skip(HARMLESS[(table.name, column.name)])
    keys = [c.name for c in table.primary_key.columns]
    rows = rows_of(filled, table)
    for row in (rows[0], rows[-1]):
        where = [table.c[k] == row[k] for k in keys]
        new = changed(column, row[column.name])
        report = tampered(filled, lambda conn: conn.execute(update(table).where(*where).values({column.name: new})))
        assert not report.ok, (column.name, row, report)
        if table is EVENT and not column.primary_key:
            assert report.first_bad_seq == row["seq"], report


def test_every_table_is_either_a_record_table_or_the_logs_own():
    names = {t.name for t in metadata.sorted_tables}
    assert names == ({t.name for t in covered_tables()} | {"audit_event", "merkle_node", "audit_log", "checkpoint"}
                     | {"console_token", "console_access"})  # the console's tokens and access log hold no record


def test_console_tables_are_outside_the_log(filled):
    """Tokens and the console's access log are configuration, not records: rows there never break `audit verify`."""
    from govern.record.tables import CONSOLE_ACCESS, CONSOLE_TOKEN, UNRECORDED_TABLES

    assert UNRECORDED_TABLES == {"console_token", "console_access"}
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    with connection(filled, commit=True) as conn:
        conn.execute(insert(CONSOLE_TOKEN).values(name="ci", role="viewer", token_hash="ab" * 32, created_at=now))
        conn.execute(insert(CONSOLE_ACCESS).values(at=now, principal="ci", via="token", role="auditor",
                                                   method="GET", path="/audit", status=200))
    assert filled.verify_chain().ok


def test_edits_the_issue_named_are_found_and_never_displayed(filled):
    """approval.signer, signoff.signer, evaluation.furthest_stage/as_of, use_case.latest_evaluation_id, results."""
    from govern.record.views import history, inventory

    edits = [("approval", "signer", "mallory"), ("signoff", "signer", "mallory"),
             ("evaluation", "furthest_stage", "monitoring"), ("evaluation", "as_of", dt.date(2020, 1, 1)),
             ("use_case", "latest_evaluation_id", 1), ("gate_result", "status", "passed"),
             ("check_result", "status", "passed"), ("signoff_result", "status", "passed")]
    before_history = history(filled, "credit")
    before_inventory = [i.to_dict() for i in inventory(filled, today=dt.date(2026, 6, 1))]
    for name, column, value in edits:
        table = next(t for t in covered_tables() if t.name == name)
        with connection(filled, commit=True) as conn:
            key = conn.execute(select(table.c.id).order_by(table.c.id.desc())).scalars().first()
            old = conn.execute(select(table.c[column]).where(table.c.id == key)).scalar()
            conn.execute(update(table).where(table.c.id == key).values({column: value}))
        report = filled.verify_chain()
        assert not report.ok and (report.table, report.key, report.column) == (name, key, column), report
        assert history(filled, "credit") == before_history  # the views show what the log proves
        assert [i.to_dict() for i in inventory(filled, today=dt.date(2026, 6, 1))] == before_inventory
        with connection(filled, commit=True) as conn:
            conn.execute(update(table).where(table.c.id == key).values({column: old}))
    assert filled.verify_chain().ok


def test_an_evaluation_event_cannot_show_what_its_rows_do_not_say(filled):
    """The views read an evaluation's payload view; even with every hash recomputed it must match the rows."""
    import json

    from govern.canonical import canonical_json
    from tests.record.attacker import recompute_everything

    def edit(conn):
        seq, text_ = conn.execute(select(EVENT.c.seq, EVENT.c.payload_json).where(EVENT.c.kind == "evaluation")
                                  .order_by(EVENT.c.seq)).first()
        payload = json.loads(text_)
        payload["view"]["approvals"] = [{**a, "signer": "mallory"} for a in payload["view"]["approvals"]]
        payload["view"]["evaluation"]["allowed"] = True
        conn.execute(update(EVENT).where(EVENT.c.seq == seq).values(payload_json=canonical_json(payload).decode()))
        recompute_everything(conn)
        edit.seq = seq

    report = tampered(filled, edit)
    assert not report.ok and report.first_bad_seq == edit.seq and "its rows do not say" in report.problem


def test_an_entry_is_exactly_the_canonical_json_of_its_fields():
    from govern.canonical import canonical_json
    from govern.record import chain

    fields = {"v": 2, "seq": 7, "kind": "evaluation", "subject": "crédit \u2028 \"x\"", "record_id": None,
              "recorded_at": "2026-06-01T10:00:00+00:00", "payload_digest": "sha256:" + "a" * 64,
              "rows_digest": "sha256:" + "b" * 64, "prev_hash": "sha256:" + "c" * 64}
    args = {k: v for k, v in fields.items() if k != "v"}
    assert chain.entry(**args) == canonical_json(fields)
    assert chain.entry(**{**args, "record_id": 12}) == canonical_json({**fields, "record_id": 12})


def test_recorded_rows_are_canonical_json(filled):
    import json

    from govern.canonical import canonical_json

    with filled.engine.connect() as conn:
        for (text_,) in conn.execute(select(EVENT.c.rows_json)):
            assert canonical_json(json.loads(text_)).decode() == text_
