"""`govern serve` and `govern tokens` as commands: help that teaches, usage errors, lean start-up, a log
that was altered shown as such."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sign.conftest import govern

ROOT = Path(__file__).resolve().parents[2]


def test_help_teaches():
    serve = govern("serve", "--help")
    assert serve.code == 0
    for fragment in ("--trusted-header", "--trusted-proxy", "--allow-anonymous", "loopback", "docs/console.md",
                     "Examples:", "/api/v1/"):
        assert fragment in serve.out, fragment
    tokens = govern("tokens", "--help")
    assert tokens.code == 0 and "viewer" in tokens.out and "auditor" in tokens.out and "stored only as its sha256" in tokens.out


def test_no_store_is_a_usage_error(tmp_path):
    missing = f"sqlite:///{tmp_path / 'none' / 'govern.db'}"
    for args in (("serve",), ("tokens", "list"), ("tokens", "create", "--name", "x", "--role", "viewer")):
        result = govern(*args, "--database", missing)
        assert result.code == 2 and "no audit store" in result.err, (args, result.err)
    assert not (tmp_path / "none").exists()  # asking never creates a store


def test_govern_starts_without_the_console_stack():
    code = ("import sys; from govern.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', [m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2', 'sqlalchemy') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr[-500:]


def test_an_altered_log_is_refused_not_shown(tmp_path):
    """An event edited in place: the API answers 409 and shows nothing from it, as `govern status` exits 1."""
    import httpx
    from sqlalchemy import text

    from govern.record.store import Store
    from govern.server.command import build
    from govern.server.settings import ConsoleSettings
    from govern.server.tokens import create
    from tests.record import factory
    from tests.server.conftest import start, stop

    url = f"sqlite:///{tmp_path / 'g.db'}"
    with Store.open(url) as store:
        store.record_decision(factory.make_decision("credit"))
        _, token = create(store, "auditor", "auditor")
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET payload_json = replace(payload_json, '\"high\"', '\"minimal\"') "
                              "WHERE kind = 'evaluation'"))
    app = build(ConsoleSettings(database=url).check())
    server, thread, base = start(app)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            r = client.get("/api/v1/inventory")
            assert r.status_code == 409 and "altered" in r.json()["error"] and "minimal" not in r.text
            page = client.get("/inventory")
            assert page.status_code == 409 and "govern audit verify" in page.text
            audit = client.get("/api/v1/audit").json()
            assert audit["ok"] is False and audit["first_bad_seq"] == 2
    finally:
        stop(server, thread)
        app.state.console.store.close()
    assert govern("status", "--database", url).code == 1
