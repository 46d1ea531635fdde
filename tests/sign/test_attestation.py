"""`govern check --attest` and `govern verify-attestation`: a DSSE-signed in-toto Statement about the model.

The envelope is checked by the ecosystem's own code too: securesystemslib's DSSE Envelope with its
Ed25519 key verifies it (and refuses it after one changed byte), and in-toto-attestation's
Statement accepts the payload.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from .conftest import govern

MODEL = "model/credit-risk-scorer.skops"


@pytest.fixture
def attest(pack, use_case, evidence, tmp_path):
    """`govern check … --attest` (today's date: attestations are never replays); returns (result, file)."""

    def run(key: str = "rita", target: str = "production", name: str = "decision.intoto.jsonl", *extra: str):
        out = tmp_path / name
        result = govern("check", use_case, "-p", pack, "-e", evidence, "--target", target, "--no-store",
                        "-f", "json", "--attest", out, "--key", key, *extra)
        return result, out

    return run


@pytest.fixture
def approved(sign):
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        assert sign(signer, role).code == 0


def verify(pack: Path, file: Path, subject: Path, *extra: str):
    """`govern verify-attestation`, as rita's role (the attesting key of these tests) unless ``extra`` names one."""
    role = () if "--signer-role" in extra else ("--signer-role", "risk_officer")
    return govern("verify-attestation", file, "-p", pack, "--subject", subject, "-f", "json", *role, *extra)


def _envelope(file: Path) -> dict:
    lines = file.read_text().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_an_allowed_model_is_attested_and_a_standard_verifier_accepts_the_envelope(
        approved, attest, evidence, pack, key_dir):
    from google.protobuf import json_format
    from in_toto_attestation.v1.statement import Statement, spb
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    from govern.sign.keys import fingerprint, load_public_key_file

    result, file = attest()
    assert result.code == 0, result.err
    data = _envelope(file)
    assert data["payloadType"] == "application/vnd.in-toto+json"
    rita = load_public_key_file(key_dir / "rita.pub")
    assert data["signatures"][0]["keyid"] == fingerprint(rita)

    envelope = Envelope.from_dict(data)
    key = SSlibKey.from_crypto(rita, keyid=fingerprint(rita))
    assert list(envelope.verify([key], 1)) == [fingerprint(rita)]

    statement = json.loads(envelope.pae().split(b" ", 4)[4])
    proto = json_format.Parse(json.dumps(statement), spb.Statement())
    Statement.copy_from_pb(proto).validate()  # the in-toto-attestation library's own checks
    model = evidence / MODEL
    assert statement["subject"] == [{"name": MODEL, "digest": {"sha256": hashlib.sha256(model.read_bytes())
                                                                .hexdigest()}}]
    assert statement["predicateType"] == "https://govern.dev/attestation/decision/v1"
    decision = result.json()
    assert statement["predicate"] == decision and decision["allowed"] is True

    verified = verify(pack, file, model, "--target", "production", "--signer-role", "risk_officer")
    assert verified.code == 0, verified.out + verified.err
    (one,) = verified.json()["envelopes"]
    assert one["signer"] == "rita" and one["subject"] == MODEL and one["ok"] is True
    assert one["decision_digest"] == decision["decision_digest"]
    text = govern("verify-attestation", file, "-p", pack, "-s", model, "-t", "production", "--signer-role", "risk_officer")
    assert text.code == 0 and "VERIFIED" in text.out and "signed by rita" in text.out
    # without --target the decision must allow the last stage of its plan, as `govern check` defaults
    last = govern("verify-attestation", file, "-p", pack, "-s", model, "--signer-role", "risk_officer")
    assert last.code == 1 and "is about stage `production`, not `monitoring`" in last.out


def test_one_changed_byte_is_refused_by_both_verifiers(approved, attest, evidence, pack, key_dir):
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError
    from securesystemslib.signer import SSlibKey

    from govern.sign.keys import fingerprint, load_public_key_file

    _, file = attest()
    data = _envelope(file)
    payload = bytearray(base64.b64decode(data["payload"]))
    target = payload.index(b'"target":"production"') + len(b'"target":"p')
    payload[target] = ord("P")  # one byte: `Production`
    forged = file.with_name("forged.intoto.jsonl")
    forged.write_text(json.dumps({**data, "payload": base64.b64encode(bytes(payload)).decode()}) + "\n")

    rita = load_public_key_file(key_dir / "rita.pub")
    with pytest.raises(VerificationError):
        Envelope.from_dict(json.loads(forged.read_text())).verify([SSlibKey.from_crypto(rita,
                                                                                         keyid=fingerprint(rita))], 1)
    result = verify(pack, forged, evidence / MODEL)
    assert result.code == 1
    assert "no signature verifies" in result.json()["envelopes"][0]["problems"][0]

    sig = bytearray(base64.b64decode(data["signatures"][0]["sig"]))
    sig[0] ^= 1
    data["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    forged.write_text(json.dumps(data) + "\n")
    assert verify(pack, forged, evidence / MODEL).code == 1


def test_a_blocked_decision_is_attested_as_blocked_and_never_verifies(attest, evidence, pack, sign):
    result, blocked = attest(name="blocked.intoto.jsonl")
    assert result.code == 1 and blocked.is_file()
    verified = verify(pack, blocked, evidence / MODEL, "--target", "production")
    assert verified.code == 1
    assert "does not allow `production`" in verified.json()["envelopes"][0]["problems"][0]
    # sign-offs go into the bundle, but not into the model: the same file, now allowed
    for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
        assert sign(signer, role).code == 0
    _, allowed = attest(name="allowed.intoto.jsonl")
    both = blocked.with_name("both.intoto.jsonl")
    both.write_text(blocked.read_text() + "\n" + allowed.read_text())  # a blank line between is fine
    verified = verify(pack, both, evidence / MODEL, "--target", "production")
    assert verified.code == 0
    assert [(e["line"], e["ok"]) for e in verified.json()["envelopes"]] == [(1, False), (3, True)]


@pytest.mark.parametrize("change, extra, fragment", [
    ("subject", (), "is not the attested subject"),
    ("target", ("--target", "monitoring"), "is about stage `production`, not `monitoring`"),
    ("pack", (), "not this pack's"),
    ("role", ("--signer-role", "validator"), "does not hold role `validator`"),
])
def test_what_verification_refuses(approved, attest, evidence, pack, tmp_path, change, extra, fragment):
    _, file = attest()
    subject = evidence / MODEL
    if change == "subject":
        subject = tmp_path / "other.skops"
        subject.write_bytes((evidence / MODEL).read_bytes() + b"\0")
    if change == "pack":
        policy = pack / "policy.yaml"
        policy.write_text(policy.read_text().replace("min_auc: 0.75", "min_auc: 0.5"))
    result = verify(pack, file, subject, *extra)
    assert result.code == 1, result.out + result.err
    assert any(fragment in p for p in result.json()["envelopes"][0]["problems"]), result.out


def test_an_image_named_as_a_further_subject(approved, attest, evidence, pack, tmp_path):
    image = "registry.example.com/credit-scorer@sha256:" + "ab" * 32
    result, file = attest("rita", "production", "image.intoto.jsonl", "--attest-subject", image)
    assert result.code == 0, result.err
    statement = json.loads(base64.b64decode(_envelope(file)["payload"]))
    assert [s["name"] for s in statement["subject"]] == [MODEL, "registry.example.com/credit-scorer"]
    assert statement["subject"][1]["digest"] == {"sha256": "ab" * 32}
    assert verify(pack, file, evidence / MODEL, "-t", "production").code == 0
    bad, _ = attest("rita", "production", "bad.jsonl", "--attest-subject", "credit-scorer:latest")
    assert bad.code == 2 and "NAME@sha256:HEX" in bad.err


def test_the_same_decision_gives_the_same_envelope_bytes(approved, attest):
    _, first = attest(name="a.intoto.jsonl")
    _, second = attest(name="b.intoto.jsonl")
    assert first.read_bytes() == second.read_bytes()


def test_usage_errors_exit_2(attest, pack, evidence, tmp_path, use_case):
    result, file = attest(key="mallory")
    assert result.code == 2 and "belongs to nobody in policy" in result.err and not file.exists()
    missing = govern("check", use_case, "-p", pack, "-e", evidence, "--no-store", "--attest", tmp_path / "x.jsonl")
    assert missing.code == 2 and "needs --key" in missing.err
    stray = govern("check", use_case, "-p", pack, "-e", evidence, "--no-store", "--key", "rita")
    assert stray.code == 2 and "only go with --attest" in stray.err
    replay = govern("check", use_case, "-p", pack, "-e", evidence, "--no-store", "--as-of", "2026-06-01",
                    "--attest", tmp_path / "x.jsonl", "--key", "rita")
    assert replay.code == 2 and "replay" in replay.err
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"payloadType": "x"}\n')
    result = verify(pack, junk, evidence / MODEL)
    assert result.code == 2 and "not a DSSE envelope" in result.err
    (evidence / MODEL).unlink()
    result, _ = attest(name="none.jsonl")
    assert result.code == 2 and "no model artifact" in result.err


def test_a_pretty_printed_envelope_is_read_too(approved, attest, evidence, pack):
    _, file = attest()
    pretty = file.with_name("pretty.json")
    pretty.write_text(json.dumps(_envelope(file), indent=2))
    result = verify(pack, pretty, evidence / MODEL, "-t", "production")
    assert result.code == 0 and result.json()["envelopes"][0]["line"] == 1


def test_an_old_envelope_does_not_verify_once_its_approvals_have_lapsed(approved, attest, evidence, pack):
    """Kept and presented later, an attestation must not open a stage the policy no longer allows."""
    import datetime as dt

    from govern.attest.verify import Request, read_envelopes, verify_envelope
    from govern.load.pack import load_policy

    _, file = attest()
    (line, envelope), = read_envelopes(file.read_bytes(), str(file))
    policy = load_policy(pack)
    digest = hashlib.sha256((evidence / MODEL).read_bytes()).hexdigest()
    approvals = [a for g in _envelope_decision(file)["gates"] for s in g["signoffs"] for a in s["approvals"]]
    last_day = min(dt.date.fromisoformat(a["expires"]) for a in approvals if a["expires"])
    on_the_day = verify_envelope(policy, envelope, line, Request(digest, "production", today=last_day))
    assert on_the_day.ok, on_the_day.problems
    later = verify_envelope(policy, envelope, line, Request(digest, "production", today=last_day + dt.timedelta(days=1)))
    assert not later.ok and any("lapsed on" in p for p in later.problems), later.problems


def _envelope_decision(file: Path) -> dict:
    return json.loads(base64.b64decode(_envelope(file)["payload"]))["predicate"]


def test_the_signer_role_is_required_so_any_key_holder_cannot_vouch(approved, attest, evidence, pack):
    """A developer with a sign-off key could sign a statement claiming an allowing decision:
    a verifier must say whose signature counts, or nothing passes (a usage error, exit 2)."""
    result, file = attest()
    assert result.code == 0, result.err
    bare = govern("verify-attestation", file, "-p", pack, "-s", evidence / MODEL, "-t", "production")
    assert bare.code == 2 and "--signer-role" in bare.err
