"""Cold start of `govern check` on the credit example without data checks (issue 3's benchmark).

Each run is a fresh process, as in CI. The pack is the golden `mini` pack (metric, tests,
documentation checks and sign-offs: no pandas/scipy), the evidence the credit-risk bundle.
Reported: median and min wall time of N runs, with and without recording to the SQLite store,
beside `python -c pass` and the reference import line the issue quotes.

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
CHECK = [sys.executable, "-m", "govern", "check", str(MINI / "use_cases" / "credit.yaml"), "--policy", str(MINI),
         "--evidence", str(ROOT / "examples" / "credit-risk" / "evidence"), "--target", "validation",
         "--as-of", "2026-06-01"]


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    subprocess.run(cmd, env=env, capture_output=True)  # warm the OS file cache and bytecode
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True)
        samples.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(samples) * 1000, min(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GOVERN_DATABASE_URL": f"sqlite:///{tmp}/govern.db"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("python -c 'import pydantic, yaml, jsonschema, lark, networkx'",
             [sys.executable, "-c", "import pydantic, yaml, jsonschema, lark, networkx"]),
            ("govern check --no-record", CHECK + ["--no-record"]),
            ("govern check (records to SQLite)", CHECK),
        ]
        print(f"| command | median ms | min ms |  ({args.runs} runs each; load {os.getloadavg()[0]:.1f})")
        print("|---|---:|---:|")
        for label, cmd in rows:
            median, best = timed(cmd, args.runs, env)
            print(f"| {label} | {median:.0f} | {best:.0f} |")


if __name__ == "__main__":
    main()
