"""`govern diff`: rules, facts, parameters, people and requirements per tier, and the inventory's fate."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
AS_OF = "2026-06-01"


def govern(*args) -> tuple[int, str, str]:
    from govern.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def new(tmp_path) -> Path:
    """The mini pack after a policy change touching every section."""
    pack = tmp_path / "new"
    shutil.copytree(MINI, pack)
    policy = pack / "policy.yaml"
    edit(policy, "min_auc: 0.75", "min_auc: 0.8")
    edit(policy, "version: 1.0.0", "version: 1.1.0")
    edit(policy, "waiver_roles: [risk_officer]", "waiver_roles: [risk_officer, validator]")
    edit(policy, "{id: vera, name: Vera Lindqvist, roles: [validator]}",
         "{id: vera, name: Vera Lindqvist, roles: [validator, risk_officer]}")
    edit(policy, "  - {id: rita,", "  - {id: ramon, name: Ramon Diaz, roles: [risk_officer]}\n  - {id: rita,")
    rules = pack / "rules" / "tiers.rules"
    edit(rules, "rule chatbot: tier limited", "rule chatbot: tier high")
    edit(rules, 'because "Internal model-risk policy §2.1"', 'because "Internal model-risk policy §2.2"')
    # a layout-only change is not a change: the condition is compared in canonical printed form
    edit(rules, "when use_case.purpose == \"social_scoring\"", "when   (use_case.purpose == \"social_scoring\")")
    rules.write_text(rules.read_text() + '\nrule health: tier high\n  when use_case.domain == "healthcare"\n'
                     '  because "Annex III 5(a)"\n')
    edit(pack / "facts.yaml", "minimum: 0\n", "minimum: 0\n    maximum: 1000000000\n")
    facts = pack / "facts.yaml"
    facts.write_text(facts.read_text() + "  human_oversight:\n    type: bool\n    question: Is there a human in the loop?\n")
    high = pack / "templates" / "high.yaml"
    edit(high, "          count: 2\n", "          count: 3\n")
    edit(high, "        - {id: model_card, role: model_card}",
         "        - {id: model_card, role: model_card}\n        - {id: datasheet, path: datasheet.md}")
    edit(high, "        - id: no_drop\n          kind: metric\n"
               "          condition: champion.test.auc - metrics.test.auc <= params.max_auc_drop\n"
               "          enforcement: warn\n", "")
    return pack


@pytest.fixture
def inventory(tmp_path) -> Path:
    folder = tmp_path / "inventory"
    folder.mkdir()
    shutil.copy(MINI / "use_cases" / "credit.yaml", folder / "credit.yaml")
    (folder / "chatbot.yaml").write_text(
        "id: helpdesk-bot\nname: Helpdesk assistant\nowner: support\nfacts:\n  domain: marketing\n"
        "  purpose: recommendation\n  audience: public\n  affects_individuals: false\n  impact_eur: 5\n"
        "  data_categories: [none]\n  interacts_with_humans: true\n  launch_date: 2026-01-01\n")
    (folder / "forecast.yaml").write_text(
        "id: demand-forecast\nname: Demand forecast\nowner: ops\nfacts:\n  domain: operations\n"
        "  purpose: forecasting\n  audience: internal_few\n  affects_individuals: false\n  impact_eur: 100\n"
        "  data_categories: [none]\n  interacts_with_humans: false\n")
    return folder


def test_json_diff_lists_every_kind_of_change(new):
    code, out, err = govern("diff", MINI, new, "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["differs"] and d["old"]["version"] == "1.0.0" and d["new"]["version"] == "1.1.0"
    rules = d["rules"]
    assert [r["id"] for r in rules["added"]] == ["health"] and rules["added"][0]["tier"] == "high"
    changed = {r["id"]: r["changes"] for r in rules["changed"]}
    assert set(changed) == {"chatbot", "large-public-impact"}  # social-scoring only changed layout
    assert changed["chatbot"]["tier"] == {"old": "limited", "new": "high"}
    assert changed["large-public-impact"]["citation"]["new"] == "Internal model-risk policy §2.2"
    assert [f["id"] for f in d["facts"]["added"]] == ["human_oversight"]
    assert d["facts"]["changed"] == [{"id": "impact_eur", "changes": {"maximum": {"old": None, "new": 1000000000}}}]
    assert d["parameters"] == {"changed": [{"id": "min_auc", "changes": {"value": {"old": 0.75, "new": 0.8}}}]}
    assert d["roles"]["changed"] == [{"id": "validator", "changes": {"grants_waivers": {"old": False, "new": True}}}]
    people = d["people"]
    assert [p["id"] for p in people["added"]] == ["ramon"]
    assert people["changed"][0]["id"] == "vera"
    high = d["requirements"]["high"]["gates"]
    assert [x["id"] for x in high["validation"]["checks"]["removed"]] == ["no_drop"]
    assert [x["id"] for x in high["validation"]["documents"]["added"]] == ["datasheet"]
    assert high["production"]["signoffs"]["changed"] == [
        {"id": "validator", "changes": {"count": {"old": 2, "new": 3}}}]
    assert "limited" not in d["requirements"]  # light.yaml untouched


def test_text_diff_reads_like_a_review(new):
    code, out, _ = govern("diff", MINI, new)
    assert code == 0
    assert "policy mini 1.0.0" in out and "→ mini 1.1.0" in out
    assert "+ health: tier high when use_case.domain == \"healthcare\"" in out
    assert "~ chatbot: tier: limited → high" in out
    assert "~ min_auc: 0.75 → 0.8" in out
    assert "- check no_drop [metric]" in out
    assert "~ sign-off validator: count: 2 → 3" in out
    assert "social-scoring" not in out


def test_inventory_shows_which_use_cases_change(new, inventory):
    code, out, err = govern("diff", MINI, new, "--inventory", inventory, "--as-of", AS_OF, "-f", "json")
    assert code == 0, err
    inv = json.loads(out)["inventory"]
    assert inv["as_of"] == AS_OF
    rows = {r["use_case"]: r for r in inv["use_cases"]}
    bot = rows["helpdesk-bot"]
    assert (bot["old_tier"], bot["new_tier"]) == ("limited", "high") and bot["differs"]
    assert "validation.auc" in bot["gained"] and "production.signoff:validator" in bot["gained"]
    credit = rows["consumer-credit"]
    assert credit["old_tier"] == credit["new_tier"] == "high"
    assert credit["gained"] == ["validation.document:datasheet"] and credit["lost"] == ["validation.no_drop"]
    assert credit["changed"] == [{"id": "production.signoff:validator", "changes": {"count": {"old": 2, "new": 3}}}]
    assert not rows["demand-forecast"]["differs"]
    code, text, _ = govern("diff", MINI, new, "--inventory", str(inventory / "*.yaml"), "--as-of", AS_OF)
    assert "inventory: 2 of 3 use case(s) affected" in text
    assert re.search(r"helpdesk-bot \(.*\): tier limited → high", text)


def test_descriptor_invalid_under_the_new_pack_is_reported(new, inventory):
    edit(new / "facts.yaml", "question: Is there a human in the loop?", "question: Is there a human in the loop?\n"
         "    required: true")
    code, out, err = govern("diff", MINI, new, "-i", inventory, "--as-of", AS_OF, "-f", "json")
    assert code == 0, err
    rows = {Path(r["path"]).name: r for r in json.loads(out)["inventory"]["use_cases"]}
    credit = rows["credit.yaml"]
    assert credit["differs"] and "human_oversight" in credit["new_error"] and credit["old_tier"] == "high"
    assert credit["new_tier"] is None


def test_exit_code_flag_and_identical_packs(new):
    assert govern("diff", MINI, new, "--exit-code")[0] == 1
    code, out, _ = govern("diff", MINI, MINI, "--exit-code")
    assert code == 0 and "no differences" in out
    assert govern("diff", MINI, MINI, "-f", "json", "--exit-code")[0] == 0


def test_reordering_is_not_a_change(tmp_path):
    pack = tmp_path / "reordered"
    shutil.copytree(MINI, pack)
    policy = pack / "policy.yaml"
    text = policy.read_text()
    a = "  - {id: victor, name: Victor Osei, roles: [validator]}\n"
    b = "  - {id: vera, name: Vera Lindqvist, roles: [validator]}\n"
    policy.write_text(text.replace(a + b, b + a))
    code, out, _ = govern("diff", MINI, pack, "--exit-code")
    assert code == 0, out


def test_a_new_key_for_a_person_is_a_visible_change(tmp_path):
    from govern.sign.keys import generate

    key = generate("k", tmp_path / "keys")
    from govern.sign.keys import public_b64

    pack = tmp_path / "keyed"
    shutil.copytree(MINI, pack)
    edit(pack / "policy.yaml", "roles: [validator]}", f'roles: [validator], public_key: "{public_b64(key.public_key)}"}}')
    code, out, _ = govern("diff", MINI, pack, "-f", "json")
    change = json.loads(out)["people"]["changed"][0]
    assert change["id"] == "victor" and change["changes"]["public_key"]["new"].startswith("SHA256:")


def test_unreadable_pack_is_exit_2(tmp_path):
    code, _, err = govern("diff", MINI, tmp_path / "absent")
    assert code == 2 and "Traceback" not in err
