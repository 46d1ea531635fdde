"""`govern request` → `govern requests` → closed by a real signed `govern sign`, and only by one that verifies."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.sign.conftest import govern


def _sign(pack, use_case, evidence, signer, *, key=None, role="validator", decision="approve",
          at="2026-11-01T09:00:00Z"):
    """`govern sign` into the store (no file): what a validator runs."""
    result = govern("sign", use_case, "-p", pack, "-e", evidence, "--gate", "production", "--role", role,
                    "--decision", decision, "--key", key or signer, "--signer", signer, "--at", at)
    assert result.code == 0, result.err
    return result


def _open(pack, *extra):
    result = govern("requests", "-p", pack, "-f", "json", *extra)
    assert result.code == 0, result.err
    return result.json()["requests"]


def test_a_request_is_listed_until_a_verified_signoff_recorded_after_it_answers_it(pack, use_case, evidence, key_dir):
    from govern.load.pack import load_policy
    from govern.notify.requests import open_requests
    from govern.record.store import Store
    from govern.sign.keys import load_private_key
    from govern.sign.payload import sign

    # victor approved before anyone asked: an earlier record never answers a later request
    _sign(pack, use_case, evidence, "victor")
    made = govern("request", use_case, "-p", pack, "--gate", "production", "--role", "validator",
                  "--due", "2026-12-01", "-m", "retrained on Q3 data", "-f", "json")
    assert made.code == 0, made.err
    request = made.json()
    assert (request["use_case"], request["gate"], request["role"], request["person"]) == (
        "consumer-credit", "production", "validator", None)
    named = govern("request", use_case, "-p", pack, "--gate", "production", "--role", "risk_officer",
                   "--person", "rita")
    assert named.code == 0 and named.out.startswith("request #"), named.err

    listed = _open(pack)
    assert [(r["role"], r["person"], r["open"]) for r in listed] == [("validator", None, True),
                                                                     ("risk_officer", "rita", True)]
    assert listed[0]["message"] == "retrained on Q3 data" and listed[0]["due"] == "2026-12-01"
    text = govern("requests", "-p", pack, "--as-of", "2026-12-02")
    assert f"#{request['id']}  consumer-credit  production sign-off by validator (anyone holding validator), " \
           "due 2026-12-01 OVERDUE  [open]" in text.out
    assert "2 open requests" in text.out
    # the queue of one person: what they may answer
    assert [r["role"] for r in _open(pack, "--person", "vera")] == ["validator"]
    assert [r["role"] for r in _open(pack, "--person", "rita")] == ["risk_officer"]

    # a record claiming vera, signed with a key the pack does not list, is stored but answers nothing
    with Store.open() as store:
        forged = sign(load_private_key(key_dir / "mallory.key"), {
            "kind": "signoff", "use_case": "consumer-credit", "gate": "production", "role": "validator",
            "signer": "vera", "decision": "approve", "comment": None, "model_digest": "sha256:" + "1" * 64,
            "evidence_digest": None, "policy_digest": request["policy"]["digest"],
            "signed_at": "2026-11-02T09:00:00+00:00", "key_fingerprint": "SHA256:mallory"})
        store.add_signed(forged)
    still = _open(pack)
    assert still[0]["open"] and still[0]["not_counted"][0]["signer"] == "vera"
    assert "belongs to nobody" in still[0]["not_counted"][0]["problem"]

    # without the pack nothing can be verified: the request stays open, and says why
    unverified = json.loads(govern("requests", "-f", "json").out)["requests"]
    assert unverified[0]["open"] and "not given" in unverified[0]["unverified"]

    _sign(pack, use_case, evidence, "vera", at="2026-11-03T09:00:00Z")
    remaining = _open(pack)
    assert [(r["role"], r["person"]) for r in remaining] == [("risk_officer", "rita")]
    everything = _open(pack, "--all")
    answered = next(r for r in everything if r["role"] == "validator")
    assert not answered["open"] and answered["answered_by"]["signer"] == "vera"
    assert answered["answered_by"]["decision"] == "approve"

    # a rejection answers a request too: rita has decided
    _sign(pack, use_case, evidence, "rita", role="risk_officer", decision="reject")
    assert _open(pack) == []
    assert govern("requests", "-p", pack).out.strip() == "no open sign-off requests"
    with Store.open() as store:  # the function the console calls gives the same answer
        assert open_requests(store, [load_policy(pack)]) == []
        assert len(open_requests(store)) == 2  # no pack given: nothing verified, nothing closed
    assert govern("audit", "verify").code == 0


def test_a_request_nobody_could_answer_is_refused_and_not_recorded(pack, use_case):
    cases = [
        (("--gate", "prod", "--role", "validator"), "gate `prod` is not in the high plan", "did you mean `production`"),
        (("--gate", "validation", "--role", "validator"), "requires no sign-offs", "gates that do: production"),
        (("--gate", "production", "--role", "auditor"), "needs no sign-off by role `auditor`", "validator"),
        (("--gate", "production", "--role", "validator", "--person", "vicktor"), "`vicktor` is not in policy",
         "did you mean `victor`"),
        (("--gate", "production", "--role", "validator", "--person", "rita"), "rita does not hold role `validator`",
         "holders of validator: victor, vera"),
        (("--gate", "production", "--role", "validator", "--due", "2026-13-01"), "not a date", ""),
    ]
    for args, message, hint in cases:
        result = govern("request", use_case, "-p", pack, *args)
        assert result.code == 2, (args, result.out, result.err)
        assert message in result.err and hint in result.err, result.err
        assert "Traceback" not in result.err
        assert not Path(os.environ["GOVERN_DATABASE_URL"].removeprefix("sqlite:///")).exists()  # not even a store
    assert govern("requests", "-f", "json").json()["requests"] == []
