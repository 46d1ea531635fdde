"""Drift and fairness on the pandas, DuckDB and Spark engines: wall time and peak RSS, from Parquet files.

Usage::

    .venv/bin/python benchmarks/bench_engines.py --rows 1000000 --task drift fairness --engine pandas duckdb
    .venv/bin/python benchmarks/bench_engines.py --rows 10000000 --task drift --engine duckdb spark
    .venv/bin/python benchmarks/bench_engines.py --rows 1000000 --task drift --engine pandas duckdb evidently

``--rows`` is the rows of *each* drift table (reference and current) and of the fairness table.
Data are generated once per size under ``--data`` (default ``/work/bench-data``, outside the
repository): drift uses ``bench_drift.generate`` (20 numeric + 5 categorical columns, 7 shifted),
fairness 5 sensitive attributes (2-6 groups each) with every intersection (26 groupings).
Each engine runs in its own subprocess, so "peak RSS" is that process's own maximum resident
set (``ru_maxrss``), Parquet reading included. DuckDB gets ``--memory-limit`` (default 2GB) and
2 threads; Spark is ``local[2]`` on loopback with ``--spark-memory`` of driver heap; pandas runs
under an address-space cap (``--pandas-memory``, default 14GiB) so that a size this machine
cannot hold fails with MemoryError instead of swapping or waking the OOM killer. ``--engine
evidently`` runs Evidently's ``DataDriftPreset`` (drift only) on the same files from
``benchmarks/.venv-evidently`` (see STATS.md; skipped when that venv is missing); its time is the
whole process (start-up, reading, the report). The results of every engine are compared with
pandas' where both ran (max relative difference; for Evidently, which columns it calls drifted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
SENSITIVE = ["a2", "a3", "a4", "a5", "a6"]


def generate_fairness(rows: int, path: Path, seed: int = 7) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, 2_000_000):
        n = min(2_000_000, rows - start)
        columns = {f"a{k}": np.array([f"g{i}" for i in range(k)])[rng.integers(0, k, n)] for k in range(2, 7)}
        bias = (columns["a3"] == "g0") * 0.05 + (columns["a5"] == "g4") * 0.08
        columns["y"] = (rng.random(n) < 0.4).astype(np.int64)
        columns["score"] = np.round(np.clip(rng.normal(0.45 + bias + 0.2 * columns["y"], 0.2), 0, 1), 4)
        columns["pred"] = (columns["score"] >= 0.5).astype(np.int64)
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def prepare(rows: int, data: Path, tasks: list[str]) -> Path:
    """Generate what ``tasks`` need once per size (a ``done`` file from earlier runs stands for both)."""
    directory = data / f"engines-{rows}"
    directory.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        if (directory / "done").exists() or (directory / f"{task}.done").exists():
            continue
        if task == "drift":
            sys.path.insert(0, str(HERE))
            from bench_drift import generate

            generate(rows, directory)
        else:
            generate_fairness(rows, directory / "fairness.parquet")
        (directory / f"{task}.done").write_text("ok\n")
    return directory


# --------------------------------------------------------------------------- workers (subprocesses)


def _engine(name: str, directory: Path, memory_limit: str, spark_memory: str):
    if name == "duckdb":
        from govern.stats.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine(root=directory, memory_limit=memory_limit, threads=2)
    from pyspark.sql import SparkSession

    from govern.stats.engines.spark_engine import SparkEngine

    session = (SparkSession.builder.master("local[2]").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", spark_memory)
               .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return SparkEngine(session)


def _bytes(size: str) -> int:
    units = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    size = size.strip().lower().removesuffix("ib").removesuffix("b")
    return int(float(size[:-1]) * units[size[-1]]) if size[-1] in units else int(size)


def worker(engine_name: str, task: str, directory: Path, memory_limit: str, spark_memory: str,
           pandas_memory: str = "") -> dict:
    import pandas as pd

    from govern.stats.drift import dataset_drift, engine_drift
    from govern.stats.fairness import engine_fairness, fairness_report

    fair = dict(y_pred="pred", y_true="y", sensitive=SENSITIVE, intersections=True, min_group_size=30)
    if engine_name == "pandas" and pandas_memory:
        # pandas holds both tables in memory: cap its address space so that a size too large for
        # this machine fails with MemoryError instead of pushing the shared box into the OOM killer
        import resource

        cap = _bytes(pandas_memory)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    if engine_name == "pandas":
        if task == "drift":
            result = dataset_drift(pd.read_parquet(directory / "reference.parquet"),
                                   pd.read_parquet(directory / "current.parquet"))
        else:
            result = fairness_report(pd.read_parquet(directory / "fairness.parquet"), **fair)
    else:
        engine = _engine(engine_name, directory, memory_limit, spark_memory)
        files = (lambda p: engine.files([str(p)] if engine_name == "spark" else [p], "parquet"))
        if task == "drift":
            result = engine_drift(engine, files(directory / "reference.parquet"), files(directory / "current.parquet"))
        else:
            result = engine_fairness(engine, files(directory / "fairness.parquet"), **fair)
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its
    # parent's peak. The Spark JVM is a child process: its peak counts too.
    peak = sum(_hwm(pid) for pid in [os.getpid(), *_descendants(os.getpid())])
    return {"seconds": seconds, "peak_rss": peak, "result": result.to_dict()}


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


EVIDENTLY_PY = HERE / ".venv-evidently" / "bin" / "python"


def run_evidently(directory: Path, args: argparse.Namespace) -> dict:
    """Evidently's ``DataDriftPreset`` on the same Parquet files, in its own venv (``bench_drift``'s
    worker): wall time of the whole process (start-up, reading the files, the report) and that
    process's own peak RSS (``os.wait4``), plus the columns it calls drifted."""
    cmd = [str(EVIDENTLY_PY), str(HERE / "bench_drift.py"), "--worker", "evidently", "--data", str(directory),
           "--repeats", "1"]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
        try:
            _, status, usage = _wait4(proc.pid, args.timeout)
        except TimeoutError:
            proc.kill()
            proc.wait()
            return {"error": f"stopped after the {args.timeout:g} s timeout"}
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            tail = (err.read().strip().splitlines() or ["killed"])[-1]
            return {"error": f"exit {os.waitstatus_to_exitcode(status)}: {tail[:200]}"}
        result = json.loads(out.read().strip().splitlines()[-1])
    return {"seconds": seconds, "peak_rss": usage.ru_maxrss * 1024, "drifted": result["drifted"],
            "version": result["version"]}


