"""The console's HTTP API and pages against a real server: who may see what, the CLI's JSON shapes,
ETags, paging, CSRF, the trusted header, anonymous access, the rate limit and signed-record posts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.server.conftest import SYNTHETIC, fill, serve
from tests.sign.conftest import govern

UC = "consumer-credit"
#: (method, path, the least role that may, status when allowed); evaluation 1 is the real check
ENDPOINTS = [
    ("GET", "/api/v1/inventory", "viewer", 200),
    ("GET", f"/api/v1/use-cases/{UC}", "viewer", 200),
    ("GET", f"/api/v1/use-cases/{UC}/history", "viewer", 200),
    ("GET", "/api/v1/decisions/1", "auditor", 200),
    ("GET", "/api/v1/decisions/1/report.pdf", "auditor", None),  # rendered in the browser test
    ("GET", "/api/v1/queue", "viewer", 200),
    ("GET", "/api/v1/expiring", "viewer", 200),
    ("GET", "/api/v1/audit", "auditor", 200),
    ("GET", "/api/v1/audit/events", "auditor", 200),
    ("GET", "/api/v1/policies", "viewer", 200),
    ("GET", "/api/v1/openapi.json", "viewer", 200),
    ("POST", "/api/v1/signed-records", "viewer", 422),  # a forged body: refused after authorisation
    ("GET", "/api/v1/tokens", "admin", 200),
    ("POST", "/api/v1/tokens/nobody-by-that-name/revoke", "admin", 404),
    ("GET", "/api/v1/access-log", "admin", 200),
    ("GET", "/inventory", "viewer", 200),
    ("GET", f"/use-cases/{UC}", "viewer", 200),
    ("GET", f"/use-cases/{UC}/gate-graph.svg", "viewer", 200),
    ("GET", "/decisions/1", "auditor", 200),
    ("GET", "/decisions/1/decision.json", "auditor", 200),
    ("GET", "/decisions/1/report.pdf", "auditor", None),
    ("GET", "/queue", "viewer", 200),
    ("GET", "/expiring", "viewer", 200),
    ("GET", "/audit", "auditor", 200),
    ("GET", "/policy", "viewer", 200),
    ("GET", "/submit", "viewer", 200),
    ("GET", "/tokens", "admin", 200),
]
RANK = {None: -1, "viewer": 0, "auditor": 1, "admin": 2}


def forged(console) -> bytes:
    data = json.loads(console.world.records["victor"].read_text())
    data["comment"] = "approved (edited after signing)"
    return json.dumps(data).encode()


@pytest.mark.parametrize("role", [None, "viewer", "auditor", "admin"])
def test_every_endpoint_answers_each_role_as_the_matrix_says(console, role):
    with console.client(role) as client:
        for method, path, least, allowed in ENDPOINTS:
            if RANK[role] >= RANK[least] and allowed is None:
                continue  # PDFs: rendered once, in the browser test
            body = forged(console) if path == "/api/v1/signed-records" else None
            r = client.request(method, path, content=body)
            if role is None:
                expected = 401 if path.startswith("/api/") else 303  # pages send the browser to the login form
                assert r.status_code == expected, (method, path, r.status_code, r.text[:200])
                if expected == 303:
                    assert r.headers["location"].startswith("/login?next=")
                else:
                    assert r.headers["www-authenticate"].startswith("Bearer")
            elif RANK[role] < RANK[least]:
                assert r.status_code == 403, (role, method, path, r.status_code)
            else:
                assert r.status_code == allowed, (role, method, path, r.status_code, r.text[:300])


def test_the_api_serves_the_clis_json(console):
    status = govern("status", "-f", "json", "--database", console.url)
    assert status.code == 0, status.err
    cli = status.json()
    with console.client("viewer") as client:
        api = client.get("/api/v1/inventory", params={"limit": 500}).json()
        history = client.get(f"/api/v1/use-cases/{UC}/history").json()
        one = client.get(f"/api/v1/use-cases/{UC}").json()
    assert set(api) == set(cli) | {"page"}
    assert api["use_cases"] == cli["use_cases"] and api["as_of"] == cli["as_of"]
    assert len(api["use_cases"]) == SYNTHETIC + 1 == api["page"]["total"]
    assert one == next(u for u in cli["use_cases"] if u["use_case"] == UC)
    assert history == govern("history", UC, "-f", "json", "--database", console.url).json()
    with console.client("auditor") as client:
        audit = client.get("/api/v1/audit").json()
        decision = client.get("/api/v1/decisions/1").json()
    with console.client("viewer") as client:
        paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert {"/api/v1/inventory", "/api/v1/use-cases/{use_case_id}/history", "/api/v1/decisions/{evaluation_id}",
            "/api/v1/audit", "/api/v1/signed-records", "/api/v1/queue"} <= paths
    assert not any(p.startswith(("/inventory", "/login")) for p in paths)  # pages are not the API
    verify = govern("audit", "verify", "-f", "json", "--database", console.url)
    assert verify.code == 0 and audit == verify.json()
    assert decision["use_case"]["id"] == UC and decision["decision_digest"] == history["evaluations"][0]["decision_digest"]


def test_paging_filtering_sorting_and_etags(console):
    with console.client("viewer") as client:
        first = client.get("/api/v1/inventory", params={"limit": 50})
        assert first.status_code == 200 and len(first.json()["use_cases"]) == 50
        page = first.json()["page"]
        assert page == {"offset": 0, "limit": 50, "total": SYNTHETIC + 1, "next": 50, "previous": None}
        rest = client.get("/api/v1/inventory", params={"offset": 50, "limit": 50}).json()
        ids = [u["use_case"] for u in first.json()["use_cases"] + rest["use_cases"]]
        assert ids == sorted(ids) and len(set(ids)) == SYNTHETIC + 1
        again = client.get("/api/v1/inventory", params={"limit": 50}, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        blocked = client.get("/api/v1/inventory", params={"stage": "development", "limit": 500}).json()["use_cases"]
        assert blocked and all(u["furthest_stage"] == "development" for u in blocked)
        assert {u["use_case"] for u in blocked} == {f"uc-{n:03d}" for n in range(SYNTHETIC) if n % 5 == 0}
        found = client.get("/api/v1/inventory", params={"q": "CONSUMER"}).json()["use_cases"]
        assert [u["use_case"] for u in found] == [UC]
        newest = client.get("/api/v1/inventory", params={"sort": "recorded", "order": "desc", "limit": 1}).json()
        assert newest["use_cases"][0]["use_case"] == f"uc-{SYNTHETIC - 1:03d}"
        assert client.get("/api/v1/inventory", params={"pack": "no-such-pack"}).json()["use_cases"] == []
        page_html = client.get("/inventory", params={"offset": 50})
        assert page_html.status_code == 200 and "51–61 of 61" in page_html.text


def test_the_queue_names_who_may_sign_and_the_command(console):
    with console.client("viewer") as client:
        rows = client.get("/api/v1/queue", params={"person": "victor"}).json()["pending"]
    (row,) = [r for r in rows if r["use_case"] == UC]
    assert row["gate"] == "production" and row["role"] == "validator" and set(row["holders"]) == {"victor", "vera"}
    assert "govern sign" in row["command"] and "--signer victor" in row["command"]
    assert f"--policy {console.world.pack}" in row["command"]
    assert [r["waiting_since"] for r in rows] == sorted(r["waiting_since"] for r in rows)


def test_a_forged_or_foreign_record_is_refused_and_nothing_is_stored(console):
    from govern.sign.keys import fingerprint, load_private_key
    from govern.sign.payload import record_text, sign
    from govern.sign.records import SignedRecord

    def size():
        from govern.record.store import Store

        with Store.open(console.url) as store:
            return store.head().size

    before = size()
    data = json.loads(console.world.records["vera"].read_text())
    key = load_private_key(console.world.keys / "mallory.key")
    payload = {**{k: v for k, v in data.items() if k != "signature"},
               "key_fingerprint": fingerprint(key.public_key())}  # vera's record, signed with a key of nobody's
    mallory = sign(key, payload)
    vera_by_mallory = record_text(SignedRecord("signoff", payload, mallory.signature), "json").encode()
    with console.client("viewer") as client:
        for body, fragment in ((forged(console), "signature does not verify"),
                               (vera_by_mallory, "belongs to nobody"),
                               (b"kind: signoff\nuse_case: x\n", "missing signed field"),
                               (b"{not json", "invalid JSON"),
                               (b"x" * 70_000, "at most")):
            r = client.post("/api/v1/signed-records", content=body)
            assert r.status_code in (400, 413, 422), r.text
            assert fragment in json.dumps(r.json()), r.text
    assert size() == before  # nothing stored, not even an event


def test_a_verified_record_is_stored_once_and_shows_in_the_queue(console):
    body = console.world.records["rita"].read_bytes()
    with console.client("viewer") as client:
        first = client.post("/api/v1/signed-records", content=body)
        assert first.status_code == 201, first.text
        stored = first.json()
        assert stored["kind"] == "signoff" and stored["created"] and stored["use_case"] == UC
        again = client.post("/api/v1/signed-records", content=body)
        assert again.status_code == 200 and again.json()["id"] == stored["id"] and not again.json()["created"]
        rows = client.get("/api/v1/queue", params={"role": "risk_officer"}).json()["pending"]
        assert any(r["use_case"] == UC for r in rows)  # still pending until the next check counts it...
        entry = next(r for r in rows if r["use_case"] == UC)
        assert [s["signer"] for s in entry["signed_since"]] == ["rita"]  # ...which the queue says
        mine = client.get("/api/v1/queue", params={"person": "rita"}).json()["pending"]
        assert not any(r["use_case"] == UC for r in mine)  # not in rita's own queue any more
    history = govern("history", UC, "-f", "json", "--database", console.url).json()
    assert any(r["kind"] == "signoff" and r["signer"] == "rita" for r in history["signed_records"])


def test_security_headers_on_pages_and_api(console):
    with console.client("viewer") as client:
        for path in ("/inventory", "/api/v1/inventory"):
            r = client.get(path)
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        page = client.get(f"/use-cases/{UC}").text
        assert "<script" not in page and " style=" not in page  # nothing inline for the CSP to allow


def test_csrf_cookie_sessions_need_the_token_bearer_headers_do_not(console):
    import httpx

    with httpx.Client(base_url=console.base, follow_redirects=False) as browser:
        login_page = browser.get("/login")
        csrf_cookie = browser.cookies.get("govern_csrf")
        assert login_page.status_code == 200 and csrf_cookie and f'value="{csrf_cookie}"' in login_page.text
        refused = browser.post("/login", data={"token": console.tokens["admin"]})  # no csrf field
        assert refused.status_code == 403 and "govern_token" not in browser.cookies
        ok = browser.post("/login", data={"token": console.tokens["admin"], "csrf": csrf_cookie, "next": "/tokens"})
        assert ok.status_code == 303 and ok.headers["location"] == "/tokens" and browser.cookies.get("govern_token")
        assert browser.get("/tokens").status_code == 200
        # a form posted from another site carries the cookie but cannot know the csrf value
        assert browser.post("/tokens", data={"action": "create", "name": "csrf-victim", "role": "admin"}).status_code == 403
        assert browser.post("/tokens", data={"action": "create", "name": "csrf-victim", "role": "admin",
                                             "csrf": "guessed"}).status_code == 403
        assert browser.post("/api/v1/signed-records", content=forged(console)).status_code == 403
        assert browser.post("/api/v1/signed-records", content=forged(console),
                            headers={"X-CSRF-Token": csrf_cookie}).status_code == 422
        made = browser.post("/tokens", data={"action": "create", "name": "csrf-ok", "role": "viewer",
                                             "csrf": csrf_cookie})
        assert made.status_code == 201 and "gvt_" in made.text
    with console.client("admin") as client:
        names = [t["name"] for t in client.get("/api/v1/tokens").json()["tokens"]]
    assert "csrf-ok" in names and "csrf-victim" not in names
    with console.client("viewer") as client:  # a bearer header is never sent by a browser on its own: no csrf needed
        assert client.post("/api/v1/signed-records", content=forged(console)).status_code == 422


def test_auditors_are_logged_viewers_are_not(console):
    with console.client("viewer") as client:
        client.get("/api/v1/inventory", params={"q": "viewer-was-here"})
    with console.client("auditor") as client:
        client.get("/api/v1/audit/events", params={"limit": 3})
        client.get("/decisions/1")
    with console.client("admin") as client:
        entries = client.get("/api/v1/access-log", params={"limit": 500}).json()["entries"]
    paths = [(e["role"], e["path"], e["status"]) for e in entries]
    assert ("auditor", "/api/v1/audit/events?limit=3", 200) in paths and ("auditor", "/decisions/1", 200) in paths
    assert not any("viewer-was-here" in p for _, p, _ in paths) and all(r != "viewer" for r, _, _ in paths)
    assert not any("gvt_" in json.dumps(e) for e in entries)  # no secret in the log


def test_tokens_from_the_cli_are_hashed_and_revocable(console):
    import httpx

    made = govern("tokens", "create", "--name", "cli-made", "--role", "auditor", "-f", "json", "--database", console.url)
    assert made.code == 0, made.err
    token = made.json()["token"]
    listed = govern("tokens", "list", "-f", "json", "--database", console.url).json()["tokens"]
    assert any(t["name"] == "cli-made" and t["active"] for t in listed) and token not in json.dumps(listed)
    from sqlalchemy import text

    from govern.record.store import Store

    with Store.open(console.url) as store, store.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM console_token WHERE name = 'cli-made'")).scalar()
    assert stored != token and len(stored) == 64 and token not in stored
    with httpx.Client(base_url=console.base, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/api/v1/audit").status_code == 200
        assert govern("tokens", "create", "--name", "cli-made", "--role", "viewer", "--database",
                      console.url).code == 2  # names are never reused
        assert govern("tokens", "revoke", "cli-made", "--database", console.url).code == 0
        assert client.get("/api/v1/audit").status_code == 401


def test_trusted_header_only_from_the_proxy(world, sqlite_console):
    console = sqlite_console  # settings, not storage: one backend is enough
    import httpx

    elsewhere = serve(world, console.url, trusted_header="X-Forwarded-Email", trusted_proxies=["10.9.9.9"])
    c = next(elsewhere)
    try:
        with httpx.Client(base_url=c.base, headers={"X-Forwarded-Email": "ana@example.org"}) as client:
            assert client.get("/api/v1/inventory").status_code == 401  # not from the proxy: ignored
    finally:
        next(elsewhere, None)
    proxied = serve(world, console.url, trusted_header="X-Forwarded-Email", trusted_proxies=["127.0.0.0/8"],
                    header_roles={"ana@example.org": "auditor"})
    c = next(proxied)
    try:
        with httpx.Client(base_url=c.base, headers={"X-Forwarded-Email": "ana@example.org"}) as ana:
            assert ana.get("/api/v1/audit").status_code == 200
            assert ana.post("/api/v1/signed-records", content=b"{}").status_code == 403  # ambient: csrf needed
        with httpx.Client(base_url=c.base, headers={"X-Forwarded-Email": "bob@example.org"}) as bob:
            assert bob.get("/api/v1/inventory").status_code == 200 and bob.get("/api/v1/audit").status_code == 403
        with httpx.Client(base_url=c.base) as nobody:
            assert nobody.get("/api/v1/inventory").status_code == 401
    finally:
        next(proxied, None)


def test_anonymous_only_on_loopback(world, sqlite_console):
    console = sqlite_console  # settings, not storage: one backend is enough
    import httpx

    from govern.errors import InputError
    from govern.server.settings import ConsoleSettings

    with pytest.raises(InputError, match="only allowed on loopback"):
        ConsoleSettings(host="0.0.0.0", allow_anonymous=True).check()
    refused = govern("serve", "--host", "0.0.0.0", "--allow-anonymous", "--database", console.url)
    assert refused.code == 2 and "loopback" in refused.err
    assert govern("serve", "--trusted-header", "X-Forwarded-Email", "--database", console.url).code == 2
    anonymous = serve(world, console.url, allow_anonymous=True)
    c = next(anonymous)
    try:
        with httpx.Client(base_url=c.base) as client:
            assert client.get("/api/v1/audit").status_code == 200  # your machine, your audit
            assert client.get("/api/v1/tokens").status_code == 403  # never an admin
    finally:
        next(anonymous, None)


def test_failed_token_checks_are_rate_limited(world, sqlite_console):
    console = sqlite_console  # settings, not storage: one backend is enough
    import httpx

    limited = serve(world, console.url, token_failures_per_minute=3)
    c = next(limited)
    try:
        for n in range(3):
            with httpx.Client(base_url=c.base, headers={"Authorization": f"Bearer gvt_guess{n}"}) as client:
                assert client.get("/api/v1/inventory").status_code == 401
        with c.client("viewer") as client:  # a valid token from the same address must wait too
            r = client.get("/api/v1/inventory")
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    finally:
        next(limited, None)


@pytest.fixture
def requests_console(world, tmp_path):
    """A store of this test's own: it records requests and a sign-off."""
    url = f"sqlite:///{tmp_path / 'govern.db'}"
    fill(world, url)
    yield from serve(world, url)


