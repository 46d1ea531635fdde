"""The gate against someone with ordinary access: a pipeline author who controls the CI job's flags
and files, or someone holding the store's database credentials. Each attack below turned a BLOCKED
model into ALLOWED before the trust model was tightened; each must now fail, and say why."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.sign.conftest import govern

UTC = dt.timezone.utc
YESTERDAY = (dt.datetime.now(UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00:00Z")


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "govern.db"
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{path}")
    return path


@pytest.fixture
def trusted(pack) -> Path:
    """The keyed mini pack, asking for registration and a risk officer's sign-off at monitoring too."""
    manifest = pack / "policy.yaml"
    manifest.write_text(manifest.read_text().replace("waiver_roles: [risk_officer]",
                                                     "waiver_roles: [risk_officer]\nregistration_roles: [risk_officer]"))
    high = pack / "templates" / "high.yaml"
    text = high.read_text()
    assert text.endswith("    raci: {risk_officer: A/R}\n")
    high.write_text(text + "    gate:\n      signoffs:\n        - role: risk_officer\n")
    return pack


def sign(pack, use_case, evidence, signer, role, gate="production", *extra):
    result = govern("sign", use_case, "-p", pack, "-e", evidence, "-g", gate, "-r", role, "-d", "approve",
                    "-k", signer, "-s", signer, "--at", YESTERDAY, *extra)
    assert result.code == 0, result.err
    return result


def register(pack, use_case, signer="rita", *extra):
    return govern("register", use_case, "-p", pack, "-k", signer, "-s", signer, "--at", YESTERDAY, *extra)


def check(pack, use_case, evidence, *extra, target="production"):
    return govern("check", use_case, "-p", pack, "-e", evidence, "--target", target, "-f", "json", "--no-record",
                  *extra)


def everyone_signs(pack, use_case, evidence):
    assert register(pack, use_case).code == 0
    sign(pack, use_case, evidence, "rita", "risk_officer", "monitoring")
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        sign(pack, use_case, evidence, signer, role)


def sql(db: Path, statement: str) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute(statement).rowcount >= 1, statement


def rejected(result, gate="production", role="risk_officer") -> list[str]:
    signoff = next(s for g in result.json()["gates"] if g["id"] == gate for s in g["signoffs"] if s["role"] == role)
    return [r["problem"] for r in signoff["rejected"]]


