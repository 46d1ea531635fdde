"""Upgrading a store written at revision 0001: history re-hashed into the tree, nothing lost, the old head still verifies."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from sqlalchemy import text

from govern.record import chain, merkle
from govern.record.migrate import HEAD, current_revision
from govern.record.store import Store
from govern.record.views import history, inventory
from tests.record import factory
from tests.record.attacker import connection
from tests.record.legacy import LegacyStore

EXPIRING = {"approver": "carol", "role": "risk_officer", "reason": "FRIA due", "expires": "2026-06-20"}


def fill(legacy: LegacyStore) -> None:
    legacy.add_signed(factory.signoff("fresh"))  # a use case created by a sign-off
    legacy.record_decision(factory.make_decision("credit", model=1))
    approved = ({**factory.approval(), "expires": "2026-06-15"}, factory.approval("bob"))
    legacy.record_decision(factory.make_decision("credit", model=2, approvals=approved, waiver=EXPIRING))
    legacy.add_signed(factory.signoff("credit", model=2))
    legacy.add_signed(factory.waiver("credit"))
    legacy.record_decision(factory.make_decision("churn", fail_validation=True))
    legacy.record_report("credit", "sha256:" + "cd" * 32)


def old_head(events) -> tuple[str, int]:
    report = chain.verify(SimpleNamespace(**e._mapping, version=1, rows_json="{}",
                                          rows_digest=chain.sha256_text(b"{}"), record_id=None) for e in events)
    assert report.ok
    return report.head_hash, report.events


def test_a_store_written_at_0001_upgrades_with_its_history_in_the_tree(store_url):
    legacy = LegacyStore(store_url)
    fill(legacy)
    before = legacy.events()
    head, count = old_head(before)
    assert head == before[-1].hash and count == 8
    legacy.close()

    with Store.open(store_url) as store:  # opening upgrades
        with store.engine.connect() as conn:
            assert current_revision(conn) == HEAD
            after = conn.execute(text("SELECT * FROM audit_event ORDER BY seq")).all()
        # nothing lost, nothing rewritten: the old events keep their content, hashes and links
        assert [(e.seq, e.kind, e.payload_json, e.prev_hash, e.hash, e.recorded_at) for e in after] == [
            (e.seq, e.kind, e.payload_json, e.prev_hash, e.hash, e.recorded_at) for e in before]
        assert {e.version for e in after} == {1}
        report = store.verify_chain()
        assert report.ok and report.events == 8 and report.head_hash == head and report.tree_size == 9, report
        # leaf 0 records the old chain head
        tree_head = store.head()
        anchor = json.loads(tree_head.anchor_json)
        assert anchor["continues"] == {"events": 8, "head_hash": head}
        # every row is covered by the event that wrote it
        rows = {e.seq: json.loads(e.rows_json) for e in after}
        assert set(rows[3]) == {"use_case", "model_version", "policy_version", "evaluation", "gate_result",
                                "check_result", "signoff_result"}
        assert len(rows[4]["approval"]["rows"]) == 2 and set(rows[1]) == {"use_case", "signoff"}
        assert rows[8] == {}  # the report event wrote no row
        # the tree is the RFC tree over the anchor and the re-hashed events
        leaves = [tree_head.anchor_json.encode()] + [chain.leaf_data(e) for e in after]
        assert tree_head.root == _mth(leaves)
        # the views read the upgraded history
        items = {i.use_case_id: i for i in inventory(store, today=dt.date(2026, 6, 1))}
        assert set(items) == {"credit", "churn"} and items["credit"].expiring_approvals[0]["signer"] == "alice"
        assert [a["signer"] for a in history(store, "credit")["evaluations"][1]["approvals"]] == ["alice", "bob"]
        assert history(store, "fresh")["signed_records"][0]["kind"] == "signoff"

        # recording continues the same chain and tree, and a checkpoint covers old and new alike
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        witness = Ed25519PrivateKey.generate()
        old = store.checkpoint(witness)
        store.record_decision(factory.make_decision("credit", model=3))
        new = store.export_events()
        tail = list(new)[-1]
        assert tail["version"] == 2 and tail["seq"] == 9
        assert tail["prev_hash"] == head  # the first new event links to the old head
        assert store.verify_chain([old]).ok
        from govern.record.proof import check

        assert check(store.prove(2, store.checkpoint(witness))).ok  # an old event proves against a new head

        # an edit of an old row is now located, column and all
        with connection(store) as conn:
            conn.execute(text("UPDATE approval SET signer = 'mallory' WHERE id = 1"))
            from govern.record.audit import verify_store

            report = verify_store(conn)
        assert not report.ok and (report.table, report.key, report.column) == ("approval", 1, "signer")


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = merkle.split(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_an_edit_made_before_the_upgrade_is_still_found(store_url):
    legacy = LegacyStore(store_url)
    fill(legacy)
    with legacy.engine.begin() as conn:  # tampered while still at 0001: the upgrade must not launder it
        conn.execute(text("UPDATE evaluation SET target = 'monitoring' WHERE id = 2"))
    legacy.close()
    with Store.open(store_url) as store:
        report = store.verify_chain()
    assert not report.ok and report.first_bad_seq == 4 and "altered before the upgrade: target" in report.problem


def test_an_empty_0001_store_upgrades_to_an_empty_log(store_url):
    LegacyStore(store_url).close()
    with Store.open(store_url) as store:
        report = store.verify_chain()
        assert report.ok and report.events == 0 and report.tree_size == 1
        assert json.loads(store.head().anchor_json)["continues"] == {"events": 0, "head_hash": chain.GENESIS}
        store.record_decision(factory.make_decision())
        assert store.verify_chain().ok
