"""Recording many decisions at once: the same rows and events as one by one, a verifiable chain, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from govern.record.store import Store
from tests.record import factory

AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
UNHASHED = ("prev_hash", "hash")  # each store's chain starts from its own anchor (a random log id)


def decisions() -> list:
    # a use case twice (its second evaluation updates the first's row), new models, approvals and a
    # second policy version half-way: every registry and event path of a single recording
    other_policy = {"name": "mini", "version": "1.1.0", "digest": factory.digest("policy mini 1.1.0")}
    return [factory.make_decision("credit", approvals=(factory.approval(),)),
            factory.make_decision("fraud", model=2, fail_validation=True),
            factory.make_decision("credit", model=3, n_checks=5),
            factory.make_decision("churn", policy=other_policy),
            factory.make_decision("fraud", model=2, waiver={"approver": "carol", "expires": "2026-12-31"})]


def events(store: Store) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in UNHASHED} for e in store.export_events()]


def test_a_batch_writes_what_single_recordings_write(store_url, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'one-by-one.db'}") as single:
        ids = [single.record_decision(d, recorded_at=AT) for d in decisions()]
        expected = events(single)
    with Store.open(store_url) as batch:
        assert batch.record_decisions(decisions(), recorded_at=AT, per_transaction=2) == ids
        assert events(batch) == expected
        assert batch.verify_chain().ok
        assert batch.head().size == len(expected) + 1  # the anchor is leaf 0
        assert {u: s.id for u, s in batch.latest_decisions().items()} == {"credit": 3, "fraud": 5, "churn": 4}


def test_a_failing_batch_is_rolled_back_whole_and_earlier_batches_stay(store):
    good = decisions()[:2]
    bad = [factory.make_decision("late"), factory.make_decision("later", model=9)]
    bad[1] = bad[1].__class__(**{**bad[1].__dict__, "gates": bad[1].gates + (None,)})  # breaks while writing rows
    with pytest.raises(Exception):
        store.record_decisions(good + bad, per_transaction=2)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM evaluation")).scalar() == 2
        assert sorted(r[0] for r in conn.execute(text("SELECT id FROM use_case"))) == ["credit", "fraud"]
    assert store.verify_chain().ok
    assert [e["kind"] for e in store.export_events()] == ["policy", "evaluation", "evaluation"]


def test_replays_are_refused_before_anything_is_written(store):
    from govern.errors import InputError

    replay = factory.make_decision("credit")
    replay = replay.__class__(**{**replay.__dict__, "replay": True})
    with pytest.raises(InputError):
        store.record_decisions([factory.make_decision("fraud"), replay])
    assert list(store.export_events()) == []


def test_a_batch_signs_at_most_one_scheduled_checkpoint(store):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.record.config import CheckpointSettings

    store._settings = CheckpointSettings(witness_key="witness", every=0, on_targets=("production",))
    store._witness_key = Ed25519PrivateKey.generate()
    store.record_decisions([factory.make_decision("a", target="validation")])
    assert store.scheduled == []  # neither due by count nor for a listed stage
    store.record_decisions([factory.make_decision(f"u{i}") for i in range(3)], per_transaction=2)
    # anchor, policy and "a" are leaves 0-2: a checkpoint after each batch with a production decision
    assert [c.tree_size for c in store.scheduled] == [5, 6]
    assert store.verify_chain(store.scheduled).ok
