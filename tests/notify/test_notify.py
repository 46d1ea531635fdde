"""`govern notify` against real receivers: a webhook server and an SMTP server with STARTTLS, on loopback.

Each notice goes once to each channel (run twice, sent once), failures are retried with
backoff, and what was sent is in the audit log; a bad config file stops with file:line:col;
no secret ever appears in the output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import textwrap

import pytest

from tests.notify.conftest import SMTP_PASSWORD, SMTP_USER
from tests.record import factory
from tests.sign.conftest import govern

HOOK_TOKEN = "tok-9d2e-never-printed"
HOOK_SECRET = "hmac-key-5b1a-never-printed"
AS_OF = "2026-06-01"


def _config(tmp_path, text: str):
    path = tmp_path / "notify.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _request(pack, use_case, *extra):
    made = govern("request", use_case, "-p", pack, "--gate", "production", "--role", "validator", *extra)
    assert made.code == 0, made.err
    return int(re.match(r"request #(\d+)", made.out).group(1))


def _no_secrets(*outputs: str, secrets=(HOOK_TOKEN, HOOK_SECRET, SMTP_PASSWORD)) -> None:
    for text in outputs:
        for secret in secrets:
            assert secret not in text


def test_a_notice_is_sent_once_even_when_notify_runs_twice(tmp_path, monkeypatch, pack, use_case, receiver):
    monkeypatch.setenv("GOVERN_TEST_HOOK", receiver.url("/generic?sig=" + HOOK_TOKEN))
    monkeypatch.setenv("GOVERN_TEST_TOKEN", HOOK_TOKEN)
    monkeypatch.setenv("GOVERN_TEST_SECRET", HOOK_SECRET)
    config = _config(tmp_path, f"""\
        events: [request_opened, decision_blocked]
        channels:
          - name: risk-hook
            type: webhook
            url_env: GOVERN_TEST_HOOK
            token_env: GOVERN_TEST_TOKEN
            secret_env: GOVERN_TEST_SECRET
          - name: team-chat
            type: webhook
            url: {receiver.url("/slack")}
            format: slack
            events: [request_opened]
        """)
    request_id = _request(pack, use_case, "--person", "victor", "--due", "2026-12-01")

    first = govern("notify", "--config", config)
    assert first.code == 0, first.err
    assert sorted(r.path for r in receiver.received) == ["/generic?sig=" + HOOK_TOKEN, "/slack"]
    generic = next(r for r in receiver.received if r.path.startswith("/generic"))
    body = generic.json()
    assert body["govern"] == 1 and body["kind"] == "request_opened" and body["key"] == f"request_opened:{request_id}"
    assert body["use_case"] == "consumer-credit" and body["event"] == request_id
    assert body["details"]["request"]["person"] == "victor" and "--signer victor" in body["text"]
    assert generic.headers["authorization"] == f"Bearer {HOOK_TOKEN}"
    mac = hmac.new(HOOK_SECRET.encode(), generic.body, hashlib.sha256).hexdigest()
    assert generic.headers["x-govern-signature"] == f"sha256={mac}"
    assert generic.headers["x-govern-delivery"] == f"request_opened:{request_id}@risk-hook"
    slack = next(r for r in receiver.received if r.path == "/slack").json()
    assert slack["text"].startswith("Sign-off requested: consumer-credit production / validator")
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "2 sent, 0 failed, 0 already sent" in first.out
    _no_secrets(first.out, first.err)

    second = govern("notify", "--config", config, "-f", "json")
    assert second.code == 0, second.err
    assert len(receiver.received) == 2  # nothing new
    assert second.json()["sent"] == [] and second.json()["already_sent"] == 2
    _no_secrets(second.out, second.err)

    log = [json.loads(line) for line in govern("audit", "export").out.splitlines()]
    sent = [e for e in log if e["kind"] == "notification"]
    assert sorted(e["subject"] for e in sent) == [f"risk-hook|request_opened:{request_id}",
                                                  f"team-chat|request_opened:{request_id}"]
    assert all(e["payload"]["answer"] == "HTTP 200" and e["payload"]["attempts"] == 1 for e in sent)
    _no_secrets(json.dumps(log))
    assert govern("audit", "verify").code == 0

    # a new request is a new notice; the old one is still not sent again
    second_id = _request(pack, use_case, "--person", "vera")
    third = govern("notify", "--config", config, "-f", "json").json()
    assert sorted((s["key"], s["channel"]) for s in third["sent"]) == [
        (f"request_opened:{second_id}", "risk-hook"), (f"request_opened:{second_id}", "team-chat")]


def test_a_failed_delivery_is_retried_with_backoff_and_sent_by_a_later_run(tmp_path, pack, use_case, receiver):
    config = _config(tmp_path, f"""\
        retry: {{attempts: 3, backoff_seconds: 0.05, max_backoff_seconds: 0.2}}
        channels:
          - {{name: hook, type: webhook, url: "{receiver.url()}", format: teams}}
        """)
    request_id = _request(pack, use_case)
    receiver.answers[:] = [500, 503]  # then 200
    result = govern("notify", "-c", config, "-f", "json")
    assert result.code == 0, result.err
    [sent] = result.json()["sent"]
    assert sent["attempts"] == 3 and sent["answer"] == "HTTP 200"
    assert len(receiver.received) == 3
    assert {r.headers["x-govern-delivery"] for r in receiver.received} == {f"request_opened:{request_id}@hook"}
    card = receiver.received[-1].json()
    assert card["type"] == "message"
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"

    # an error that cannot heal is not retried; nothing is recorded, so the next run tries again
    second_id = _request(pack, use_case, "--person", "vera")
    receiver.received.clear()
    receiver.answers[:] = [404]
    failed = govern("notify", "-c", config)
    assert failed.code == 1
    assert "FAILED  request_opened" in failed.out and "(HTTP 404; 1 attempt)" in failed.out
    assert len(receiver.received) == 1
    receiver.answers[:] = [500, 500, 500]  # retries exhausted: still exit 1
    assert govern("notify", "-c", config).code == 1 and len(receiver.received) == 4
    again = govern("notify", "-c", config, "-f", "json")
    assert again.code == 0 and [s["key"] for s in again.json()["sent"]] == [f"request_opened:{second_id}"]


def test_email_goes_over_starttls_with_a_login_from_the_environment(tmp_path, monkeypatch, pack, use_case, mailbox):
    monkeypatch.setenv("GOVERN_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    config = _config(tmp_path, f"""\
        channels:
          - name: validators-mail
            type: email
            host: 127.0.0.1
            port: {mailbox.port}
            ca_file: {mailbox.ca_file}
            username: {SMTP_USER}
            password_env: GOVERN_TEST_SMTP_PASSWORD
            sender: govern@bank.example
            to: [validators@bank.example, risk@bank.example]
        """)
    request_id = _request(pack, use_case, "--person", "victor", "-m", "Q3 retrain")
    result = govern("notify", "-c", config)
    assert result.code == 0, result.err
    assert mailbox.logins == [(SMTP_USER, True)]
    [mail] = mailbox.messages
    assert mail["tls"] and mail["from"] == "govern@bank.example"
    assert mail["to"] == ["validators@bank.example", "risk@bank.example"]
    assert "Subject: [govern] Sign-off requested: consumer-credit production / validator" in mail["data"]
    assert f"X-Govern-Delivery: request_opened:{request_id}@validators-mail" in mail["data"]
    assert "Q3 retrain" in mail["data"] and SMTP_PASSWORD not in mail["data"]
    assert govern("notify", "-c", config).code == 0 and len(mailbox.messages) == 1  # once
    _no_secrets(result.out, result.err)

    # a wrong password is refused by the server: reported, not retried, not echoed
    monkeypatch.setenv("GOVERN_TEST_SMTP_PASSWORD", "wrong-" + SMTP_PASSWORD)
    _request(pack, use_case, "--person", "vera")
    refused = govern("notify", "-c", config)
    assert refused.code == 1 and "SMTP 535" in refused.out and "1 attempt)" in refused.out
    _no_secrets(refused.out, refused.err, secrets=(SMTP_PASSWORD, "wrong-" + SMTP_PASSWORD))

    # a certificate nobody vouched for: STARTTLS fails closed, nothing is sent in clear text
    untrusted = _config(tmp_path, config.read_text().replace(f"    ca_file: {mailbox.ca_file}\n", ""))
    monkeypatch.setenv("GOVERN_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    tls = govern("notify", "-c", untrusted)
    assert tls.code == 1 and "TLS failed" in tls.out and len(mailbox.messages) == 1


def test_blocked_decisions_expiring_approvals_and_waivers_and_a_broken_audit_log(tmp_path, receiver):
    from sqlalchemy import update

    from govern.record.store import Store
    from govern.record.tables import EVALUATION
    from tests.record.attacker import connection

    with Store.open() as store:
        approved = ({**factory.approval("victor"), "expires": "2026-06-15"},)
        waiver = {"approver": "rita", "role": "risk_officer", "reason": "FRIA due", "expires": "2026-06-20"}
        store.record_decision(factory.make_decision("credit", approvals=approved, waiver=waiver))
        store.record_decision(factory.make_decision("churn", fail_validation=True))
        store.record_decision(factory.make_decision("churn", fail_validation=True))  # the same situation again
    config = _config(tmp_path, f"""\
        within_days: 10
        channels:
          - {{name: hook, type: webhook, url: "{receiver.url()}"}}
        """)
    dry = govern("notify", "-c", config, "--as-of", AS_OF, "--dry-run", "-f", "json")
    assert dry.code == 0 and receiver.received == []
    assert sorted(w["kind"] for w in dry.json()["would_send"]) == ["decision_blocked"]  # 10 days: nothing expires
    result = govern("notify", "-c", config, "--as-of", AS_OF, "--within", "30", "-f", "json")
    assert result.code == 0, result.err
    keys = sorted(r.json()["key"] for r in receiver.received)
    assert keys == ["approval_expiring:credit:production:validator:victor:2026-06-15",
                    f"decision_blocked:churn:production:{factory.model_digest(1)}:{factory.POLICY['digest']}",
                    "waiver_expiring:credit:validation.fria:rita:2026-06-20"]
    blocked = next(r.json() for r in receiver.received if r.json()["kind"] == "decision_blocked")
    assert "may enter development" in blocked["text"] and "production awaits validator (0/1)" in blocked["text"]

    with Store.open() as store, connection(store, commit=True) as conn:  # someone edits a recorded verdict
        conn.execute(update(EVALUATION).where(EVALUATION.c.use_case_id == "churn").values(allowed=True))
    receiver.received.clear()
    alarm = govern("notify", "-c", config, "--as-of", AS_OF, "--within", "30", "-f", "json")
    assert alarm.code == 0, alarm.err
    [sent] = [r.json() for r in receiver.received]
    assert sent["kind"] == "audit_failure" and "evaluation" in sent["text"]
    assert govern("notify", "-c", config, "--as-of", AS_OF, "--within", "30").code == 0
    assert len(receiver.received) == 1  # the alarm too, once


@pytest.mark.parametrize("text, where, message", [
    ("channels:\n  - name: hook\n    type: webhook\n    url: https://x.example/h\n    formt: slack\n",
     ":5:5:", "unknown key `formt`"),
    ("channels:\n  - name: hook\n    type: webhook\n    url: ftp://x.example/h\n", ":4:10:", "http(s)"),
    ("retry:\n  attempts: 50\nchannels:\n  - {name: h, type: webhook, url: 'https://x.example'}\n", ":2:13:",
     "less than or equal to 10"),
    ("channels:\n  - name: m\n    type: email\n    host: smtp.example\n    sender: g@example.com\n    to: [nobody]\n",
     ":6:9:", "'nobody' is not an email address"),
    ("channels:\n  - name: m\n    type: pager\n", ":3:11:", "expected `webhook` or `email`"),
    ("events: [request_opened]\nchannels:\n  - {name: h, type: webhook, url: 'https://x.example', "
     "events: [audit_failure]}\n", ":3:64:", "top-level `events` turns off"),
    ("channels:\n  - name: h\n    type: webhook\n    url_env: GOVERN_TEST_UNSET_URL\n", ":4:14:",
     "GOVERN_TEST_UNSET_URL (`url_env` of channel `h`) is not set"),
    ("channels: [\n", ":2:1:", "invalid YAML"),
])
def test_a_bad_config_stops_with_file_line_and_what_was_expected(tmp_path, monkeypatch, text, where, message):
    monkeypatch.delenv("GOVERN_TEST_UNSET_URL", raising=False)
    path = tmp_path / "notify.yaml"
    path.write_text(text)
    result = govern("notify", "--config", path)
    assert result.code == 2, (result.out, result.err)
    assert f"{path}{where}" in result.err and message in result.err, result.err
    assert "Traceback" not in result.err


def test_a_secret_written_into_the_file_is_refused_without_being_printed(tmp_path):
    path = tmp_path / "notify.yaml"
    path.write_text(f"channels:\n  - name: m\n    type: email\n    host: smtp.example\n    username: bot\n"
                    f"    password: {SMTP_PASSWORD}\n    sender: g@example.com\n    to: [a@example.com]\n")
    result = govern("notify", "--config", path)
    assert result.code == 2 and f"{path}:6:5: error[secret-in-config]" in result.err
    assert "password_env" in result.err
    _no_secrets(result.out, result.err)
    missing = govern("notify", "--config", tmp_path / "absent.yaml")
    assert missing.code == 2 and "not found" in missing.err


def test_with_the_pack_a_request_already_answered_is_not_announced(tmp_path, pack, use_case, evidence, receiver):
    config = _config(tmp_path, f"""\
        channels:
          - {{name: hook, type: webhook, url: "{receiver.url()}"}}
        """)
    request_id = _request(pack, use_case, "--person", "victor")
    signed = govern("sign", use_case, "-p", pack, "-e", evidence, "--gate", "production", "--role", "validator",
                    "--decision", "approve", "--key", "victor", "--signer", "victor", "--at", "2026-11-01T09:00:00Z")
    assert signed.code == 0, signed.err
    answered = govern("notify", "-c", config, "-p", pack, "--dry-run", "-f", "json").json()
    assert [w["key"] for w in answered["would_send"] if w["kind"] == "request_opened"] == []
    unverified = govern("notify", "-c", config, "--dry-run", "-f", "json").json()  # without the pack: still open
    assert [w["key"] for w in unverified["would_send"] if w["kind"] == "request_opened"] == [
        f"request_opened:{request_id}"]


def test_postgresql_store_sends_once(tmp_path, pg_server, pack, use_case, receiver):
    database = pg_server.create_database()
    config = _config(tmp_path, f"""\
        events: [request_opened]
        channels:
          - {{name: hook, type: webhook, url: "{receiver.url()}"}}
        """)
    _request(pack, use_case, "--database", database)
    assert govern("notify", "-c", config, "--database", database).code == 0
    assert govern("notify", "-c", config, "--database", database).code == 0
    assert len(receiver.received) == 1
    listed = govern("requests", "-p", pack, "--database", database, "-f", "json").json()["requests"]
    assert len(listed) == 1 and listed[0]["open"]
    assert govern("audit", "verify", "--database", database).code == 0


def test_the_delivery_log_records_a_pair_once_even_for_two_concurrent_runs():
    from govern.notify.config import Channel, WebhookModel
    from govern.notify.delivery import record, sent
    from govern.notify.due import Notice
    from govern.record.store import Store

    channel = Channel("hook", "webhook", frozenset({"audit_failure"}),
                      WebhookModel(name="hook", type="webhook", url="https://x.example"))
    notice = Notice("audit_failure:3:abc", "audit_failure", None, "t", "x")
    with Store.open() as store:
        first = record(store, channel, notice, "HTTP 200", 1)
        assert first is not None and record(store, channel, notice, "HTTP 200", 1) is None  # the slower run
        assert sent(store) == {"hook|audit_failure:3:abc"}
        with pytest.raises(ValueError):
            store.record_event("signoff", "x", {})


def test_email_can_go_to_the_people_a_request_asks(tmp_path, monkeypatch, pack, use_case, mailbox):
    text = (pack / "policy.yaml").read_text()
    for person in ("victor", "vera", "rita"):
        text = text.replace(f"{{id: {person}, ", f"{{id: {person}, email: {person}@bank.example, ")
    (pack / "policy.yaml").write_text(text)
    monkeypatch.setenv("GOVERN_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    config = _config(tmp_path, f"""\
        events: [request_opened]
        channels:
          - name: asked
            type: email
            host: 127.0.0.1
            port: {mailbox.port}
            ca_file: {mailbox.ca_file}
            username: {SMTP_USER}
            password_env: GOVERN_TEST_SMTP_PASSWORD
            sender: govern@bank.example
            to_people: true
        """)
    _request(pack, use_case, "--person", "victor")
    assert govern("notify", "-c", config).code == 0 and mailbox.messages == []  # no pack: nobody to address
    result = govern("notify", "-c", config, "-p", pack)
    assert result.code == 0, result.err
    _request(pack, use_case)  # anyone holding the role: victor and vera
    assert govern("notify", "-c", config, "-p", pack).code == 0
    assert [m["to"] for m in mailbox.messages] == [["victor@bank.example"],
                                                   ["victor@bank.example", "vera@bank.example"]]
    bad = _config(tmp_path, config.read_text().replace("    to_people: true\n", ""))
    refused = govern("notify", "-c", bad)
    assert refused.code == 2 and "give `to` (addresses), `to_people: true`, or both" in refused.err


def test_a_pass_is_bounded_a_channel_that_is_down_or_over_max_per_run_waits(tmp_path, pack, use_case, receiver):
    from tests.notify.conftest import _free_port

    closed = _free_port()  # nothing listens there
    config = _config(tmp_path, f"""\
        events: [request_opened]
        max_per_run: 2
        retry: {{attempts: 2, backoff_seconds: 0.01}}
        channels:
          - {{name: down, type: webhook, url: "http://127.0.0.1:{closed}/hook"}}
          - {{name: up, type: webhook, url: "{receiver.url()}"}}
        """)
    ids = [_request(pack, use_case) for _ in range(3)]
    result = govern("notify", "-c", config, "-f", "json")
    assert result.code == 1
    data = result.json()
    [failed] = data["failed"]
    assert failed["channel"] == "down" and failed["attempts"] == 2 and "cannot reach" in failed["answer"]
    assert [s["key"] for s in data["sent"]] == [f"request_opened:{i}" for i in ids[:2]]
    deferred = {(d["channel"], d["key"]): d["why"] for d in data["deferred"]}
    assert set(deferred) == {("down", f"request_opened:{ids[1]}"), ("down", f"request_opened:{ids[2]}"),
                             ("up", f"request_opened:{ids[2]}")}
    assert "failed earlier in this run" in deferred[("down", f"request_opened:{ids[1]}")]
    assert "max_per_run is 2" in deferred[("up", f"request_opened:{ids[2]}")]
    text = govern("notify", "-c", config)  # the next run: the held-back notice goes out; `down` is still down
    assert "sent    request_opened" in text.out and "deferred  2 notice(s) -> down" in text.out
    assert [r.json()["key"] for r in receiver.received] == [f"request_opened:{i}" for i in ids]
