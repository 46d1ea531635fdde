"""Cold start of `govern check`, as CI runs it: each run a fresh process, timed from outside.

Two workloads, each beside its floor (what any implementation must at least import):

* the golden ``mini`` pack on the credit-risk evidence (metric, tests, documentation checks and
  sign-offs: no pandas/scipy): ``--no-store``, ``--no-record`` (the store exists, so its
  sign-offs are read) and recording to that SQLite store. Recording minus ``--no-record`` is
  what writing the decision costs; recording minus ``--no-store`` what the store costs at all;
* the credit-risk example under ``eu-ai-act`` (data checks: fairness, drift, data quality,
  stability on the skops model), against ``import pandas, scipy.stats`` plus the estimator
  modules the model file names (read from its schema, as govern reads them); and against the
  same imports with the collector off and no interpreter teardown, which is how the `govern`
  program runs and so the stricter floor for govern's own overhead.

Runs are interleaved (one of each command per round), so a change in the machine's load hits
every row alike; wall time and CPU time (user + sys, from ``os.wait4``) are medians.

    .venv/bin/python benchmarks/bench_check.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = ROOT / "examples" / "credit-risk"
MODEL = CREDIT / "evidence" / "model" / "credit-risk-scorer.skops"
GOVERN = [sys.executable, "-m", "govern", "check"]
MINI_CHECK = GOVERN + [str(MINI / "use_cases" / "credit.yaml"), "--policy", str(MINI),
                       "--evidence", str(CREDIT / "evidence"), "--target", "validation"]
CREDIT_CHECK = GOVERN + [str(CREDIT / "use_case.yaml"), "--policy", str(ROOT / "policies" / "eu-ai-act"),
                         "--evidence", str(CREDIT / "evidence"), "--target", "production",
                         "--as-of", "2026-06-01", "--no-store"]


#: the same imports with the collector off and no interpreter teardown, as the `govern` program
#: runs (`govern.collector`, `cli.main.run`): the floor's share of those two costs is not work
#: the imports need, so this row shows govern's own overhead alone
STRICT_FLOOR_LABEL = "floor, imports alone: same, collector off, os._exit (no teardown)"


def model_modules() -> list[str]:
    """The modules of the estimator types the model file names: the floor's share of scikit-learn."""
    sys.path.insert(0, str(ROOT / "src"))
    import json
    from zipfile import ZipFile

    from govern.evidence.model_file import schema_types

    with ZipFile(MODEL) as archive:
        types, _ = schema_types(json.loads(archive.read("schema.json")))
    return sorted({t.rpartition(".")[0] for t in types if t.startswith("sklearn.")})


def once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode()[-800:]}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the govern sources to run (another checkout's src/ to compare before and after)")
    args = parser.parse_args()
    floor = f"import pandas, scipy.stats, {', '.join(model_modules())}"
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("mini: govern check --no-store", MINI_CHECK + ["--no-store"]),
        ("mini: govern check --no-record (reads the store's sign-offs)", MINI_CHECK + ["--no-record"]),
        ("mini: govern check (records to SQLite)", MINI_CHECK),
        (f"floor: python -c '{floor}'", [sys.executable, "-c", floor]),
        (STRICT_FLOOR_LABEL, [sys.executable, "-c", f"import gc, os; gc.disable(); {floor}; os._exit(0)"]),
        ("credit, data checks: govern check --no-store", CREDIT_CHECK),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GOVERN_DATABASE_URL": f"sqlite:///{tmp}/govern.db",
               "PYTHONPATH": str(args.src)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
        for _, cmd in rows:
            once(cmd, env)  # warm the OS file cache and bytecode; the store is created (migrated) here
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in rows}
        loads = []
        for _ in range(args.runs):
            for label, cmd in rows:
                samples[label].append(once(cmd, env))
            loads.append(os.getloadavg()[0])
    med = {label: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
           for label, s in samples.items()}
    print(f"govern from {args.src}; {args.runs} interleaved runs each; load average {min(loads):.1f}-{max(loads):.1f} on "
          f"{os.cpu_count()} CPUs")
    print("| command | wall ms (median) | spread (min-max) | CPU ms (median) |")
    print("|---|---:|---:|---:|")
    for label, s in samples.items():
        walls = [w for w, _ in s]
        print(f"| {label} | {med[label][0]:.0f} | {min(walls):.0f}-{max(walls):.0f} | {med[label][1]:.0f} |")
    rec = med["mini: govern check (records to SQLite)"]
    norec = med["mini: govern check --no-record (reads the store's sign-offs)"]
    nostore = med["mini: govern check --no-store"]
    print(f"\nrecording adds {rec[0] - norec[0]:+.0f} ms wall, {rec[1] - norec[1]:+.0f} ms CPU over --no-record "
          f"(target <= +80 ms); {rec[0] - nostore[0]:+.0f} ms wall over --no-store (opening the store at all)")
    credit, base = med["credit, data checks: govern check --no-store"], med[f"floor: python -c '{floor}'"]
    print(f"credit check / floor: {credit[0] / base[0]:.2f}x wall, {credit[1] / base[1]:.2f}x CPU (target <= 1.3x)")
    strict = med[STRICT_FLOOR_LABEL]
    print(f"credit check / the imports alone (no collector, no teardown, as govern runs them): "
          f"{credit[0] / strict[0]:.2f}x wall, {credit[1] / strict[1]:.2f}x CPU")


if __name__ == "__main__":
    main()
