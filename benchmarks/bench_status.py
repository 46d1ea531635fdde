"""`govern status` over a generated inventory: 4,000 use cases x 30 evaluations, on SQLite and PostgreSQL.

Usage::

    .venv/bin/python benchmarks/bench_status.py [--use-cases 4000] [--evaluations 30] [--repeats 7]
        [--backend sqlite|postgresql|both] [--url URL]

The inventory is generated (seed 2026) straight into the store's tables with bulk inserts,
through a store opened (and migrated) by ``Store.open``: per evaluation 4 gate rows, 3-6
check rows (some waived, with expiry), 1-2 required sign-offs (some pending) and their
approvals (with ``valid_for`` expiry), plus a ~700-byte decision JSON. Audit events are not
generated (``status`` never reads them). Timed, median of ``--repeats``:

- ``inventory()``: its four queries + Python objects, in a warm process (the target: <= 200 ms);
- ``govern status -f json`` and ``-f text``: the whole CLI in a fresh process (start-up included);
- the floor: ``inventory()`` plus a fresh ``python -c "import govern.record.store"`` (interpreter,
  SQLAlchemy and the tables: what any reader of the store starts with); ``text_over_floor`` is
  the whole ``-f text`` command over that floor (the issue's target: <= 2).

PostgreSQL: ``--url`` or, by default, a throwaway server started like the test fixture does
(``initdb`` + ``pg_ctl`` from /usr/lib/postgresql/*/bin, as the ``postgres`` user when root).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import insert  # noqa: E402

from govern.record.engine import write  # noqa: E402
from govern.record.log import append_event  # noqa: E402
from govern.record.recorded import evaluation_view  # noqa: E402
from govern.record.rows import Written  # noqa: E402
from govern.record.store import Store, furthest_stage  # noqa: E402
from govern.record.tables import (  # noqa: E402
    APPROVAL, CHECK, EVALUATION, GATE, MODEL, POLICY, SIGNOFF_RESULT, USE_CASE,
)
from govern.record.views import inventory  # noqa: E402

GATES = ("development", "validation", "production", "monitoring")
TODAY = dt.date(2026, 6, 1)


def generate(store: Store, use_cases: int, evaluations: int, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    rows: dict[str, int] = {}
    policy = {"id": 1, "digest": "sha256:" + "1" * 64, "name": "eu-ai-act", "version": "1.0.0", "created_at": t0}
    with write(store.engine) as conn:
        conn.execute(insert(POLICY), [policy])
        written = Written()
        written.add(POLICY, policy)
        append_event(conn, "policy", "eu-ai-act", {"record": "policy_version", "id": 1}, t0, record_id=1,
                     rows=written)
        conn.execute(insert(USE_CASE), [{"id": f"uc-{u:05d}", "name": f"Use case {u}", "created_at": t0}
                                        for u in range(use_cases)])
    eid, mid = 0, 0
    ids = {"gate": 0, "check": 0, "signoff": 0, "approval": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    batch = max(1, 20000 // evaluations)  # use cases per transaction
    for start in range(0, use_cases, batch):
        ev, gates, checks, signoffs, approvals, models = [], [], [], [], [], []
        children: dict[int, list[tuple[object, dict]]] = {}
        model_of: dict[int, dict] = {}
        for u in range(start, min(start + batch, use_cases)):
            tier = rng.choice(("minimal", "limited", "high", "high"))
            for n in range(evaluations):
                eid += 1
                if n % 10 == 0:  # a retrained model every 10 evaluations
                    mid += 1
                    models.append({"id": mid, "digest": f"sha256:{mid:064x}", "name": f"model-{u}",
                                   "version": f"1.{n // 10}.0", "created_at": t0})
                statuses = ["passed", "passed", rng.choice(("passed", "pending", "failed")), "blocked"]
                if statuses[2] == "passed":
                    statuses[3] = rng.choice(("passed", "pending"))
                at = t0 + dt.timedelta(hours=eid)
                ev.append({"id": eid, "use_case_id": f"uc-{u:05d}", "model_version_id": mid, "policy_version_id": 1,
                           "decision_digest": f"sha256:{eid:064x}", "use_case_digest": "sha256:" + "2" * 64,
                           "evidence_digest": f"sha256:{eid * 7:064x}", "plan_digest": "sha256:" + "3" * 64,
                           "tier": tier, "target": "production", "allowed": statuses[2] == "passed",
                           "furthest_stage": furthest_stage(list(zip(GATES, statuses))),
                           "as_of": at.date(), "recorded_at": at, "govern_version": "0.1.0",
                           "decision_json": json.dumps({"gates": statuses, "pad": "x" * 600})})
                for pos, (gate, status) in enumerate(zip(GATES, statuses)):
                    gates.append({"id": next_id("gate"), "evaluation_id": eid, "position": pos, "gate": gate,
                                  "status": status})
                for c in range(rng.randint(3, 6)):
                    waived = rng.random() < 0.05
                    checks.append({"id": next_id("check"), "evaluation_id": eid, "gate": "validation",
                                   "check_id": f"check_{c}",
                                   "kind": "metric", "status": "waived" if waived else "passed",
                                   "enforcement": "block", "waiver_approver": "carol" if waived else None,
                                   "waiver_expires": TODAY + dt.timedelta(days=rng.randint(-30, 200)) if waived else None})
                for role in ("validator", "risk_officer")[: rng.randint(1, 2)]:
                    passed = statuses[2] == "passed"
                    signoffs.append({"id": next_id("signoff"), "evaluation_id": eid, "gate": "production",
                                     "role": role, "required": 1,
                                     "approved": int(passed), "status": "passed" if passed else "pending"})
                    if passed:
                        signed = at - dt.timedelta(days=rng.randint(0, 400))
                        approvals.append({"id": next_id("approval"), "evaluation_id": eid, "gate": "production",
                                          "role": role,
                                          "signer": f"{role}-{rng.randint(1, 40)}", "decision": "approve",
                                          "signed_at": signed, "expires": signed.date() + dt.timedelta(days=365),
                                          "key_fingerprint": None})
                model_of[eid] = models[-1]
        for table, data in ((GATE, gates), (CHECK, checks), (SIGNOFF_RESULT, signoffs), (APPROVAL, approvals)):
            for row in data:
                children.setdefault(row["evaluation_id"], []).append((table, row))
        with write(store.engine) as conn:
            for table, data in ((MODEL, models), (EVALUATION, ev), (GATE, gates), (CHECK, checks),
                                (SIGNOFF_RESULT, signoffs), (APPROVAL, approvals)):
                if data:
                    conn.execute(insert(table), data)
                    rows[table.name] = rows.get(table.name, 0) + len(data)
            for e in ev:  # one event per evaluation, covering its rows, as record_decision writes it
                written = Written()
                u = int(e["use_case_id"][3:])
                written.add(USE_CASE, {"id": e["use_case_id"], "name": f"Use case {u}", "created_at": t0,
                                       "latest_evaluation_id": e["id"]})
                written.add(MODEL, model_of[e["id"]])
                written.add(POLICY, policy)
                written.add(EVALUATION, e)
                for table, row in children.get(e["id"], []):
                    written.add(table, row)
                append_event(conn, "evaluation", e["use_case_id"], {
                    "record": "evaluation", "id": e["id"], "decision_digest": e["decision_digest"],
                    "tier": e["tier"], "target": e["target"], "allowed": e["allowed"],
                    "view": evaluation_view(written.dicts, e["id"])}, e["recorded_at"], record_id=e["id"],
                    rows=written)
    with write(store.engine) as conn:  # what record_decision keeps up to date
        conn.exec_driver_sql("UPDATE use_case SET latest_evaluation_id = "
                             "(SELECT max(id) FROM evaluation WHERE evaluation.use_case_id = use_case.id)")
    if store.engine.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences on
        with write(store.engine) as conn:
            for table in ("model_version", "evaluation", "gate_result", "check_result", "signoff_result", "approval"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
    else:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return rows


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def cli_ms(url: str, repeats: int, *args: str) -> float:
    env = {**os.environ, "GOVERN_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
    cmd = [sys.executable, "-m", "govern", "status", "--as-of", TODAY.isoformat(), *args]
    return median_ms(lambda: subprocess.run(cmd, env=env, capture_output=True, check=True), repeats)


def import_floor_ms(repeats: int) -> float:
    """A fresh interpreter importing what any reader of the store must (SQLAlchemy, the tables)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-c", "import govern.record.store"]
    return median_ms(lambda: subprocess.run(cmd, env=env, capture_output=True, check=True), repeats)


