"""`status` and `history` as data: furthest stage, pending sign-offs, expiring approvals and waivers."""

from __future__ import annotations

import datetime as dt

from govern.record.views import history, inventory
from tests.record import factory

EXPIRES = {"approver": "carol", "role": "risk_officer", "reason": "FRIA due", "expires": "2026-06-20"}


def test_inventory_uses_the_latest_decision_of_each_use_case(store):
    store.record_decision(factory.make_decision("credit", model=1))  # superseded below
    approved = ({**factory.approval(), "expires": "2026-06-15"},)
    store.record_decision(factory.make_decision("credit", model=2, approvals=approved, waiver=EXPIRES))
    store.record_decision(factory.make_decision("churn", fail_validation=True))
    items = {i.use_case_id: i for i in inventory(store, today=dt.date(2026, 6, 1), expiring_within=30)}
    credit, churn = items["credit"], items["churn"]
    assert credit.model["version"] == "1.2.0" and credit.furthest_stage == "monitoring" and credit.pending == []
    assert credit.expiring_approvals == [{"gate": "production", "role": "validator", "signer": "alice",
                                          "expires": "2026-06-15", "expired": False}]
    assert credit.expiring_waivers == [{"check": "validation.fria", "approver": "carol", "expires": "2026-06-20",
                                        "expired": False}]
    assert churn.furthest_stage == "development" and not churn.allowed
    assert churn.pending == [{"gate": "production", "role": "validator", "required": 1, "approved": 0,
                              "status": "pending"}]
    soon = {i.use_case_id: i for i in inventory(store, today=dt.date(2026, 6, 1), expiring_within=10)}
    assert soon["credit"].expiring_approvals == []
    assert soon["credit"].expiring_waivers == []


def test_history_says_which_model_was_approved_by_whom_under_which_policy(store):
    store.record_decision(factory.make_decision("credit", model=1))
    store.record_decision(factory.make_decision("credit", model=2, approvals=(factory.approval("dana"),)))
    store.add_signed(factory.signoff("credit", signer="dana", model=2))
    data = history(store, "credit")
    assert [e["model"]["version"] for e in data["evaluations"]] == ["1.1.0", "1.2.0"]
    last = data["evaluations"][-1]
    assert last["policy"] == factory.POLICY and last["furthest_stage"] == "monitoring"
    assert [(a["gate"], a["signer"], a["role"]) for a in last["approvals"]] == [("production", "dana", "validator")]
    assert data["signed_records"][0]["signer"] == "dana"
    assert history(store, "unknown") is None
