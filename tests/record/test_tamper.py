"""Tampering: any single changed byte, any removed event, any two swapped events — found and located.

Each tamper runs inside a transaction that is rolled back after verifying, so hundreds of
cases cost one small store; the CLI test commits a real change and checks the exit code.
"""

from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import text

from govern.record.audit import verify_store
from tests.record import factory

COLUMNS = ("kind", "subject", "payload_digest", "payload_json", "prev_hash", "hash", "recorded_at")


@pytest.fixture
def filled(store):
    store.record_decision(factory.make_decision(approvals=(factory.approval(),)))
    store.record_decision(factory.make_decision("other", fail_validation=True))
    store.add_signed(factory.signoff())
    store.add_signed(factory.signoff("other", signer="bob"))
    store.add_signed(factory.waiver())
    with store.engine.connect() as conn:
        events = {row.seq: row._asdict() for row in conn.execute(text("SELECT * FROM audit_event ORDER BY seq"))}
    assert len(events) == 6 and store.verify_chain().ok
    return store, events


def tampered(store, *statements: tuple[str, dict]):
    """The verification report with ``statements`` applied, rolled back afterwards."""
    with store.engine.connect() as conn:
        trans = conn.begin()
        try:
            for sql, params in statements:
                conn.execute(text(sql), params)
            return verify_store(conn)
        finally:
            trans.rollback()


def flip(ch: str) -> str:
    if ch.isdigit():
        return str((int(ch) + 1) % 10)
    if ch.isalpha():
        return "b" if ch == "a" else ("A" if ch.isupper() and ch != "A" else "a")
    return "x" if ch != "x" else "y"


def test_every_single_byte_change_of_a_payload_is_found_at_its_event(filled, store_url):
    store, events = filled
    rng = random.Random(5)
    stride = 3 if store_url.startswith("sqlite") else 29
    for seq, event in events.items():
        payload = event["payload_json"]
        assert payload.isascii()
        positions = set(range(0, len(payload), stride)) | {len(payload) - 1} | set(rng.sample(range(len(payload)), 5))
        for i in sorted(positions):
            changed = payload[:i] + flip(payload[i]) + payload[i + 1:]
            report = tampered(store, ("UPDATE audit_event SET payload_json = :p WHERE seq = :s", {"p": changed, "s": seq}))
            assert not report.ok and report.first_bad_seq == seq, (seq, i, report)


@pytest.mark.parametrize("column", COLUMNS)
def test_any_changed_column_is_found_at_its_event(filled, column):
    store, events = filled
    for seq, event in events.items():
        value = event[column]
        changed = value[:-1] + flip(value[-1])
        report = tampered(store, (f"UPDATE audit_event SET {column} = :v WHERE seq = :s", {"v": changed, "s": seq}))
        assert not report.ok and report.first_bad_seq == seq, (column, seq, report)


def test_a_removed_event_is_found_wherever_it_was(filled):
    store, events = filled
    for seq in events:
        report = tampered(store, ("DELETE FROM audit_event WHERE seq = :s", {"s": seq}))
        assert not report.ok and report.first_bad_seq == seq, (seq, report)
        assert "removed" in report.problem


def test_two_swapped_events_are_found_at_the_first(filled):
    store, events = filled
    assignments = ", ".join(f"{c} = :{c}" for c in COLUMNS)
    for a, b in itertools.combinations(events, 2):
        report = tampered(
            store,
            (f"UPDATE audit_event SET {assignments} WHERE seq = :s", {**{c: events[b][c] for c in COLUMNS}, "s": a}),
            (f"UPDATE audit_event SET {assignments} WHERE seq = :s", {**{c: events[a][c] for c in COLUMNS}, "s": b}))
        assert not report.ok and report.first_bad_seq == min(a, b), (a, b, report)


def test_renumbered_chain_after_a_removal_is_found(filled):
    store, _ = filled
    report = tampered(store, ("DELETE FROM audit_event WHERE seq = 3", {}),
                      ("UPDATE audit_event SET seq = seq - 1 WHERE seq > 3", {}))
    assert not report.ok and report.first_bad_seq == 3


def test_edited_records_are_found_through_their_events(filled):
    store, events = filled
    report = tampered(store, ("UPDATE evaluation SET allowed = NOT allowed WHERE id = 2", {}))
    assert not report.ok and "evaluation 2 was altered" in report.problem and report.first_bad_seq == 3
    report = tampered(store, ("UPDATE evaluation SET decision_json = replace(decision_json, 'passed', 'failed') "
                              "WHERE id = 1", {}))
    assert not report.ok and "evaluation 1" in report.problem
    report = tampered(store, ("UPDATE signoff SET canonical_payload = replace(canonical_payload, 'alice', 'mallory')",
                              {}))
    assert not report.ok and "signoff 1 was altered" in report.problem
    report = tampered(store, ("UPDATE policy_version SET version = '9.9.9'", {}))
    assert not report.ok and report.first_bad_seq == 1


def test_a_record_whose_event_was_cut_from_the_end_is_found(filled):
    store, events = filled
    last = max(events)
    report = tampered(store, ("DELETE FROM audit_event WHERE seq = :s", {"s": last}))
    assert not report.ok and report.first_bad_seq == last and "waiver 1 has no audit event" in report.problem
