"""Aggregate model risk at inventory level (`govern status`): models past their review date and
open waivers per tier, held to a pack's `inventory_limits` (SR 11-7 §VI; bank-mrm)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import govern
from govern.errors import PolicyError
from govern.record.store import Store
from govern.record.views import aggregate, inventory
from tests.cli.test_cli import MINI, ROOT, govern as run_govern
from tests.record import factory

WAIVER = {"approver": "carol", "role": "risk_officer", "reason": "FRIA due", "expires": "2026-08-01"}


def _approval(expires: str) -> dict:
    return {**factory.approval(), "expires": expires}


@pytest.fixture()
def database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'govern.db'}"
    with Store.open(url) as store:
        # reviewed until 2026-06-15: past its review date from 2026-06-16
        store.record_decision(factory.make_decision("credit", approvals=(_approval("2026-06-15"),), waiver=WAIVER))
        # an older approval expired, a renewed one still runs: not past review
        store.record_decision(factory.make_decision("churn", approvals=(_approval("2026-01-01"),
                                                                        _approval("2027-01-01"))))
        store.record_decision(factory.make_decision("fraud", fail_validation=True))
    return url


def test_models_past_review_and_open_waivers_are_counted_per_tier(database):
    with Store.open(database) as store:
        items = {i.use_case_id: i for i in inventory(store, today=dt.date(2026, 7, 1))}
        assert items["credit"].past_review == [{"gate": "production", "role": "validator", "expired": "2026-06-15"}]
        assert items["churn"].past_review == []
        assert items["credit"].open_waivers == [{"check": "validation.fria", "expires": "2026-08-01"}]
        (risk,) = aggregate(list(items.values()), {"mini": {"high": {"max_past_review": 0, "max_open_waivers": 1}}})
        assert (risk.policy, risk.tier, risk.models, risk.blocked, risk.past_review, risk.open_waivers) == \
            ("mini", "high", 3, 1, 1, 1)
        assert risk.breaches == ["1 model(s) past their review date, limit 0"]
        # a month earlier nothing had expired; after 1 August the waiver is no longer open
        earlier = aggregate(inventory(store, today=dt.date(2026, 6, 1)))[0]
        later = aggregate(inventory(store, today=dt.date(2026, 8, 2)))[0]
    assert (earlier.past_review, earlier.open_waivers, later.open_waivers) == (0, 1, 0)


def _pack_with_limits(tmp_path: Path, limits: str) -> Path:
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    manifest = pack / "policy.yaml"
    manifest.write_text(manifest.read_text().replace("templates:\n", f"inventory_limits:\n{limits}templates:\n", 1))
    return pack


def test_status_with_a_policy_exits_1_when_a_tier_is_over_its_limit(database, tmp_path):
    strict = _pack_with_limits(tmp_path / "a", "  high: {max_past_review: 0}\n")
    over = run_govern("status", "--as-of", "2026-07-01", "--database", database, "--policy", str(strict))
    assert over.returncode == 1, over.stderr
    assert "mini high: 3 model(s), 1 blocked, 1 past review date, 1 open waiver(s)  OVER LIMIT: " \
           "1 model(s) past their review date, limit 0" in over.stdout
    lenient = _pack_with_limits(tmp_path / "b", "  high: {max_past_review: 1, max_open_waivers: 1}\n")
    ok = run_govern("status", "--as-of", "2026-07-01", "--database", database, "--policy", str(lenient),
                    "-f", "json")
    assert ok.returncode == 0, ok.stderr
    (risk,) = json.loads(ok.stdout)["aggregate"]
    assert risk == {"policy": "mini", "tier": "high", "models": 3, "blocked": 1, "past_review": 1,
                    "open_waivers": 1, "breaches": []}


def test_limits_name_declared_tiers(tmp_path):
    pack = _pack_with_limits(tmp_path, "  hihg: {max_past_review: 0}\n")
    with pytest.raises(PolicyError) as err:
        govern.load_policy(pack)
    (d,) = [d for d in err.value.diagnostics if d.code == "unknown-tier"]
    assert "`hihg`" in d.message and d.span.line > 1 and d.hint == "did you mean `high`?"


def test_bank_mrm_declares_limits_for_every_model_tier():
    limits = govern.load_policy(ROOT / "policies" / "bank-mrm").manifest.inventory_limits
    assert set(limits) == {"tier_1", "tier_2", "tier_3"}
    assert limits["tier_1"].max_past_review == 0
