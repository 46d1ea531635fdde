"""Signed checkpoints against someone who can rewrite the database and recompute every hash.

Without a checkpoint such a rewrite (or cutting the newest events with their rows) leaves a
store consistent with itself -- the first assertion of each test shows it. With a checkpoint
signed before, `audit verify` catches it and says where: a cut log is shorter than the
checkpoint; a rewritten one no longer leads to its root, and checkpoints taken in between
narrow the rewrite down to the leaves between the last one that still holds and the first
that does not. Inclusion proofs check offline and fail after any one-byte change.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govern.record import proof as proofs
from govern.record.audit import verify_store
from govern.record.checkpoint import Checkpoint, from_data
from tests.record import factory
from tests.record.attacker import connection, rewrite_row, truncate

WITNESS = Ed25519PrivateKey.generate()


def record_some(store, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        store.record_decision(factory.make_decision(f"uc-{i % 3}", model=i, approvals=(factory.approval(),)))
        store.add_signed(factory.signoff(f"uc-{i % 3}", n=i))


@pytest.fixture
def logged(store):
    record_some(store, 3)
    first = store.checkpoint(WITNESS)  # events 1-7
    record_some(store, 3, start=3)
    second = store.checkpoint(WITNESS)  # events 1-13
    return store, first, second


def verify(store, *held, witness=None):
    with connection(store) as conn:  # nothing is committed: each test starts from the intact store
        return verify_store(conn, held, witness=witness)


def test_an_intact_log_is_consistent_with_every_checkpoint(logged):
    store, first, second = logged
    report = store.verify_chain([first, second], witness=first.key_fingerprint)
    assert report.ok and report.tree_size == second.tree_size + 0 and len(report.checkpoints) == 4
    assert {c["ok"] for c in report.checkpoints} == {True}


def test_rewrite_with_every_hash_recomputed_is_caught_by_a_checkpoint_and_narrowed_down(logged):
    store, first, second = logged
    with connection(store, commit=True) as conn:
        conn.exec_driver_sql("DELETE FROM checkpoint")  # the attacker also removes what the store kept
        touched = rewrite_row(conn, "approval", 5, "signer", "mallory")  # approval of the 5th evaluation
    assert touched and all(first.tree_size <= seq < second.tree_size for seq in touched)
    assert store.verify_chain().ok  # consistent with itself: the chain alone cannot tell
    report = store.verify_chain([first, second])
    assert not report.ok and "no longer lead to the checkpoint's root" in report.problem
    assert report.first_bad_seq == first.tree_size  # the first checkpoint still holds: the rewrite is after it
    assert f"first {second.tree_size} leaves" in report.problem
    assert store.verify_chain([first]).ok  # what the first checkpoint covers is untouched


def test_a_rewrite_anywhere_before_the_checkpoint_is_caught(logged):
    store, first, _ = logged
    for table, key, column, value in (("evaluation", 1, "furthest_stage", "validation"),
                                      ("signoff", 2, "signer", "mallory"), ("use_case", "uc-0", "name", "x"),
                                      ("check_result", 3, "status", "failed")):
        with connection(store) as conn:
            conn.exec_driver_sql("DELETE FROM checkpoint")
            assert rewrite_row(conn, table, key, column, value)
            assert verify_store(conn).ok, table
            report = verify_store(conn, [first])
            assert not report.ok and report.first_bad_seq == 0, (table, report)


def test_cutting_the_newest_events_with_their_rows_is_caught_and_located(logged):
    store, first, second = logged
    with connection(store, commit=True) as conn:
        conn.exec_driver_sql("DELETE FROM checkpoint")
        truncate(conn, keep=10)
    assert store.verify_chain().ok  # a shorter log, consistent with itself
    report = store.verify_chain([second])
    assert not report.ok and report.first_bad_seq == 11
    assert "events 11–13 were removed" in report.problem
    assert store.verify_chain([first]).ok


def test_cutting_and_regrowing_to_the_same_size_is_caught(logged):
    store, _, second = logged
    with connection(store, commit=True) as conn:
        conn.exec_driver_sql("DELETE FROM checkpoint")
        truncate(conn, keep=9)
    record_some(store, 2, start=20)  # four new events: the log is longer than the checkpoint again
    assert store.verify_chain().ok
    report = store.verify_chain([second])
    assert not report.ok and "no longer lead to the checkpoint's root" in report.problem


def test_checkpoints_of_another_log_or_another_witness_are_refused(logged):
    from govern.record.checkpoint import sign

    store, first, _ = logged
    other = sign(WITNESS, "0" * 32, first.tree_size, first.root, dt.datetime.now(dt.timezone.utc))
    report = store.verify_chain([other])
    assert not report.ok and "checkpoint of another log" in report.problem
    stranger = Ed25519PrivateKey.generate()
    forged = sign(stranger, first.log_id, first.tree_size, first.root, dt.datetime.now(dt.timezone.utc))
    report = store.verify_chain([forged], witness=first.key_fingerprint)
    assert not report.ok and "not by the witness" in report.problem


def test_every_event_has_an_inclusion_proof_that_checks_offline(logged):
    store, _, second = logged
    for seq in range(1, second.tree_size):
        doc = json.loads(json.dumps(store.prove(seq, second)))  # through JSON, as a file would
        result = proofs.check(doc, second, witness=second.key_fingerprint)
        assert result.ok, (seq, result.problems)
        assert proofs.check(doc).ok  # with the checkpoint the proof embeds


def mutate(value, path):
    """Change one character (or number) at ``path`` inside the proof document."""
    doc = copy.deepcopy(value)
    *parents, last = path
    target = doc
    for p in parents:
        target = target[p]
    old = target[last]
    if isinstance(old, bool) or old is None:
        target[last] = 1
    elif isinstance(old, int):
        target[last] = old + 1
    else:
        i = len(old) // 2
        target[last] = old[:i] + ("a" if old[i] != "a" else "b") + old[i + 1:]
    return doc


def test_a_one_character_change_anywhere_in_a_proof_fails(logged):
    store, _, second = logged
    doc = store.prove(6, second)
    paths = [(k,) for k in ("leaf_index", "tree_size", "root_hash", "leaf_hash", "log_id")]
    paths += [("inclusion_path", i) for i in range(len(doc["inclusion_path"]))]
    paths += [("event", k) for k in doc["event"] if k != "version"]
    paths += [("checkpoint", k) for k in ("tree_size", "root_hash", "time", "log_id", "signature", "public_key")]
    from govern.errors import InputError

    for path in paths:
        try:
            result = proofs.check(mutate(doc, path))
        except InputError:  # no longer even well-formed: refused too
            continue
        assert not result.ok, path


def test_a_proof_for_an_event_newer_than_the_checkpoint_is_refused(logged):
    from govern.errors import InputError

    store, first, _ = logged
    with pytest.raises(InputError, match="newer than the checkpoint"):
        store.prove(first.tree_size, first)


def test_checkpoint_files_round_trip_and_malformed_ones_are_refused(logged, tmp_path):
    from govern.errors import InputError
    from govern.record.checkpoint import load

    _, first, _ = logged
    path = tmp_path / "cp.json"
    path.write_text(first.to_json())
    assert load(path) == first and load(path).problem() is None
    bad = dict(first.to_dict(), tree_size="seven")
    path.write_text(json.dumps(bad, indent=2))
    with pytest.raises(InputError) as err:
        load(path)
    assert f"{path}:5:" in err.value.render() and "tree_size" in err.value.render()
    with pytest.raises(InputError, match="unknown field"):
        from_data({**first.to_dict(), "extra": 1})
    altered = Checkpoint(**{**first.__dict__, "tree_size": first.tree_size + 1})
    assert "does not verify" in altered.problem()
