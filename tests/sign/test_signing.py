"""Keys, signed sign-offs and waivers end to end: `govern keys/sign/waive` → files in the evidence →
`govern check` counts exactly the records it should, and says why every other one does not count."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import stat
import sys
import types
from pathlib import Path

import pytest
import yaml

from tests.sign.conftest import AS_OF, check_of, copy_evidence, gate_of, govern, signoff_of


# --- keys ---------------------------------------------------------------------------------------

def test_generate_writes_a_private_key_0600_prints_the_pack_snippet_and_never_overwrites(tmp_path):
    result = govern("keys", "generate", "--name", "validator-1", "--dir", tmp_path / "k")
    assert result.code == 0, result.err
    private = tmp_path / "k" / "validator-1.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) & 0o077 == 0
    assert b"BEGIN PRIVATE KEY" in private.read_bytes()
    b64 = re.search(r"public key \(base64\): (\S+)", result.out).group(1)
    raw = base64.b64decode(b64)
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert f"fingerprint: {expected}" in result.out
    assert f'public_key: "{b64}"' in result.out and "BEGIN PUBLIC KEY" in result.out
    before = private.read_bytes()
    again = govern("keys", "generate", "--name", "validator-1", "--dir", tmp_path / "k")
    assert again.code == 2 and "refusing to overwrite" in again.err and private.read_bytes() == before
    forced = govern("keys", "generate", "--name", "validator-1", "--dir", tmp_path / "k", "--force")
    assert forced.code == 0 and private.read_bytes() != before
    shown = govern("keys", "show", private, "-f", "json").json()
    assert shown["fingerprint"] in forced.out
    assert govern("keys", "show", shown["public_key_base64"]).out.startswith(f"fingerprint: {shown['fingerprint']}")
    assert govern("keys", "generate", "--name", "../evil", "--dir", tmp_path).code == 2


def test_passphrase_encrypts_the_private_key(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVERN_KEY_PASSPHRASE", "correct horse")
    assert govern("keys", "generate", "--name", "enc", "--dir", tmp_path).code == 0
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "enc.key").read_bytes()
    from govern.sign.keys import SigningError, load_private_key

    load_private_key(tmp_path / "enc.key")
    monkeypatch.setenv("GOVERN_KEY_PASSPHRASE", "wrong")
    with pytest.raises(SigningError, match="wrong passphrase"):
        load_private_key(tmp_path / "enc.key")
    monkeypatch.delenv("GOVERN_KEY_PASSPHRASE")
    with pytest.raises(SigningError, match="GOVERN_KEY_PASSPHRASE"):
        load_private_key(tmp_path / "enc.key")


# --- the happy path -------------------------------------------------------------------------------

def test_two_validators_and_a_risk_officer_let_the_model_into_production(sign, check, evidence):
    assert check().code == 1  # nothing signed yet: sign-offs pending
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        result = sign(signer, role)
        assert result.code == 0, result.err
        assert "travels with the evidence" in result.out
    files = sorted(p.name for p in (evidence / "signoffs").iterdir())
    assert files == ["production-risk_officer-rita-2026-05-01.yaml", "production-validator-vera-2026-05-01.yaml",
                     "production-validator-victor-2026-05-01.yaml"]
    result = check()
    assert result.code == 0, result.out
    validator = signoff_of(result)
    assert validator["status"] == "passed" and validator["rejected"] == []
    assert sorted(a["signer"] for a in validator["approvals"]) == ["vera", "victor"]
    assert all(a["verified"] and a["key_fingerprint"].startswith("SHA256:") for a in validator["approvals"])
    assert signoff_of(result, "risk_officer")["status"] == "passed"


def test_record_file_shape_and_payload(sign, evidence, pack):
    assert sign("victor", extra=("--into-evidence", "--no-store", "--comment", "réviewed ✓")).code == 0
    path = next((evidence / "signoffs").iterdir())
    data = yaml.safe_load(path.read_text())
    assert list(data) == ["kind", "use_case", "gate", "role", "signer", "decision", "comment", "model_digest",
                          "evidence_digest", "policy_digest", "signed_at", "key_fingerprint", "signature"]
    assert data["signed_at"] == "2026-05-01T09:00:00Z" and data["comment"] == "réviewed ✓"
    from govern.canonical import canonical_json
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import evidence_digest, model_digest
    from govern.load.pack import load_policy
    from govern.sign.keys import load_public_key_file

    bundle = EvidenceBundle.open(evidence)
    assert data["model_digest"] == model_digest(bundle) and data["evidence_digest"] == evidence_digest(bundle)
    assert data["policy_digest"] == load_policy(pack).digest
    payload = {k: v for k, v in data.items() if k != "signature"}
    public = load_public_key_file(Path(os.environ["GOVERN_KEY_DIR"]) / "victor.pub")
    public.verify(base64.b64decode(data["signature"]), canonical_json(payload))  # raises if it does not


def test_no_file_and_no_store_prints_the_record_and_json_out(sign, tmp_path):
    printed = sign("victor", extra=("--no-store",))
    assert printed.code == 0 and "signature:" in printed.out and "kind: signoff" in printed.out
    out = tmp_path / "r.json"
    assert sign("victor", extra=("--no-store", "--out", out)).code == 0
    import json

    assert json.loads(out.read_text())["signer"] == "victor"


# --- refused before signing -------------------------------------------------------------------

@pytest.mark.parametrize("signer, role, gate, key, fragment", [
    ("victor", "validator", "prod", None, "did you mean `production`?"),
    ("victor", "validatr", "production", None, "did you mean `validator`?"),
    ("victor", "validator", "validation", None, "requires no sign-offs"),
    ("victr", "validator", "production", None, "did you mean `victor`?"),
    ("alice", "validator", "production", None, "alice does not hold role `validator`"),
    ("victor", "validator", "production", "vera", "it is vera's key"),
    ("victor", "validator", "production", "mallory", "is not victor's key"),
    ("victor", "validator", "production", "nokey", "no key file `nokey`"),
])
def test_sign_refuses_with_a_reason(sign, signer, role, gate, key, fragment, evidence):
    result = sign(signer, role, gate=gate, key=key)
    assert result.code == 2, result.out
    assert fragment in result.err and "Traceback" not in result.err
    assert not (evidence / "signoffs").exists()


def test_sign_refuses_a_public_key_file(sign, key_dir):
    result = sign("victor", key=str(key_dir / "victor.pub"))
    assert result.code == 2 and "not a private key" in result.err


# --- rejected by govern check, with the reason in -f json ---------------------------------------

def _craft(key_dir: Path, key_name: str, **fields) -> dict:
    """A record signed by ``key_name`` with arbitrary claims: what a forger (or a confused tool) could make."""
    from govern.sign.keys import fingerprint, load_private_key
    from govern.sign.payload import sign as sign_payload

    private = load_private_key(key_dir / f"{key_name}.key")
    payload = {"kind": "signoff", **fields, "key_fingerprint": fingerprint(private.public_key())}
    from govern.sign.records import SIGNOFF_FIELDS

    payload = {k: payload[k] for k in SIGNOFF_FIELDS}
    return sign_payload(private, payload).to_data()


def _template(evidence: Path) -> dict:
    """The fields of an existing good record, to build crafted ones on."""
    path = sorted((evidence / "signoffs").iterdir())[0]
    data = yaml.safe_load(path.read_text())
    data.pop("signature")
    return data


def _write(evidence: Path, name: str, data: dict) -> None:
    (evidence / "signoffs" / name).write_text(yaml.safe_dump(data, sort_keys=False))


def _problems(result, role="validator") -> dict[str, str]:
    return {r["source"]: r["problem"] for r in signoff_of(result, role)["rejected"]}


def test_forged_signature_one_byte_of_payload_changed(sign, check, evidence):
    assert sign("victor").code == 0 and sign("vera").code == 0 and sign("rita", "risk_officer").code == 0
    path = evidence / "signoffs" / "production-validator-vera-2026-05-01.yaml"
    text = path.read_text()
    digest_line = re.search(r"model_digest: sha256:([0-9a-f]+)", text)
    first = digest_line.group(1)[0]
    forged = text.replace(f"model_digest: sha256:{first}", f"model_digest: sha256:{'0' if first != '0' else '1'}", 1)
    assert len(forged) == len(text) and forged != text
    path.write_text(forged)
    result = check()
    assert result.code == 1
    problems = _problems(result)
    assert problems == {"signoffs/production-validator-vera-2026-05-01.yaml":
                        "signature does not verify (record altered after signing?)"}


def test_malformed_and_missing_signatures(sign, check, evidence):
    assert sign("victor").code == 0 and sign("vera").code == 0
    vera = evidence / "signoffs" / "production-validator-vera-2026-05-01.yaml"
    victor = evidence / "signoffs" / "production-validator-victor-2026-05-01.yaml"
    vera.write_text(re.sub(r"signature: .*", "signature: bm90IGEgc2lnbmF0dXJl", vera.read_text()))
    victor.write_text(re.sub(r"signature: .*\n", "", victor.read_text()))
    problems = _problems(check())
    assert problems[f"signoffs/{vera.name}"].startswith("malformed signature")
    assert problems[f"signoffs/{victor.name}"] == "unsigned record"


def test_wrong_key_for_the_role_and_key_of_another_person(sign, check, evidence, key_dir):
    assert sign("victor").code == 0
    base = _template(evidence)
    # alice signs with her own (valid) key, as validator: the signature is hers, the role is not
    _write(evidence, "alice.yaml", _craft(key_dir, "alice", **{**base, "signer": "alice"}))
    # vera's key, claiming to be victor
    _write(evidence, "vera-as-victor.yaml", _craft(key_dir, "vera", **{**base, "signer": "victor"}))
    # a key that is in no pack
    _write(evidence, "mallory.yaml", _craft(key_dir, "mallory", **{**base, "signer": "vera"}))
    result = check()
    problems = _problems(result)
    assert problems["signoffs/alice.yaml"] == "alice does not hold role `validator` in policy mini"
    assert problems["signoffs/vera-as-victor.yaml"] == "signed by vera's key but claims signer victor"
    assert re.fullmatch(r"key SHA256:\S+ belongs to nobody in policy mini", problems["signoffs/mallory.yaml"])
    validator = signoff_of(result)
    assert validator["status"] == "pending" and [a["signer"] for a in validator["approvals"]] == ["victor"]


def test_retraining_makes_approvals_stale(sign, check, evidence):
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        assert sign(signer, role).code == 0
    assert check().code == 0
    # retraining: a new artifact and its model card (without a manifest, the card names the model)
    artifact = evidence / "model" / "credit-risk-scorer.skops"
    artifact.write_bytes(artifact.read_bytes() + b"retrained")
    card = evidence / "model_card.md"
    card.write_text(card.read_text().replace("1.3.0", "1.4.0") + "\nRetrained on May data.\n")
    result = check()
    assert result.code == 1
    for role in ("validator", "risk_officer"):
        problems = list(_problems(result, role).values())
        assert problems and all(p.startswith("stale: signed for model") and "re-approval needed" in p
                                for p in problems)


def test_changed_evidence_without_retraining_is_stale_too(sign, check, evidence):
    assert sign("victor").code == 0
    (evidence / "metrics.json").write_text((evidence / "metrics.json").read_text() + "\n")
    problem = list(_problems(check()).values())[0]
    assert problem.startswith("stale: signed for evidence")


def test_expired_signoff(sign, check):
    as_of = dt.date.fromisoformat(AS_OF)
    old = (as_of - dt.timedelta(days=400)).isoformat() + "T09:00:00Z"
    assert sign("victor", at=old).code == 0 and sign("vera").code == 0
    problems = list(_problems(check()).values())
    assert len(problems) == 1 and problems[0].startswith("expired on") and "valid for 365d" in problems[0]


def test_author_may_not_approve_own_model(sign, check, use_case, tmp_path):
    authored = tmp_path / "authored.yaml"
    authored.write_text(use_case.read_text().replace("author: alice", "author: victor"))
    refused = sign("victor", uc=authored)  # refused at signing time, with evaluation's own words
    assert refused.code == 2 and "sign-segregation-of-duties" in refused.err
    assert "victor built this model and may not approve it (segregation of duties)" in refused.err
    assert "holders of validator who did not build it: vera" in refused.err
    # a record made anyway (copied from the unedited descriptor's signing) is refused by evaluation too
    assert sign("victor").code == 0 and sign("vera", uc=authored).code == 0
    result = check(uc=authored)
    assert result.code == 1
    problems = list(_problems(result).values())
    assert problems == ["victor built this model and may not approve it (segregation of duties)"]


def test_duplicate_signer_counted_once(sign, check, evidence):
    assert sign("victor").code == 0
    assert sign("victor", at="2026-05-02T10:00:00Z").code == 0
    assert sign("victor", at="2026-05-02T11:00:00Z").code == 0  # same day: a second file, never overwritten
    assert len(list((evidence / "signoffs").iterdir())) == 3
    result = check()
    validator = signoff_of(result)
    assert validator["status"] == "pending" and validator["message"].startswith("awaiting 1 more validator")
    assert [r["problem"] for r in validator["rejected"]] == ["victor is already counted for this sign-off"] * 2


def test_a_signed_reject_blocks_the_gate(sign, check):
    assert sign("victor").code == 0 and sign("vera", decision="reject",
                                             extra=("--into-evidence", "--no-store", "-m", "overlays")).code == 0
    validator = signoff_of(check())
    assert validator["status"] == "failed" and "vera (overlays)" in validator["message"]


def test_unquoted_yaml_timestamps_still_verify(sign, check, evidence):
    """Verification is over the meaning: a hand-edited file that drops quotes around dates still verifies."""
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        assert sign(signer, role).code == 0
    for path in (evidence / "signoffs").iterdir():
        path.write_text(path.read_text().replace("'2026-05-01T09:00:00Z'", "2026-05-01T09:00:00Z"))
    assert check().code == 0


def test_unknown_keys_in_a_record_file_are_refused(sign, check, evidence):
    assert sign("victor").code == 0
    path = next((evidence / "signoffs").iterdir())
    path.write_text(path.read_text() + "count_twice: true\n")
    validator = signoff_of(check())
    assert validator["status"] == "pending" and not validator["approvals"]
    (problem,) = [r["problem"] for r in validator["rejected"]]
    assert problem.startswith(f"malformed record file: signoffs/{path.name}:") and "count_twice" in problem


def test_one_malformed_record_file_does_not_take_the_others_down(sign, check, evidence):
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        assert sign(signer, role).code == 0
    (evidence / "signoffs" / "zz-broken.yaml").write_text("use_case: [unclosed\n")
    result = check()
    assert result.code == 0, result.out  # the others still count
    assert any(r["problem"].startswith("malformed record file: signoffs/zz-broken.yaml:")
               for r in signoff_of(result)["rejected"])


# --- verifier, in isolation -------------------------------------------------------------------------

def test_policy_verifier_verdicts(pack, key_dir):
    from govern.load.pack import load_policy
    from govern.sign.verify import policy_verifier

    policy = load_policy(pack)
    verify = policy_verifier(policy)
    base = {"use_case": "consumer-credit", "gate": "production", "role": "validator", "signer": "victor",
            "decision": "approve", "comment": None, "model_digest": "sha256:" + "a" * 64,
            "evidence_digest": "sha256:" + "b" * 64, "policy_digest": policy.digest,
            "signed_at": "2026-05-01T09:00:00Z"}
    good = _craft(key_dir, "victor", **base)
    verdict = verify("x.yaml", b"", good)
    assert verdict.verified and verdict.problem is None and verdict.key_fingerprint == good["key_fingerprint"]
    assert verify("x", b"", {**good, "comment": "x"}).problem.startswith("signature does not verify")
    missing = {k: v for k, v in good.items() if k != "evidence_digest"}
    assert verify("x", b"", missing).problem == "malformed record: missing signed field: evidence_digest"
    assert verify("x", b"", {**good, "signature": "AAAA"}).problem.startswith("malformed signature")
    assert verify("x", b"", {**good, "kind": "waiver"}).problem.startswith("malformed record")
    # a key listed for two people identifies nobody: the loader refuses such a pack, and the
    # verifier does not rely on that (a Policy can be built without the loader)
    from dataclasses import replace

    from govern.errors import PolicyError

    victor_key = next(p.public_key for p in policy.manifest.people if p.id == "victor")
    people = [p.model_copy(update={"public_key": victor_key}) if p.id == "vera" else p for p in policy.manifest.people]
    shared_policy = replace(policy, manifest=policy.manifest.model_copy(update={"people": people}))
    shared = policy_verifier(shared_policy)("x", b"", good)
    assert not shared.verified and "listed for several people (vera, victor)" in shared.problem
    text = (pack / "policy.yaml").read_text()
    text = re.sub(r'(id: vera,[^}]*public_key: ")[^"]+"', lambda m: m.group(1) + victor_key + '"', text)
    (pack / "policy.yaml").write_text(text)
    with pytest.raises(PolicyError, match="duplicate-public-key"):
        load_policy(pack)


def test_unsigned_legacy_record_file_is_shown_not_counted(check, evidence, pack):
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import evidence_digest, model_digest

    bundle = EvidenceBundle.open(evidence)
    (evidence / "signoffs").mkdir()
    (evidence / "signoffs" / "legacy.yaml").write_text(yaml.safe_dump({
        "use_case": "consumer-credit", "gate": "production", "role": "validator", "signer": "victor",
        "decision": "approve", "model_digest": model_digest(bundle), "evidence_digest": evidence_digest(bundle),
        "signed_at": "2026-05-01T09:00:00Z"}))
    assert _problems(check()) == {"signoffs/legacy.yaml": "unsigned record"}


# --- waivers ----------------------------------------------------------------------------------------

@pytest.fixture
def thin_evidence(tmp_path) -> Path:
    """Evidence whose model card lacks the FRIA section: production.fria fails until waived."""
    return copy_evidence(tmp_path / "thin", fria=False)


def _model(evidence) -> str:
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.identity import model_digest

    return model_digest(EvidenceBundle.open(evidence))


def _waive(pack, use_case, evidence, approver="rita", check="production.fria", expires="2026-09-30",
           key=None, at="2026-05-01T09:00:00Z", extra=("--into-evidence", "--no-store")):
    return govern("waive", use_case, "-p", pack, "-e", evidence, "--check", check, "--reason",
                  "FRIA scheduled for Q3; interim human review of every decline", "--expires", expires,
                  "--key", key or approver, "--approver", approver, "--at", at, *extra)


def _sign_all(pack, use_case, evidence):
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        result = govern("sign", use_case, "-p", pack, "-e", evidence, "-g", "production", "-r", role, "-d",
                        "approve", "-k", signer, "-s", signer, "--at", "2026-05-01T09:00:00Z", "--into-evidence",
                        "--no-store")
        assert result.code == 0, result.err


def test_waiver_shows_waived_never_passed_and_expires(pack, use_case, thin_evidence, check):
    _sign_all(pack, use_case, thin_evidence)
    before = check(ev=thin_evidence)
    assert before.code == 1 and check_of(before, "fria")["status"] == "failed"
    result = _waive(pack, use_case, thin_evidence)
    assert result.code == 0, result.err
    assert (thin_evidence / "waivers" / "production-fria-rita-2026-05-01.yaml").is_file()
    during = check(ev=thin_evidence)
    fria = check_of(during, "fria")
    assert during.code == 0 and fria["status"] == "waived"
    assert fria["waiver"] == {"approver": "rita", "role": "risk_officer", "expires": "2026-09-30",
                              "reason": "FRIA scheduled for Q3; interim human review of every decline",
                              "source": "waivers/production-fria-rita-2026-05-01.yaml"}
    assert gate_of(during)["status"] == "waived"  # never `passed`
    after = check(as_of="2026-10-01", ev=thin_evidence)
    assert after.code == 1 and check_of(after, "fria")["status"] == "failed"


def test_a_tampered_waiver_does_not_apply(pack, use_case, thin_evidence, check):
    _sign_all(pack, use_case, thin_evidence)
    assert _waive(pack, use_case, thin_evidence).code == 0
    path = next((thin_evidence / "waivers").iterdir())
    path.write_text(path.read_text().replace("2026-09-30", "2027-09-30"))
    assert check_of(check(ev=thin_evidence), "fria")["status"] == "failed"


def test_a_waiver_signed_by_a_role_that_may_not_waive_does_not_apply(pack, use_case, thin_evidence, check, key_dir):
    _sign_all(pack, use_case, thin_evidence)
    from govern.sign.keys import fingerprint, load_private_key
    from govern.sign.payload import record_text, sign as sign_payload, waiver_payload

    private = load_private_key(key_dir / "victor.key")
    record = sign_payload(private, waiver_payload(
        use_case="consumer-credit", check="production.fria", role="validator", approver="victor", reason="trust me",
        expires=dt.date(2026, 9, 30), model_digest=_model(thin_evidence), policy_digest="sha256:" + "0" * 64,
        signed_at="2026-05-01T09:00:00Z",
        key_fingerprint=fingerprint(private.public_key())))
    (thin_evidence / "waivers").mkdir()
    (thin_evidence / "waivers" / "victor.yaml").write_text(record_text(record))
    assert check_of(check(ev=thin_evidence), "fria")["status"] == "failed"


def test_a_signed_waiver_longer_than_max_waiver_days_does_not_apply(pack, use_case, thin_evidence, check, key_dir):
    """Written by hand (govern waive refuses it): the evaluator reads signed_at from the record and says why."""
    _sign_all(pack, use_case, thin_evidence)
    from govern.load.pack import load_policy
    from govern.sign.keys import fingerprint, load_private_key
    from govern.sign.payload import record_text, sign as sign_payload, waiver_payload

    private = load_private_key(key_dir / "rita.key")
    record = sign_payload(private, waiver_payload(
        use_case="consumer-credit", check="production.fria", role="risk_officer", approver="rita", reason="forever",
        expires=dt.date(2099, 12, 31), model_digest=_model(thin_evidence), policy_digest=load_policy(pack).digest,
        signed_at="2026-05-01T09:00:00Z",
        key_fingerprint=fingerprint(private.public_key())))
    (thin_evidence / "waivers").mkdir()
    (thin_evidence / "waivers" / "rita.yaml").write_text(record_text(record))
    fria = check_of(check(ev=thin_evidence), "fria")
    assert fria["status"] == "failed"
    assert "the waiver by rita does not count: expires 2099-12-31" in fria["message"]


@pytest.mark.parametrize("kw, fragment", [
    ({"approver": "victor"}, "victor holds none of the waiver roles of policy mini (risk_officer)"),
    ({"expires": "2026-04-30"}, "is in the past"),
    ({"expires": "2027-05-02"}, "expires 2027-05-02, 366 days after it was signed on 2026-05-01; policy mini "
                                "allows waivers of at most 365 days (`max_waiver_days`)"),
    ({"check": "fria"}, "did you mean `production.fria`?"),
    ({"check": "production.friaa"}, "did you mean `production.fria`?"),
    ({"key": "vera"}, "it is vera's key"),
])
def test_waive_refuses(pack, use_case, thin_evidence, kw, fragment):
    result = _waive(pack, use_case, thin_evidence, **kw)
    assert result.code == 2 and fragment in result.err, result.err
    assert not (thin_evidence / "waivers").exists()


def test_non_waivable_checks_are_refused(pack, use_case, thin_evidence, tmp_path):
    template = pack / "templates" / "high.yaml"
    template.write_text(template.read_text().replace(
        "          when: use_case.audience == \"public\"",
        "          when: use_case.audience == \"public\"\n          waivable: false"))
    result = _waive(pack, use_case, thin_evidence)
    assert result.code == 2 and "marked `waivable: false`" in result.err
    social = tmp_path / "social.yaml"
    social.write_text(use_case.read_text().replace("purpose: credit_scoring", "purpose: social_scoring"))
    prohibited = _waive(pack, social, thin_evidence, check="deployment.tier_prohibited")
    assert prohibited.code == 2 and "cannot be waived: tier prohibited is prohibited" in prohibited.err


# --- the audit store ---------------------------------------------------------------------------------

def test_records_go_to_the_store_unless_no_store(sign, monkeypatch, pack):
    import govern.record.config  # noqa: F401 -- where the store is configured stays importable under the fake

    stored = []

    class FakeStore:
        @classmethod
        def open(cls, url=None):
            return cls()

        def add_signed(self, record):
            stored.append(record)
            return 41 + len(stored)

    fake = types.ModuleType("govern.record.store")
    fake.Store = FakeStore
    monkeypatch.setitem(sys.modules, "govern.record", types.ModuleType("govern.record"))
    monkeypatch.setitem(sys.modules, "govern.record.store", fake)
    result = sign("victor", extra=())
    assert result.code == 0 and "stored in the audit store as record 42" in result.out
    from govern.load.pack import load_policy
    from govern.sign.verify import verify_record

    (record,) = stored
    assert record.kind == "signoff" and record.payload["signer"] == "victor"
    assert verify_record(load_policy(pack), record).verified


def test_database_names_the_store_a_record_goes_to(sign, tmp_path, monkeypatch):
    """--database, as on `check` and `request`: the record lands there, not in the environment's store."""
    from govern.record.store import Store

    named = f"sqlite:///{tmp_path / 'named' / 'govern.db'}"
    (tmp_path / "named").mkdir()
    Store.open(named).close()  # a store the team created
    result = sign("victor", extra=("--database", named))
    assert result.code == 0 and "stored in the audit store as record" in result.out, result.err
    with Store.open(named) as store:
        assert [e["kind"] for e in store.export_events()].count("signoff") == 1
    assert not (tmp_path / "store").exists()  # the per-test default store was never touched