def bench(url: str, args: argparse.Namespace) -> dict[str, object]:
    with Store.open(url) as store:
        t = time.perf_counter()
        rows = generate(store, args.use_cases, args.evaluations)
        gen_s = time.perf_counter() - t
        items = inventory(store, today=TODAY, expiring_within=30)
        assert len(items) == args.use_cases
        warm = median_ms(lambda: inventory(store, today=TODAY, expiring_within=30), args.repeats)
        expiring = sum(len(i.expiring_approvals) + len(i.expiring_waivers) for i in items)
        pending = sum(1 for i in items if i.pending)
    text_ms, floor_ms = cli_ms(url, args.repeats), import_floor_ms(args.repeats)
    return {"backend": url.split(":", 1)[0].split("+")[0], "rows": rows, "generate_s": round(gen_s, 1),
            "inventory_ms": round(warm, 1), "cli_json_ms": round(cli_ms(url, args.repeats, "-f", "json"), 1),
            "cli_text_ms": round(text_ms, 1), "import_floor_ms": round(floor_ms, 1),
            # the row: the whole command against the query plus the start-up it cannot avoid
            "text_over_floor": round(text_ms / (warm + floor_ms), 2),
            "pending": pending, "expiring": expiring, "load": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--use-cases", type=int, default=4000)
    parser.add_argument("--evaluations", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--url", help="PostgreSQL URL to use instead of a throwaway server (must be empty)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            results.append(bench(f"sqlite:///{tmp}/status.db", args))
            print(json.dumps(results[-1]), flush=True)
        if args.backend in ("postgresql", "both"):
            with postgres_url(args.url) as url:
                results.append(bench(url, args))
                print(json.dumps(results[-1]), flush=True)


@contextlib.contextmanager
def postgres_url(url: str | None) -> Iterator[str]:
    """``url``, or a database on a throwaway PostgreSQL server (the tests' own) for the benchmark's run."""
    if url is not None:
        yield url
        return
    from tests.record.conftest import PgServer, _pg_bindir

    bindir = _pg_bindir()
    if bindir is None:
        sys.exit("PostgreSQL binaries not found (apt-get install postgresql) and no --url given")
    server = PgServer(bindir)
    server.start()
    try:
        yield server.create_database()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
