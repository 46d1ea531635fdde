"""The console's inventory page at 4,000 use cases: server time per request, SQLite and PostgreSQL.

Usage::

    .venv/bin/python benchmarks/bench_console.py [--use-cases 4000] [--evaluations 30] [--repeats 15]
        [--backend sqlite|postgresql|both] [--url URL]

The portfolio is the one benchmarks/bench_status.py generates (seed 2026: 4,000 use cases x 30
evaluations, one audit event each). The application is the one `govern serve` runs
(:func:`govern.server.command.build`) under uvicorn on a loopback port, asked by an HTTP client
with a viewer's bearer token. The time reported is the server's own, from its ``Server-Timing``
header: from the request entering the middleware to the response leaving it -- authentication
(the token looked up by its hash), the route, Jinja2 rendering, security headers, the ETag --
without the network or the client; the round trip is reported beside it. Median, min and max
of ``--repeats``:

- ``first``: the first inventory request after start-up (reads the newest event of every use case);
- ``page``: ``GET /inventory`` (50 of 4,000 rows, sorted by id), the log unchanged since the last request;
- ``after_write``: the same page right after `govern check` recorded a new decision (a new event
  is read incrementally, the inventory recomputed);
- ``filtered``: ``GET /inventory?tier=high&stage=validation&q=uc-0&sort=recorded&order=desc``;
- ``api``: ``GET /api/v1/inventory`` (50 items as JSON).

Target: ``page`` <= 150 ms at 4,000 use cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_status import generate, postgres_url  # noqa: E402

from govern.record.store import Store  # noqa: E402


def bench(url: str, args: argparse.Namespace) -> dict[str, object]:
    import httpx

    from govern.server.command import build
    from govern.server.settings import ConsoleSettings
    from govern.server.tokens import create
    from tests.record import factory

    with Store.open(url) as store:
        t = time.perf_counter()
        generate(store, args.use_cases, args.evaluations)
        generated = time.perf_counter() - t
        if store.engine.dialect.name == "postgresql":  # generate() wrote policy_version 1 with an explicit id
            from govern.record.engine import write

            with write(store.engine) as conn:
                conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('policy_version', 'id'), "
                                     "(SELECT max(id) FROM policy_version))")
        _, token = create(store, "bench", "viewer")
    app = build(ConsoleSettings(database=url).check())
    store = app.state.console.store
    server, thread, base = serve(app)
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    server_ms: list[float] = []

    def get(path: str) -> None:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        server_ms.append(float(r.headers["server-timing"].split("dur=")[1]))

    def timed(fn) -> dict[str, float]:
        server_ms.clear()
        trips = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            trips.append((time.perf_counter() - t0) * 1000)
        return summary(server_ms) | {"round_trip_median_ms": round(statistics.median(trips), 1)}

    get("/inventory")
    first = server_ms[-1]
    page = client.get("/inventory")
    assert f"of {args.use_cases}" in page.text, "the page does not show the whole inventory"
    result: dict[str, object] = {"backend": url.split(":", 1)[0].split("+")[0], "use_cases": args.use_cases,
                                 "evaluations": args.use_cases * args.evaluations, "generate_s": round(generated, 1),
                                 "first_ms": first, "page": timed(lambda: get("/inventory"))}
    n = [0]

    def write_then_get() -> None:
        n[0] += 1
        store.record_decision(factory.make_decision(f"uc-{n[0]:05d}", model=1000 + n[0]))
        get("/inventory")

    server_ms.clear()
    for _ in range(args.repeats):
        write_then_get()
    result["after_write"] = summary(server_ms)
    result["filtered"] = timed(lambda: get("/inventory?tier=high&stage=validation&q=uc-0&sort=recorded&order=desc"))
    result["api"] = timed(lambda: get("/api/v1/inventory"))
    client.close()
    server.should_exit = True
    thread.join()
    store.close()
    return result


def summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1)}


def serve(app):  # noqa: ANN001, ANN201
    import socket
    import threading

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           proxy_headers=False, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--use-cases", type=int, default=4000)
    parser.add_argument("--evaluations", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL URL to use instead of a throwaway server (must be empty)")
    args = parser.parse_args()
    print(json.dumps({"today": dt.date.today().isoformat()}), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            print(json.dumps(bench(f"sqlite:///{tmp}/console.db", args)), flush=True)
        if args.backend in ("postgresql", "both"):
            with postgres_url(args.url) as url:
                print(json.dumps(bench(url, args)), flush=True)


if __name__ == "__main__":
    main()