def _wait4(pid: int, timeout: float) -> tuple[int, int, "os.struct_rusage"]:  # type: ignore[name-defined]
    deadline = time.monotonic() + timeout
    while True:
        done_pid, status, usage = os.wait4(pid, os.WNOHANG)
        if done_pid == pid:
            return done_pid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.2)


def run(engine_name: str, task: str, directory: Path, args: argparse.Namespace) -> dict:
    if engine_name == "evidently":
        return run_evidently(directory, args)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    cmd = [sys.executable, __file__, "--worker", engine_name, task, str(directory), args.memory_limit,
           args.spark_memory, args.pandas_memory]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after the {args.timeout:g} s timeout"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["killed"])[-1]
        return {"error": f"exit {done.returncode}: {tail[:200]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def max_relative_difference(a: object, b: object) -> float:
    if isinstance(a, dict) and isinstance(b, dict):
        return max([max_relative_difference(a[k], b.get(k)) for k in a] or [0.0])
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max([max_relative_difference(x, y) for x, y in zip(a, b)] or [0.0])
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) / max(abs(a), abs(b), 1e-300)
    return 0.0 if a == b else float("inf")


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        name, task, directory, memory_limit, spark_memory, pandas_memory = sys.argv[2:8]
        print(json.dumps(worker(name, task, Path(directory), memory_limit, spark_memory, pandas_memory)))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--task", nargs="+", default=["drift", "fairness"], choices=["drift", "fairness"])
    parser.add_argument("--engine", nargs="+", default=["pandas", "duckdb"], choices=["pandas", "duckdb", "spark", "evidently"],
                        help="evidently: drift only, from benchmarks/.venv-evidently (see STATS.md)")
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--spark-memory", default="4g")
    parser.add_argument("--pandas-memory", default="14GiB",
                        help="address-space cap of the pandas worker (MemoryError beyond; '' for none)")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    with open("/proc/loadavg") as fh:
        print(f"load average at start: {fh.read().split()[:3]}", flush=True)
    if "evidently" in args.engine and not EVIDENTLY_PY.exists():
        print("evidently: skipped (no benchmarks/.venv-evidently; see STATS.md)", flush=True)
        args.engine.remove("evidently")
    for rows in args.rows:
        directory = prepare(rows, args.data, args.task)
        for task in args.task:
            results = {name: run(name, task, directory, args) for name in args.engine
                       if not (name == "evidently" and task != "drift")}
            base = results.get("pandas")
            for name, res in results.items():
                if "error" in res:
                    print(f"{rows:>11,} {task:<9} {name:<7} {res['error']}", flush=True)
                    continue
                line = f"{rows:>11,} {task:<9} {name:<7} {res['seconds']:8.2f} s  peak RSS {res['peak_rss'] / 2**20:8.0f} MiB"
                if name == "evidently":
                    ours = set(base["result"]["drifted_features"]) if base and "error" not in base else None
                    agree = "" if ours is None else (" same drifted columns as govern" if ours == set(res["drifted"])
                                                     else f" drifted {sorted(res['drifted'])} vs govern {sorted(ours)}")
                    line += f"  (Evidently {res['version']}, {len(res['drifted'])} drifted;{agree})"
                elif base and "error" not in base and name != "pandas":
                    line += (f"  time ×{res['seconds'] / base['seconds']:.2f}, RSS ×{res['peak_rss'] / base['peak_rss']:.2f}"
                             f" vs pandas; max rel. diff {max_relative_difference(base['result'], res['result']):.1e}")
                print(line, flush=True)
    with open("/proc/loadavg") as fh:
        print(f"load average at end: {fh.read().split()[:3]}", flush=True)


if __name__ == "__main__":
    main()