def test_the_queue_shows_open_requests_until_a_verified_sign_off_answers_them(requests_console, monkeypatch):
    """`govern request` opens a row (its own for a named person; on the pending row for a role),
    and only a verified sign-off recorded after it closes it: re-derived, never a flag."""
    c, w = requests_console, requests_console.world
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    for extra in (("--person", "vera"), ()):
        asked = govern("request", w.use_case, "-p", w.pack, "--gate", "production", "--role", "validator",
                       "--due", due, "--database", c.url, *extra)
        assert asked.code == 0, asked.err

    def rows(**params):
        with c.client("viewer") as client:
            return [r for r in client.get("/api/v1/queue", params=params).json()["pending"] if r["use_case"] == UC]

    mine = rows(person="vera")
    named = [r for r in mine if r["request"] and r["person"] == "vera"]
    assert len(named) == 1 and named[0]["due"] == due and named[0]["holders"] == ["vera"]
    assert "--signer vera" in named[0]["command"] and "--gate production" in named[0]["command"]
    for_role = [r for r in rows(role="validator") if r["status"]]  # the pending row carries the role's request
    assert len(for_role) == 1 and for_role[0]["request"] and for_role[0]["due"] == due
    assert not [r for r in rows(person="victor") if r.get("person") == "vera"]  # vera's request is hers

    monkeypatch.setenv("GOVERN_DATABASE_URL", c.url)  # `govern sign` stores where the environment says
    signed = govern("sign", w.use_case, "-p", w.pack, "-e", w.evidence, "--gate", "production", "--role",
                    "validator", "--decision", "approve", "--key", "vera", "--signer", "vera")
    assert signed.code == 0, signed.err
    assert not [r for r in rows(person="vera") if r["request"] and r.get("person") == "vera"]