def test_missing_store_is_a_clear_error_unless_no_store(sign, monkeypatch, evidence):
    monkeypatch.setitem(sys.modules, "govern.record.store", None)  # import fails
    result = sign("victor", extra=("--into-evidence",))
    assert result.code == 2 and "audit store (govern.record) cannot be loaded" in result.err
    assert "--no-store" in result.err and not (evidence / "signoffs").exists()
    assert sign("victor", extra=("--into-evidence", "--no-store")).code == 0


# --- help that teaches ---------------------------------------------------------------------------

@pytest.mark.parametrize("verb, fragments", [
    (("sign",), ("stale", "valid_for", "--into-evidence", "segregation", "Examples")),
    (("waive",), ("never `passed`", "waiver_roles", "waivable: false", "Examples")),
    (("keys",), ("PRIVATE key stays", "people:", "govern keys generate --name")),
    (("keys", "generate"), ("0600", "GOVERN_KEY_PASSPHRASE", "SHA256:")),
    (("diff",), ("--inventory", "--exit-code", "gain or lose")),
])
def test_help_teaches(verb, fragments):
    result = govern(*verb, "--help")
    assert result.code == 0
    for fragment in fragments:
        assert fragment in result.out, fragment


def test_cli_subprocess_sign_then_check(pack, use_case, evidence, key_dir):
    """Once through real processes, as CI runs it."""
    import subprocess

    env = {**os.environ, "GOVERN_KEY_DIR": str(key_dir), "NO_COLOR": "1"}
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        subprocess.run([sys.executable, "-m", "govern", "sign", str(use_case), "-p", str(pack), "-e", str(evidence),
                        "-g", "production", "-r", role, "-d", "approve", "-k", signer, "-s", signer,
                        "--into-evidence", "--no-store", "--at", "2026-05-01"], check=True, env=env,
                       capture_output=True)
    done = subprocess.run([sys.executable, "-m", "govern", "check", str(use_case), "-p", str(pack), "-e",
                           str(evidence), "--target", "production", "--as-of", AS_OF, "--no-store"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "approved by vera, victor" in done.stdout


def test_real_store_round_trip_verifies(sign, pack, tmp_path, monkeypatch):
    """With the audit store installed: the stored record verifies, and a stored forgery does not."""
    store_module = pytest.importorskip("govern.record.store")
    url = f"sqlite:///{tmp_path / 'govern.db'}"
    monkeypatch.setenv("GOVERN_DATABASE_URL", url)
    result = sign("victor", extra=())
    assert result.code == 0, result.err
    from dataclasses import replace

    from govern.load.pack import load_policy
    from govern.record.sources import StoreRecords
    from govern.sign.verify import policy_verifier

    policy = load_policy(pack)
    store = store_module.Store.open(url)
    (record,) = StoreRecords(store).signoff_source(policy_verifier(policy)).signoffs("consumer-credit", "production", "validator")
    assert record.verified and record.signer == "victor" and record.source.startswith("store:")
    signed = store.signed_record("signoff", int(record.source.split("/")[-1]))
    forged = replace(signed, payload={**signed.payload, "decision": "reject", "signed_at": "2026-05-02T09:00:00Z"})
    store.add_signed(forged)
    records = StoreRecords(store).signoff_source(policy_verifier(policy)).signoffs("consumer-credit", "production", "validator")
    assert [(r.decision, r.verified, r.problem) for r in records] == [
        ("approve", True, None), ("reject", False, "signature does not verify (record altered after signing?)")]


def test_a_signoff_with_its_own_id_is_signed_by_that_id(sign, check, pack, evidence):
    """Two sign-offs of one role: the record names the one it answers (its id); the signer holds the role."""
    high = pack / "templates" / "high.yaml"
    high.write_text(high.read_text().replace(
        "        - role: risk_officer\n",
        "        - role: risk_officer\n        - {id: effective_challenge, role: validator, title: Effective challenge}\n"))
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer"),
                         ("vera", "effective_challenge")):
        assert sign(signer, role).code == 0
    assert sign("alice", "effective_challenge").code == 2
    result = check()
    assert result.code == 0, result.out
    challenge = next(s for s in gate_of(result)["signoffs"] if s["message"] == "approved by vera")
    assert challenge["role"] == "validator"
    assert (evidence / "signoffs" / "production-effective_challenge-vera-2026-05-01.yaml").is_file()


def test_no_record_reads_the_store_and_no_store_ignores_it(pack, use_case, evidence, key_dir, tmp_path):
    """`--no-record` is read-only: approvals held in the store count, nothing is written.
    `--no-store` ignores the store, so the same check is blocked and says why."""
    import sqlite3
    import subprocess

    db = tmp_path / "store.db"
    env = {**os.environ, "GOVERN_KEY_DIR": str(key_dir), "NO_COLOR": "1", "GOVERN_DATABASE_URL": f"sqlite:///{db}"}
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date().isoformat()
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        subprocess.run([sys.executable, "-m", "govern", "sign", str(use_case), "-p", str(pack), "-e", str(evidence),
                        "-g", "production", "-r", role, "-d", "approve", "-k", signer, "-s", signer,
                        "--at", yesterday], check=True, env=env, capture_output=True)

    def run(*flags: str) -> subprocess.CompletedProcess:  # today's date: enforcement uses the real clock
        return subprocess.run([sys.executable, "-m", "govern", "check", str(use_case), "-p", str(pack), "-e",
                               str(evidence), "--target", "production", *flags], env=env,
                              capture_output=True, text=True)

    def events() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]

    before = events()
    read_only = run("--no-record")
    assert read_only.returncode == 0, read_only.stdout + read_only.stderr
    assert "approved by vera, victor" in read_only.stdout and events() == before
    ignored = run("--no-store")
    assert ignored.returncode == 1 and events() == before
    recorded = run()
    assert recorded.returncode == 0 and events() > before  # the decision (and its policy, first time)
