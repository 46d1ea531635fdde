"""A real console: the mini pack with keys, a store filled by real `govern check` runs and synthetic
decisions, tokens of every role, and the server under uvicorn on a free loopback port.

One server per backend for the session (SQLite file, and a database on the session's
PostgreSQL server from tests/record/conftest.py). Tests that write (POST a record, create a
token) use their own use case or names, so the read-only tests see the same data in any order.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tests.record.conftest import pg_server  # noqa: F401  (the session's PostgreSQL server)
from tests.sign.conftest import MINI, PEOPLE, add_keys, copy_evidence, govern

ROLES = ("viewer", "auditor", "admin")
SYNTHETIC = 60  # synthetic use cases beyond the real one: more than one page of 50


@dataclass
class World:
    root: Path
    keys: Path
    pack: Path
    use_case: Path
    evidence: Path
    records: dict[str, Path] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Iterator[World]:
    """Keys, a keyed copy of the mini pack, evidence with the FRIA, and signed record files (not stored)."""
    from govern.sign.keys import generate

    root = tmp_path_factory.mktemp("console")
    keys = root / "keys"
    keys.mkdir()
    for name in PEOPLE + ("mallory",):
        generate(name, keys)
    pack = root / "pack"
    shutil.copytree(MINI, pack)
    add_keys(pack, keys)
    evidence = copy_evidence(root / "evidence")
    w = World(root, keys, pack, pack / "use_cases" / "credit.yaml", evidence)
    with pytest.MonkeyPatch.context() as env:  # only while the records are signed: other test folders have keys of their own
        env.setenv("GOVERN_KEY_DIR", str(keys))
        at = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for signer, role in (("victor", "validator"), ("vera", "validator"), ("rita", "risk_officer")):
            out = root / f"{signer}.json"
            result = govern("sign", w.use_case, "-p", pack, "-e", evidence, "--gate", "production", "--role", role,
                            "--decision", "approve", "--key", signer, "--signer", signer, "--at", at, "--no-store",
                            "--output-record" if signer == "victor" else "-o", out)
            assert result.code == 0, result.err
            w.records[signer] = out
    yield w


@pytest.fixture(autouse=True)
def _world_keys(request, monkeypatch):
    """The console tests' keys, for each test of this folder that uses the world (and for no other test)."""
    if "world" in request.fixturenames or any(f in request.fixturenames for f in
                                              ("console", "sqlite_console", "requests_console")):
        monkeypatch.setenv("GOVERN_KEY_DIR", str(request.getfixturevalue("world").keys))


def fill(world: World, url: str) -> None:
    """The real use case checked (recorded), and synthetic ones for paging, filtering and sorting."""
    from govern.record.store import Store
    from tests.record import factory

    result = govern("check", world.use_case, "-p", world.pack, "-e", world.evidence, "--target", "production",
                    "--database", url, "-f", "json")
    assert result.code == 1, result.err  # blocked: sign-offs pending
    today = dt.datetime.now(dt.timezone.utc).date()
    with Store.open(url) as store:
        for n in range(SYNTHETIC):
            approvals = (factory.approval(signed_at=f"{today.isoformat()}T08:00:00+00:00"),) if n % 3 == 0 else ()
            store.record_decision(factory.make_decision(f"uc-{n:03d}", approvals=approvals,
                                                        fail_validation=n % 5 == 0, as_of=today))


@dataclass
class Console:
    url: str
    base: str
    tokens: dict[str, str]
    world: World
    app: object

    def client(self, role: str | None = None, **kw):
        import httpx

        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60, follow_redirects=False, **kw)


def start(app) -> tuple[object, threading.Thread, str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           proxy_headers=False, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def stop(server, thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


def serve(world: World, url: str, **settings) -> Iterator[Console]:
    from govern.record.store import Store
    from govern.server.command import build
    from govern.server.settings import ConsoleSettings
    from govern.server.tokens import create

    with Store.open(url) as store:
        tokens = {role: create(store, f"{role}-{os.urandom(3).hex()}", role)[1] for role in ROLES}
    app = build(ConsoleSettings(database=url, policies=[world.pack], **settings).check())
    server, thread, base = start(app)
    try:
        yield Console(url, base, tokens, world, app)
    finally:
        stop(server, thread)
        app.state.console.store.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def console(request, world, tmp_path_factory) -> Iterator[Console]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('console-store') / 'govern.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    fill(world, url)
    yield from serve(world, url)


@pytest.fixture(scope="session")
def sqlite_console(world, tmp_path_factory) -> Iterator[Console]:
    """A console of its own for tests that change what the queue shows (the browser's sign-off)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('console-own') / 'govern.db'}"
    fill(world, url)
    yield from serve(world, url)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots go: $GOVERN_TEST_ARTIFACTS (kept by CI), else a temporary folder."""
    chosen = os.environ.get("GOVERN_TEST_ARTIFACTS")
    folder = Path(chosen) / "console" if chosen else tmp_path_factory.mktemp("console-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
