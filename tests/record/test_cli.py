"""The store from the command line: check records (or not), status, history, audit verify/export, start-up."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.record.conftest import ROOT

MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = MINI / "use_cases" / "credit.yaml"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
BLOCKED = ROOT / "examples" / "credit-risk" / "evidence-blocked"


def govern(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "GOVERN_DATABASE_URL"}
    full_env.update({"NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env, timeout=120)


def check_args(evidence: Path = EVIDENCE, *extra: str) -> list[str]:
    return ["check", str(CREDIT), "-p", str(MINI), "-e", str(evidence), "-f", "json", *extra]  # today (UTC)


def test_check_records_by_default_and_the_views_show_it(tmp_path):
    ok = govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    blocked = govern(*check_args(BLOCKED, "--target", "production"), cwd=tmp_path)
    assert blocked.returncode == 1, blocked.stderr  # a blocked decision is recorded too
    db = tmp_path / ".govern" / "govern.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), sum(allowed) FROM evaluation").fetchone() == (2, 1)
        digest = conn.execute("SELECT decision_digest FROM evaluation WHERE id = 1").fetchone()[0]
    assert digest == json.loads(ok.stdout)["decision_digest"]

    status = govern("status", "-f", "json", "--as-of", "2026-06-01", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    (item,) = json.loads(status.stdout)["use_cases"]
    assert item["use_case"] == "consumer-credit" and item["tier"] == "high"
    assert item["last_decision"]["allowed"] is False and item["model"]["name"]
    text = govern("status", cwd=tmp_path)
    assert "consumer-credit" in text.stdout and "1 use case" in text.stdout

    history = govern("history", "consumer-credit", "-f", "json", cwd=tmp_path)
    assert [e["target"] for e in json.loads(history.stdout)["evaluations"]] == ["validation", "production"]
    assert "policy mini 1.0.0" in govern("history", "consumer-credit", cwd=tmp_path).stdout
    unknown = govern("history", "consumer-credi", cwd=tmp_path)
    assert unknown.returncode == 2 and "consumer-credit" in unknown.stderr  # did you mean

    verify = govern("audit", "verify", cwd=tmp_path)
    assert verify.returncode == 0 and "intact: 3 events" in verify.stdout
    out = tmp_path / "audit" / "events.jsonl"
    export = govern("audit", "export", "--format", "jsonl", "-o", str(out), cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["kind"] for e in events] == ["policy", "evaluation", "evaluation"]
    assert events[1]["prev_hash"] == events[0]["hash"]

    with sqlite3.connect(db) as conn:  # an auditor's worst day: someone edits the log
        conn.execute("UPDATE audit_event SET payload_json = replace(payload_json, 'true', 'fals') WHERE seq = 2")
    tampered = govern("audit", "verify", "-f", "json", cwd=tmp_path)
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["first_bad_seq"] == 2
    assert "TAMPERED at event 2" in govern("audit", "verify", cwd=tmp_path).stdout


def test_no_record_and_database_option(tmp_path):
    result = govern(*check_args(EVIDENCE, "--target", "validation", "--no-record"), cwd=tmp_path)
    assert result.returncode == 0 and not (tmp_path / ".govern").exists()
    other = tmp_path / "elsewhere.db"
    result = govern(*check_args(EVIDENCE, "--target", "validation", "--database", f"sqlite:///{other}"), cwd=tmp_path)
    assert result.returncode == 0 and other.exists() and not (tmp_path / ".govern").exists()
    env = {"GOVERN_DATABASE_URL": f"sqlite:///{other}"}
    assert "intact: 2 events" in govern("audit", "verify", cwd=tmp_path, env=env).stdout


def test_unusable_store_is_exit_2_with_nothing_written(tmp_path):
    (tmp_path / ".govern").write_text("not a folder")
    result = govern(*check_args(EVIDENCE, "--target", "validation"), cwd=tmp_path)
    assert result.returncode == 2
    assert "store-unavailable" in result.stderr and "--no-record" in result.stderr
    assert result.stdout == ""  # no decision is claimed when it could not be recorded


def test_check_without_recording_stays_lean_and_recording_skips_alembic(tmp_path):
    code = ("import sys; from govern.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'psycopg') if m in sys.modules))")
    args = [str(a) for a in check_args(EVIDENCE, "--target", "validation")]

    def loaded(*extra: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "GOVERN_DATABASE_URL"}  # the store in tmp_path
        out = subprocess.run([sys.executable, "-c", code, *args, *extra], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120, env=env)
        return out.stdout.strip().splitlines()[-1]

    assert loaded("--no-record") == "LOADED []"
    assert loaded() == "LOADED ['alembic', 'sqlalchemy', 'sqlmodel']"  # first open: migrates
    assert loaded() == "LOADED ['sqlalchemy', 'sqlmodel']"  # at head: no Alembic, no psycopg


def test_reading_commands_never_create_a_store(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GOVERN_DATABASE_URL"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "govern", *args], cwd=tmp_path, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    status = run("status")
    assert status.returncode == 0 and "no decisions recorded yet" in status.stdout
    for args in (("audit", "verify"), ("audit", "export"), ("history", "anything")):
        result = run(*args)
        assert result.returncode == 2 and "no audit store" in result.stderr, args
    assert not (tmp_path / ".govern").exists()