def test_the_legitimate_path_is_allowed(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    result = check(trusted, use_case, evidence)
    assert result.code == 0, result.out
    registration = next(c for c in result.json()["gates"][0]["checks"] if c["id"] == "registration")
    assert registration["status"] == "passed" and "registered by rita" in registration["message"]
    assert result.json()["record_sources"] == ["bundle", "store"]


# -- 1. store columns steer signed records ----------------------------------------------------

def test_moving_a_signoff_to_another_gate_by_its_column_does_not_count(trusted, use_case, evidence, db):
    assert register(trusted, use_case).code == 0
    sign(trusted, use_case, evidence, "rita", "risk_officer", "monitoring")
    for signer in ("victor", "vera"):
        sign(trusted, use_case, evidence, signer, "validator")
    assert check(trusted, use_case, evidence).code == 1  # production's risk officer has not signed
    # the database holder moves rita's monitoring approval to production by editing one column
    sql(db, "UPDATE signoff SET gate = 'production' WHERE gate = 'monitoring'")
    result = check(trusted, use_case, evidence)
    assert result.code == 1
    assert rejected(result) == ["sign-record-mismatch: column gate = production but the signed payload says "
                                "monitoring (the row was edited after it was stored)"]


def test_editing_gate_role_or_use_case_columns_of_a_row_is_reported(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    assert check(trusted, use_case, evidence).code == 0
    sql(db, "UPDATE signoff SET role = 'risk_officer' WHERE signer = 'victor'")
    result = check(trusted, use_case, evidence)
    assert result.code == 1  # victor's approval no longer counts anywhere, and the edit is named
    assert any("column role = risk_officer but the signed payload says validator" in p
               for p in rejected(result, role="risk_officer"))
    sql(db, "UPDATE signoff SET role = 'validator' WHERE signer = 'victor'")
    assert check(trusted, use_case, evidence).code == 0
    sql(db, "INSERT INTO use_case (id, name, created_at) VALUES ('other', 'other', '2026-01-01')")
    sql(db, "UPDATE signoff SET use_case_id = 'other' WHERE signer = 'vera'")  # hides nothing: found by payload
    result = check(trusted, use_case, evidence)
    assert result.code == 1
    assert any("column use_case_id = other" in p for p in rejected(result, role="validator"))


def test_a_waiver_moved_to_a_blocking_check_by_its_column_does_not_apply(trusted, use_case, evidence, db, tmp_path):
    no_fria = tmp_path / "no-fria"
    from tests.sign.conftest import copy_evidence

    copy_evidence(no_fria, fria=False)
    everyone_signs(trusted, use_case, no_fria)
    assert check(trusted, use_case, no_fria).code == 1  # the FRIA is missing: a blocking check fails
    waived = govern("waive", use_case, "-p", trusted, "-e", no_fria, "--check", "validation.no_drop", "--reason",
                    "champion comparison is informative only", "--expires",
                    (dt.date.today() + dt.timedelta(days=30)).isoformat(), "--key", "rita", "--approver", "rita",
                    "--at", YESTERDAY)
    assert waived.code == 0, waived.err
    sql(db, "UPDATE waiver SET check_id = 'production.fria'")
    result = check(trusted, use_case, no_fria)
    assert result.code == 1
    fria = next(c for g in result.json()["gates"] for c in g["checks"] if c["id"] == "fria")
    assert fria["status"] == "failed" and "waiver" not in fria


# -- 2. --as-of in the past ----------------------------------------------------------------------

def test_a_backdated_check_is_a_replay_that_is_never_recorded(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    recorded = govern("check", use_case, "-p", trusted, "-e", evidence, "--as-of", "2026-01-01")
    assert recorded.code == 2 and "replay-recorded" in recorded.err and "--no-record" in recorded.err
    replay = check(trusted, use_case, evidence, "--as-of", YESTERDAY[:10])
    assert replay.json()["replay"] is True
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM evaluation").fetchone()[0] == 0


def test_a_replay_reproduces_a_recorded_decision_digest(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    now = govern("check", use_case, "-p", trusted, "-e", evidence, "--target", "production", "-f", "json")
    assert now.code == 0 and now.json()["replay"] is False
    again = check(trusted, use_case, evidence, "--as-of", now.json()["as_of"])
    assert again.json()["replay"] is True
    assert again.json()["decision_digest"] == now.json()["decision_digest"]


# -- 3. a weaker copy of the pack --------------------------------------------------------------

def weaker(pack: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "weaker"
    shutil.copytree(pack, copy)
    manifest = copy / "policy.yaml"
    manifest.write_text(manifest.read_text().replace("min_auc: 0.75", "min_auc: 0.50"))
    return copy


def test_a_weaker_copy_of_the_pack_makes_every_approval_stale(trusted, use_case, evidence, db, tmp_path):
    everyone_signs(trusted, use_case, evidence)
    copy = weaker(trusted, tmp_path)
    result = check(copy, use_case, evidence)
    assert result.code == 1
    assert all("stale: signed under policy" in p for p in rejected(result, role="validator"))
    registration = result.json()["gates"][0]["checks"][0]
    assert registration["status"] == "error" and "stale: signed under policy" in registration["message"]


def test_a_pinned_digest_refuses_any_other_pack(trusted, use_case, evidence, db, tmp_path, monkeypatch):
    from govern.load.pack import load_policy

    real = load_policy(trusted).digest
    copy = weaker(trusted, tmp_path)
    pinned = check(copy, use_case, evidence, "--expect-policy-digest", real)
    assert pinned.code == 2 and "policy-digest-mismatch" in pinned.err and pinned.out == ""
    monkeypatch.setenv("GOVERN_POLICY_DIGEST", real)
    assert check(copy, use_case, evidence).code == 2
    everyone_signs(trusted, use_case, evidence)
    assert check(trusted, use_case, evidence).code == 0


def test_a_pack_upgrade_declared_compatible_keeps_its_approvals(trusted, use_case, evidence, db):
    from govern.load.pack import load_policy

    everyone_signs(trusted, use_case, evidence)
    old = load_policy(trusted).digest
    manifest = trusted / "policy.yaml"
    text = manifest.read_text().replace("version: 1.0.0", "version: 1.0.1")
    manifest.write_text(text)
    assert check(trusted, use_case, evidence).code == 1  # a new digest: nothing carries over by itself
    manifest.write_text(text + f"compatible_with:\n  - {{digest: '{old}', reason: title wording only}}\n")
    result = check(trusted, use_case, evidence)
    assert result.code == 0, result.out


# -- 4. the descriptor's own answers ------------------------------------------------------------

def test_editing_the_descriptor_to_a_lower_tier_unregisters_it(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    text = use_case.read_text()
    use_case.write_text(text.replace("purpose: credit_scoring", "purpose: fraud_detection"))
    from govern import classify, load_policy, load_use_case

    policy = load_policy(trusted)
    assert classify(policy, load_use_case(use_case, policy)).tier == "limited"  # the answer lowers the tier
    result = check(trusted, use_case, evidence)  # the limited plan: no sign-offs needed in production…
    assert result.code == 1  # …but the lower tier was never approved
    registration = result.json()["gates"][0]["checks"][0]
    assert registration["id"] == "registration" and registration["status"] == "error"
    assert "descriptor changed since registration" in registration["message"]
    # the author may not register the change themselves; someone independent may
    use_case.write_text(use_case.read_text().replace("author: alice", "author: rita"))
    refused = register(trusted, use_case)
    assert refused.code == 2 and "rita built this model and may not register it" in refused.err


def test_swapping_the_author_in_the_descriptor_changes_nothing(trusted, use_case, evidence, db):
    authored = use_case.read_text().replace("author: alice", "author: victor")
    use_case.write_text(authored)
    assert register(trusted, use_case).code == 0  # registered: victor built it
    refused = govern("sign", use_case, "-p", trusted, "-e", evidence, "-g", "production", "-r", "validator", "-d",
                     "approve", "-k", "victor", "-s", "victor", "--at", YESTERDAY)
    assert refused.code == 2 and "segregation of duties" in refused.err  # refused when signing already
    use_case.write_text(authored.replace("author: victor", "author: alice"))
    assert sign(trusted, use_case, evidence, "victor", "validator")  # the edited descriptor lets him sign…
    use_case.write_text(authored)
    result = check(trusted, use_case, evidence)  # …but under the registered descriptor he is its author
    assert "victor built this model and may not approve it (segregation of duties)" in rejected(result, role="validator")
    use_case.write_text(authored.replace("author: victor", "author: alice"))
    result = check(trusted, use_case, evidence)  # and the edited descriptor is not registered at all
    assert result.json()["gates"][0]["checks"][0]["status"] == "error"


def test_a_legitimate_re_registration_by_someone_independent(trusted, use_case, evidence, db):
    everyone_signs(trusted, use_case, evidence)
    use_case.write_text(use_case.read_text().replace("name: Consumer credit scoring", "name: Consumer credit scoring v2"))
    assert check(trusted, use_case, evidence).code == 1
    assert register(trusted, use_case).code == 0
    result = check(trusted, use_case, evidence)
    assert result.code == 0, result.out


def test_history_shows_a_tier_change_and_who_approved_it(trusted, use_case, evidence, db):
    assert register(trusted, use_case).code == 0
    use_case.write_text(use_case.read_text().replace("purpose: credit_scoring", "purpose: fraud_detection"))
    assert register(trusted, use_case, "rita", "--comment", "fraud screening only, no credit decision").code == 0
    history = govern("history", "consumer-credit")
    assert history.code == 0, history.err
    lines = [line for line in history.out.splitlines() if "registration:" in line]
    assert len(lines) == 2 and "registration: tier high, approved by rita (risk_officer)" in lines[0]
    assert "registration: tier high → limited, approved by rita (risk_officer)" in lines[1]


# -- also: a file that drops out of the evidence digest -------------------------------------------

def test_a_data_file_labelled_as_a_record_is_still_in_the_evidence_digest(trusted, use_case, evidence, db):
    manifest = evidence / "manifest.yaml"
    manifest.write_text("bundle: credit\nmodel: {name: credit-risk-scorer, version: '1'}\n"
                        "files:\n  - {path: data/reference.csv, role: waiver}\n")
    everyone_signs(trusted, use_case, evidence)
    assert check(trusted, use_case, evidence).code == 0
    data = evidence / "data" / "reference.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    result = check(trusted, use_case, evidence)
    assert result.code == 1
    assert all(p.startswith("stale: signed for evidence") for p in rejected(result, role="validator"))


def test_the_model_card_can_name_more_authors_never_fewer(trusted, use_case, evidence, db):
    card = evidence / "model_card.md"
    card.write_text(card.read_text().replace("authors:\n- govern contributors\n",
                                             "authors:\n- govern contributors\n- vera\n", 1))
    assert register(trusted, use_case).code == 0
    refused = govern("sign", use_case, "-p", trusted, "-e", evidence, "-g", "production", "-r", "validator", "-d",
                     "approve", "-k", "vera", "-s", "vera", "--at", YESTERDAY)
    assert refused.code == 2 and "vera built this model and may not approve it" in refused.err
