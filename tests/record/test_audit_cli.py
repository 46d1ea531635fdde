"""The verifiable log from the command line: checkpoint, verify --checkpoint, prove, check-proof, schedules, status."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from tests.record.test_cli import BLOCKED, EVIDENCE, check_args, govern


@pytest.fixture
def env(tmp_path):
    keys = tmp_path / "keys"
    environment = {"GOVERN_KEY_DIR": str(keys)}
    for name in ("witness", "stranger"):
        assert govern("keys", "generate", "--name", name, cwd=tmp_path, env=environment).returncode == 0
    return environment


def fingerprint(tmp_path, env, name):
    out = govern("keys", "show", str(tmp_path / "keys" / f"{name}.pub"), "-f", "json", cwd=tmp_path, env=env)
    return json.loads(out.stdout)["fingerprint"]


def test_checkpoint_verify_prove_and_check_proof(tmp_path, env):
    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    made = govern("audit", "checkpoint", "--key", "witness", "-o", "audit/cp.json", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    cp = json.loads((tmp_path / "audit" / "cp.json").read_text())
    assert cp["format"] == "govern-checkpoint" and cp["version"] == 1 and cp["tree_size"] == 3
    assert govern(*check_args(BLOCKED, "--target", "production"), cwd=tmp_path, env=env).returncode == 1

    verify = govern("audit", "verify", "--checkpoint", "audit/cp.json", cwd=tmp_path, env=env)
    assert verify.returncode == 0 and "your checkpoint of 3 leaves" in verify.stdout and "consistent" in verify.stdout
    pinned = govern("audit", "verify", "--checkpoint", "audit/cp.json", "--witness-key",
                    fingerprint(tmp_path, env, "witness"), cwd=tmp_path, env=env)
    assert pinned.returncode == 0
    wrong = govern("audit", "verify", "--checkpoint", "audit/cp.json", "--witness-key",
                   str(tmp_path / "keys" / "stranger.pub"), cwd=tmp_path, env=env)
    assert wrong.returncode == 2 and "not by the witness" in wrong.stderr and "cp.json" in wrong.stderr

    prove = govern("audit", "prove", "--evaluation", "1", "--checkpoint", "audit/cp.json", "-o", "p.json",
                   cwd=tmp_path, env=env)
    assert prove.returncode == 0, prove.stderr
    ok = govern("audit", "check-proof", "p.json", "--checkpoint", "audit/cp.json", cwd=tmp_path, env=env)
    assert ok.returncode == 0 and "proven: event 2 (evaluation of consumer-credit" in ok.stdout
    text = (tmp_path / "p.json").read_text()
    (tmp_path / "p.json").write_text(text.replace('\\"allowed\\":true', '\\"allowed\\":fals'))
    bad = govern("audit", "check-proof", "p.json", "--checkpoint", "audit/cp.json", "-f", "json", cwd=tmp_path,
                 env=env)
    assert bad.returncode == 1 and "payload does not match its digest" in " ".join(json.loads(bad.stdout)["problems"])
    newer = govern("audit", "prove", "3", "--checkpoint", "audit/cp.json", cwd=tmp_path, env=env)
    assert newer.returncode == 2 and "newer than the checkpoint" in newer.stderr
    unsigned = govern("audit", "prove", "3", cwd=tmp_path, env=env)
    assert unsigned.returncode == 0 and "no stored checkpoint covers event 3" in unsigned.stderr

    (tmp_path / "audit" / "broken.json").write_text('{\n  "format": "govern-checkpoint",\n  "version": 7\n}\n')
    broken = govern("audit", "verify", "--checkpoint", "audit/broken.json", cwd=tmp_path, env=env)
    assert broken.returncode == 2 and "broken.json:3:" in broken.stderr and "version 7" in broken.stderr


def test_a_recomputed_rewrite_passes_verify_but_not_verify_with_a_checkpoint(tmp_path, env):
    from govern.record.store import Store
    from tests.record.attacker import connection, rewrite_row

    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    assert govern("audit", "checkpoint", "--key", "witness", "-o", "cp.json", cwd=tmp_path, env=env).returncode == 0
    with Store.open(f"sqlite:///{tmp_path / '.govern' / 'govern.db'}") as store:
        with connection(store, commit=True) as conn:
            conn.exec_driver_sql("DELETE FROM checkpoint")
            rewrite_row(conn, "evaluation", 1, "furthest_stage", "production")
    assert govern("audit", "verify", cwd=tmp_path, env=env).returncode == 0
    caught = govern("audit", "verify", "--checkpoint", "cp.json", cwd=tmp_path, env=env)
    assert caught.returncode == 1 and "TAMPERED" in caught.stdout and "no longer lead to" in caught.stdout


def test_an_edited_row_is_named_and_the_views_keep_showing_the_log(tmp_path, env):
    assert govern(*check_args(BLOCKED, "--target", "production"), cwd=tmp_path, env=env).returncode == 1
    before = govern("history", "consumer-credit", "-f", "json", cwd=tmp_path, env=env).stdout
    with sqlite3.connect(tmp_path / ".govern" / "govern.db") as conn:
        conn.execute("UPDATE evaluation SET furthest_stage = 'monitoring', allowed = 1")
    verify = govern("audit", "verify", "-f", "json", cwd=tmp_path, env=env)
    report = json.loads(verify.stdout)
    assert verify.returncode == 1 and (report["table"], report["key"], report["column"]) == (
        "evaluation", 1, "allowed")
    assert govern("history", "consumer-credit", "-f", "json", cwd=tmp_path, env=env).stdout == before
    with sqlite3.connect(tmp_path / ".govern" / "govern.db") as conn:  # now the event itself
        conn.execute("UPDATE audit_event SET payload_json = replace(payload_json, 'pending', 'passed') WHERE seq = 2")
    for args in (("status",), ("history", "consumer-credit")):
        shown = govern(*args, cwd=tmp_path, env=env)
        assert shown.returncode == 1 and "audit log was altered" in shown.stderr and "event 2" in shown.stderr


def config(tmp_path, text):
    (tmp_path / ".govern").mkdir(exist_ok=True)
    (tmp_path / ".govern" / "config.toml").write_text(text)


def stored_checkpoints(tmp_path):
    with sqlite3.connect(tmp_path / ".govern" / "govern.db") as conn:
        return [r[0] for r in conn.execute("SELECT tree_size FROM checkpoint ORDER BY id")]


def test_check_signs_checkpoints_on_schedule(tmp_path, env):
    config(tmp_path, "[checkpoints]\nevery = 2\non_targets = [\"production\"]\n")
    scheduled = {**env, "GOVERN_WITNESS_KEY": "witness"}
    for _ in range(3):  # events 1 (policy) + 2, then 3, then 4
        assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=scheduled).returncode == 0
    assert stored_checkpoints(tmp_path) == [3, 5]  # after 2 events, and 2 more
    assert govern(*check_args(BLOCKED, "--target", "production"), cwd=tmp_path, env=scheduled).returncode == 1
    assert stored_checkpoints(tmp_path) == [3, 5, 6]  # each production decision
    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    assert stored_checkpoints(tmp_path) == [3, 5, 6]  # no witness key, no checkpoint
    latest = govern("audit", "checkpoint", "--latest", "-o", "latest.json", cwd=tmp_path, env=env)
    assert latest.returncode == 0 and json.loads((tmp_path / "latest.json").read_text())["tree_size"] == 6
    assert govern("audit", "verify", "--checkpoint", "latest.json", cwd=tmp_path, env=env).returncode == 0


def test_an_unusable_witness_key_stops_check_before_anything_is_recorded(tmp_path, env):
    result = govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path,
                    env={**env, "GOVERN_WITNESS_KEY": "nobody"})
    assert result.returncode == 2 and "key-not-found" in result.stderr and result.stdout == ""
    with sqlite3.connect(tmp_path / ".govern" / "govern.db") as conn:
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone() == (0,)
    config(tmp_path, "[checkpoints]\nevery = -1\n")
    bad = govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "checkpoints.every" in bad.stderr


def test_status_warns_when_the_newest_checkpoint_is_too_old(tmp_path, env):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.record.store import Store

    config(tmp_path, "[checkpoints]\nmax_age = \"7d\"\n")
    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    none_yet = govern("status", cwd=tmp_path, env=env)
    assert none_yet.returncode == 0 and "no checkpoint yet" in none_yet.stderr
    with Store.open(f"sqlite:///{tmp_path / '.govern' / 'govern.db'}") as store:
        store.checkpoint(Ed25519PrivateKey.generate(), at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=9))
    old = govern("status", "-f", "json", cwd=tmp_path, env=env)
    info = json.loads(old.stdout)["checkpoint"]
    assert "9 days old" in info["warning"] and info["uncovered_events"] == 0 and info["max_age"] == "7d"
    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    assert "leaves 1 event(s) uncovered" in govern("status", cwd=tmp_path, env=env).stderr
    assert govern("audit", "checkpoint", "--key", "witness", cwd=tmp_path, env=env).returncode == 0
    fresh = govern("status", cwd=tmp_path, env=env)
    assert fresh.returncode == 0 and "warning" not in fresh.stderr


def test_a_checkpoint_leaves_the_database_for_a_git_repository_and_a_webhook(tmp_path, env):
    import http.server
    import shutil
    import subprocess
    import threading

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path, env=env).returncode == 0
    repo = tmp_path / "auditor"
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    received: list[bytes] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)  # loopback only
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/checkpoints"
    made = govern("audit", "checkpoint", "--key", "witness", "-o", "cp.json", "--git", str(repo), "--webhook", url,
                  cwd=tmp_path, env=env)
    thread.join(10)
    server.server_close()
    assert made.returncode == 0, made.stderr
    assert "committed to" in made.stdout and "posted to" in made.stdout
    written = (tmp_path / "cp.json").read_bytes()
    assert received == [written]
    (committed,) = (repo / "checkpoints").iterdir()
    assert committed.read_bytes() == written
    log = subprocess.run(["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True, check=True)
    assert "govern audit checkpoint: 3 leaves" in log.stdout
    # a receiver that is not there: the checkpoint is stored, the delivery failure is exit 2
    refused = govern("audit", "checkpoint", "--latest", "--webhook", url, cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "stored but was not delivered" in refused.stderr
    not_git = govern("audit", "checkpoint", "--latest", "--git", str(tmp_path / "keys"), cwd=tmp_path, env=env)
    assert not_git.returncode == 2 and "not a git work tree" in not_git.stderr
