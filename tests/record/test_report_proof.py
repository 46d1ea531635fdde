"""A report that proves itself: real signed records in a real store, the attachments, `govern verify-report`.

The PDF is assembled here with pypdf (``govern report`` embeds the same attachments through
WeasyPrint); verification reads it back exactly as an auditor's copy would be read.
"""

from __future__ import annotations

import datetime as _dt

import json
import shutil

import pytest

from govern.record import report_proof
from tests.sign.conftest import MINI, add_keys, copy_evidence, govern

pypdf = pytest.importorskip("pypdf")
PEOPLE = ("alice", "victor", "vera", "rita", "witness")


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A keyed pack, evidence lacking the FRIA, three sign-offs and a waiver in the store, a recorded decision."""
    from govern.sign.keys import generate

    keys = tmp_path / "keys"
    for name in PEOPLE + ("mallory",):
        generate(name, keys)
    monkeypatch.setenv("GOVERN_KEY_DIR", str(keys))
    monkeypatch.delenv("GOVERN_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.chdir(tmp_path)
    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    add_keys(pack, keys, people=("alice", "victor", "vera", "rita"))
    evidence = copy_evidence(tmp_path / "evidence", fria=False)
    use_case = pack / "use_cases" / "credit.yaml"
    now = _dt.datetime.now(_dt.timezone.utc)  # the decision is recorded, so it is made today (UTC)
    signed_at = (now - _dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00:00Z")
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        result = govern("sign", use_case, "-p", pack, "-e", evidence, "-g", "production", "-r", role, "-d", "approve",
                        "-k", signer, "-s", signer, "--at", signed_at)
        assert result.code == 0, result.err
    waived = govern("waive", use_case, "-p", pack, "-e", evidence, "--check", "production.fria", "--reason",
                    "FRIA scheduled for Q3", "--expires", (now + _dt.timedelta(days=90)).date().isoformat(),
                    "--key", "rita", "--approver", "rita", "--at", signed_at)
    assert waived.code == 0, waived.err
    checked = govern("check", use_case, "-p", pack, "-e", evidence, "--target", "production", "-f", "json")
    assert checked.code == 0, checked.err
    made = govern("audit", "checkpoint", "--key", "witness", "-o", tmp_path / "cp.json")
    assert made.code == 0, made.err
    return tmp_path, pack


def report_files(pack, **kwargs) -> dict[str, bytes]:
    import govern
    from govern.record.store import Store

    policy = govern.load_policy(pack)
    with Store.open() as store:
        (summary,) = store.evaluations("consumer-credit")
        decision = store.decision(summary.id)
        attached = report_proof.attachments(store, decision, policy=policy, **kwargs)
    files = report_proof.files_of(attached)
    files["decision.json"] = (json.dumps(decision, indent=2, ensure_ascii=False) + "\n").encode()  # as the report
    return files


def write_pdf(path, files: dict[str, bytes]) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, data in files.items():
        writer.add_attachment(name, data)
    with open(path, "wb") as fh:
        writer.write(fh)


def test_a_report_verifies_offline_with_its_embedded_records_and_proof(world):
    tmp, pack = world
    files = report_files(pack)
    assert set(files) == {"decision.json", "govern-signed-records.json", "govern-inclusion-proof.json",
                          "govern-checkpoint.json"}
    records = json.loads(files["govern-signed-records.json"])["records"]
    assert sorted((r["kind"], r["payload"].get("signer") or r["payload"]["approver"]) for r in records) == [
        ("signoff", "rita"), ("signoff", "vera"), ("signoff", "victor"), ("waiver", "rita")]
    write_pdf(tmp / "report.pdf", files)
    (tmp / "store.db").unlink()  # offline: the store is gone
    ok = govern("verify-report", tmp / "report.pdf", "--checkpoint", tmp / "cp.json", "-p", pack)
    assert ok.code == 0, ok.out + ok.err
    assert "decision digest" in ok.out and "4 signed record(s) verified against the pack's keys" in ok.out
    assert "in the first" in ok.out and "signed by SHA256:" in ok.out
    embedded_only = govern("verify-report", tmp / "report.pdf")
    assert embedded_only.code == 0, embedded_only.out


def flipped(data: bytes, i: int) -> bytes:
    b = data[i]
    new = ord("x") if b != ord("x") else ord("y")
    if chr(b).isdigit():
        new = ord(str((int(chr(b)) + 1) % 10))
    elif chr(b) in "abcdef":
        new = ord("a") if b != ord("a") else ord("b")
    return data[:i] + bytes([new]) + data[i + 1:]


def test_a_one_byte_change_in_any_embedded_file_fails(world):
    from govern.record.checkpoint import load

    tmp, pack = world
    import govern as g

    policy = g.load_policy(pack)
    checkpoint = load(tmp / "cp.json")
    files = report_files(pack)
    assert report_proof.verify(files, checkpoint=checkpoint, policy=policy).ok
    for name, data in files.items():
        positions = sorted(set(range(0, len(data), 5)) | {len(data) - 2})
        for i in positions:
            changed = {**files, name: flipped(data, i)}
            result = report_proof.verify(changed, checkpoint=checkpoint, policy=policy)
            assert not result.ok, (name, i, data[max(0, i - 30):i + 30])
    tampered = {**files, "decision.json": files["decision.json"].replace(b'"allowed": true', b'"allowed": false')}
    write_pdf(tmp / "tampered.pdf", tampered)
    bad = govern("verify-report", tmp / "tampered.pdf", "--checkpoint", tmp / "cp.json")
    assert bad.code == 1 and "NOT VERIFIED" in bad.out and "does not hash to its decision digest" in bad.out


def test_missing_records_keys_and_unreadable_files(world):
    tmp, pack = world
    files = report_files(pack)
    doc = json.loads(files["govern-signed-records.json"])
    doc["records"] = doc["records"][1:]
    fewer = {**files, "govern-signed-records.json": json.dumps(doc).encode()}
    result = report_proof.verify(fewer)
    assert not result.ok and any("has no verified signed record" in p for p in result.problems)
    nokey = report_files(pack)
    import govern as g
    from govern.record.store import Store

    with Store.open() as store:
        decision = store.decision(1)
        text = report_proof.signed_records_text(store, decision, policy=None, records={})
    nokey["govern-signed-records.json"] = text.encode()
    assert any("no public key embedded" in p for p in report_proof.verify(nokey).problems)
    (tmp / "not.pdf").write_text("hello")
    unreadable = govern("verify-report", tmp / "not.pdf")
    assert unreadable.code == 2 and "not a readable PDF" in unreadable.err
    stranger = govern("verify-report", tmp / "missing.pdf")
    assert stranger.code == 2
    mallory = govern("keys", "show", tmp / "keys" / "mallory.pub", "-f", "json")
    write_pdf(tmp / "report.pdf", files)
    pinned = govern("verify-report", tmp / "report.pdf", "--witness-key", json.loads(mallory.out)["fingerprint"])
    assert pinned.code == 1 and "not by the witness" in pinned.out
    assert g  # the pack loads (used above)


def test_decision_digest_from_json_is_the_evaluators(world):
    """The digest recomputed from decision JSON is Decision.compute_digest's (a drift here would break reports)."""
    import govern as g
    from govern.evaluate.pipeline import check

    tmp, pack = world
    policy = g.load_policy(pack)
    use_case = g.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    decision = check(policy, use_case, tmp / "evidence", target="production")
    assert report_proof.decision_digest(json.loads(json.dumps(decision.to_dict()))) == decision.digest


def test_govern_report_from_the_store_embeds_what_verify_report_proves(world):
    """The real path: `govern report --evaluation ID` embeds the records, proof and checkpoint itself."""
    pytest.importorskip("weasyprint")
    tmp, pack = world
    written = govern("report", "--evaluation", "1", "-p", pack, "-o", tmp / "real.pdf")
    assert written.code == 0, written.err
    ok = govern("verify-report", tmp / "real.pdf", "--checkpoint", tmp / "cp.json", "-p", pack)
    assert ok.code == 0, ok.out + ok.err
    assert "4 signed record(s) verified against the pack's keys" in ok.out
