"""Recording decisions in the audit store: one by one (as `govern check` does) and batched (a portfolio run).

The decision is a real one (the golden ``mini`` pack on the credit-risk evidence), copied for N
use cases, each with its own model digest, as a 4,000-client portfolio's nightly run produces
them. Recorded into a fresh SQLite store (WAL, synchronous=FULL) in a temporary folder:

* one by one: ``Store.record_decision`` per decision (one transaction and fsync each), on the
  first ``--single`` decisions;
* batched: ``Store.record_decisions`` (``--per-transaction`` per transaction) on all N;
* then ``verify_chain`` over the batched store: every event, row, tree node and the head.

    .venv/bin/python benchmarks/bench_record.py [--decisions 4000] [--single 300]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
MINI = ROOT / "tests" / "golden" / "mini"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"


def portfolio(n: int) -> list:
    import govern
    from govern.canonical import digest
    from govern.evaluate.pipeline import check

    policy = govern.load_policy(MINI)
    use_case = govern.load_use_case(MINI / "use_cases" / "credit.yaml", policy)
    base = check(policy, use_case, EVIDENCE, target="validation")
    out = []
    for i in range(n):
        d = dataclasses.replace(base, use_case_id=f"client-{i:05d}", use_case_name=f"Client {i}",
                                model_digest=digest(("model", i)), digest="")
        out.append(dataclasses.replace(d, digest=d.compute_digest()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=4000)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--per-transaction", type=int, default=1000)
    args = parser.parse_args()
    from govern.record.store import Store

    decisions = portfolio(args.decisions)
    checks = sum(len(g.checks) for g in decisions[0].gates)
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(f"sqlite:///{tmp}/single.db") as store:
            start, cpu = time.perf_counter(), time.process_time()
            for d in decisions[: args.single]:
                store.record_decision(d)
            single, single_cpu = (time.perf_counter() - start) / args.single, (time.process_time() - cpu) / args.single
        with Store.open(f"sqlite:///{tmp}/batch.db") as store:
            start, cpu = time.perf_counter(), time.process_time()
            store.record_decisions(decisions, per_transaction=args.per_transaction)
            batch, batch_cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
            report = store.verify_chain()
            verify = time.perf_counter() - start
            size = store.head().size
    print(f"{args.decisions} decisions ({checks} checks, {len(decisions[0].gates)} gates each); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; store folder {tempfile.gettempdir()}")
    print("| mode | wall per decision | CPU per decision | total wall |")
    print("|---|---:|---:|---:|")
    print(f"| one by one (record_decision, first {args.single}) | {single * 1000:.2f} ms | {single_cpu * 1000:.2f} ms "
          f"| {single * args.decisions:.1f} s (extrapolated) |")
    print(f"| batched (record_decisions, {args.per_transaction} per transaction) | "
          f"{batch / args.decisions * 1000:.2f} ms | {batch_cpu / args.decisions * 1000:.2f} ms | {batch:.2f} s |")
    print(f"| verify_chain over the batched store ({size} leaves) | {verify / args.decisions * 1000:.2f} ms | | "
          f"{verify:.2f} s, ok={report.ok} |")
    print(f"\nbatched / one by one: {batch / args.decisions / single:.2f}; target <= 0.5 ms each")


if __name__ == "__main__":
    main()
