"""The console's views are the CLI's: the incrementally kept inventory equals `govern status`'s after every write."""

from __future__ import annotations

import datetime as dt

from govern.record.store import Store
from govern.record.views import inventory
from govern.server.data import Console
from tests.record import factory

TODAY = dt.date(2026, 6, 1)


def test_the_kept_inventory_always_equals_a_fresh_one(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'g.db'}") as store:
        console = Console(store)
        assert console.inventory(TODAY, 30) == []
        store.record_decision(factory.make_decision("a"))
        store.record_decision(factory.make_decision("b", fail_validation=True))
        seen = console.inventory(TODAY, 30)
        assert [i.to_dict() for i in seen] == [i.to_dict() for i in inventory(store, today=TODAY)]
        assert console.inventory(TODAY, 30) is seen  # nothing written: nothing recomputed
        waiver = {"approver": "carol", "role": "risk_officer", "reason": "r", "expires": "2026-06-20"}
        store.record_decision(factory.make_decision("a", model=2, approvals=(factory.approval(),), waiver=waiver))
        console.owner("a")  # a refresh that no inventory request folds in...
        store.record_decision(factory.make_decision("c"))  # ...then another write
        for days in (30, 0, 30):
            kept = [i.to_dict() for i in console.inventory(TODAY, days)]
            assert kept == [i.to_dict() for i in inventory(store, today=TODAY, expiring_within=days)]
        assert [i.model["version"] for i in console.inventory(TODAY, 30)] == ["1.2.0", "1.1.0", "1.1.0"]


def test_owner_and_signoffs_stored_since_the_latest_decision(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'g.db'}") as store:
        store.add_signed(factory.registration("credit"))
        store.record_decision(factory.make_decision("credit"))
        console = Console(store)
        assert console.owner("credit") == "retail-lending"
        (row,) = console.queue(TODAY)
        assert row["signed_since"] == [] and row["command"].startswith("govern sign <credit.yaml>")
        store.add_signed(factory.signoff("credit", signer="alice", model=1))
        (row,) = console.queue(TODAY)
        assert [s["signer"] for s in row["signed_since"]] == ["alice"]
        store.record_decision(factory.make_decision("credit", approvals=(factory.approval(),)))
        assert console.queue(TODAY) == []  # the new check counted it
        fresh = Console(store)  # a console started now reads the same from the log
        assert fresh.owner("credit") == "retail-lending" and fresh.queue(TODAY) == []
