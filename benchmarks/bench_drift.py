"""Seeded reference/current tables → time, peak memory and agreement of govern's drift check vs scipy, np.sort, Evidently.

Usage::

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--repeats 5] [--evidently-repeats 1]

``--rows`` is the number of rows of *each* table (reference and current). The data, 20 numeric
+ 5 categorical columns of which 7 are shifted, is generated once with a fixed seed and
written to Parquet in a temporary directory; every contender runs in its own subprocess on
those same files (so peak RSS is its own), and reports the median of ``--repeats`` runs:

- ``govern``: ``govern.stats.drift.dataset_drift`` (KS + Wasserstein + PSI per numeric column,
  chi-squared + PSI + Cramér's V per categorical column, verdicts);
- ``scipy``: a plain loop of ``scipy.stats.ks_2samp`` per numeric and ``chi2_contingency`` per
  categorical column (no Wasserstein, no PSI) -- the issue's baseline;
- ``np.sort``: sorting every numeric column of both tables, the lower bound for exact KS,
  serial and on 2 threads (numpy releases the GIL while sorting);
- ``evidently``: ``DataDriftPreset`` run by ``benchmarks/.venv-evidently`` (skipped, with a
  message, when that venv does not exist).

Memory: "loaded" is the DataFrames' own size (``memory_usage(deep=True)``); "peak" is the
larger of tracemalloc's peak during the call (numpy reports its buffers to tracemalloc) and
the growth of the process's max RSS during the call; the ratio is (loaded + peak) / loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVIDENTLY_PY = HERE / ".venv-evidently" / "bin" / "python"
N_NUMERIC, N_CATEGORICAL = 20, 5
SHIFTED_NUMERIC = ["num_00", "num_03", "num_07", "num_11", "num_15"]
SHIFTED_CATEGORICAL = ["cat_0", "cat_3"]


# --------------------------------------------------------------------------- data


#: Tables above this many rows are written in chunks of it (row groups), so generating 100M rows
#: needs ~2 GB of memory instead of ~40 GB. Sizes up to it keep their exact historical bytes.
CHUNK_ROWS = 10_000_000


def generate(rows: int, directory: Path, seed: int = 42) -> dict[str, object]:
    """Write reference.parquet and current.parquet; 5 numeric + 2 categorical columns shifted."""
    import numpy as np
    import pandas as pd

    if rows > CHUNK_ROWS:
        return _generate_chunked(rows, directory, seed)
    rng = np.random.default_rng(seed)
    categories = [f"v{i}" for i in range(8)]
    base_p = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03])

    def numeric(i: int, shifted: bool) -> np.ndarray:
        kind = i % 4
        if kind == 0:  # normal; shift: +0.3 sd
            return rng.normal(0.3 if shifted else 0.0, 1.0, rows)
        if kind == 1:  # lognormal income-like; shift: scale x1.5
            return rng.lognormal(10.0, 0.5, rows) * (1.5 if shifted else 1.0)
        if kind == 2:  # integer counts with heavy ties; shift: rate 3 -> 4
            return rng.poisson(4.0 if shifted else 3.0, rows).astype(np.float64)
        return rng.uniform(0.0, 1.0 + (0.4 if shifted else 0.0), rows)  # uniform; shift: range widens

    def table(current: bool) -> pd.DataFrame:
        data: dict[str, object] = {}
        for i in range(N_NUMERIC):
            name = f"num_{i:02d}"
            column = numeric(i, current and name in SHIFTED_NUMERIC)
            if i == 5:  # some missing values
                column[rng.random(rows) < 0.02] = np.nan
            data[name] = column
        for j in range(N_CATEGORICAL):
            name = f"cat_{j}"
            p = base_p[::-1] if (current and name in SHIFTED_CATEGORICAL) else base_p
            data[name] = pd.Categorical.from_codes(rng.choice(len(categories), rows, p=p), categories)
        return pd.DataFrame(data)

    table(False).to_parquet(directory / "reference.parquet", index=False)
    table(True).to_parquet(directory / "current.parquet", index=False)
    return {"rows_per_table": rows, "numeric": N_NUMERIC, "categorical": N_CATEGORICAL,
            "shifted": SHIFTED_NUMERIC + SHIFTED_CATEGORICAL, "seed": seed}


def _generate_chunked(rows: int, directory: Path, seed: int) -> dict[str, object]:
    """The same distributions, written CHUNK_ROWS at a time; chunk i is seeded (seed, i)."""
    import pyarrow.parquet as pq

    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for i, start in enumerate(range(0, rows, CHUNK_ROWS)):
            with tempfile.TemporaryDirectory(dir=directory) as tmp:
                generate(min(CHUNK_ROWS, rows - start), Path(tmp), seed=seed * 1_000_003 + i)
                for name in ("reference.parquet", "current.parquet"):
                    table = pq.read_table(Path(tmp) / name)
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(directory / name, table.schema)
                    writers[name].write_table(table)
                    del table
    finally:
        for writer in writers.values():
            writer.close()
    return {"rows_per_table": rows, "numeric": N_NUMERIC, "categorical": N_CATEGORICAL,
            "shifted": SHIFTED_NUMERIC + SHIFTED_CATEGORICAL, "seed": seed, "chunk_rows": CHUNK_ROWS}


# --------------------------------------------------------------------------- workers (run in subprocesses)


def _load(directory: Path):
    import pandas as pd

    ref = pd.read_parquet(directory / "reference.parquet")
    cur = pd.read_parquet(directory / "current.parquet")
    loaded = int(ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum())
    return ref, cur, loaded


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure(fn, repeats: int) -> tuple[list[float], int, object]:
    """Run fn ``repeats`` times (timed), then once under tracemalloc; return times, peak bytes, result.

    The peak is the larger of tracemalloc's peak (live buffers) and max-RSS growth (which also
    counts memory the allocator kept after freeing, e.g. per-thread arenas).
    """
    import tracemalloc

    rss_before = _rss_bytes()
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    rss_growth = max(0, _rss_bytes() - rss_before)
    tracemalloc.start()
    fn()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"tracemalloc_peak": traced_peak, "rss_growth": rss_growth}), file=sys.stderr)
    return times, max(traced_peak, rss_growth), result


def worker_govern(directory: Path, repeats: int) -> dict[str, object]:
    from govern.stats.drift import dataset_drift

    ref, cur, loaded = _load(directory)
    times, peak, result = _measure(lambda: dataset_drift(ref, cur), repeats)
    features = {f.name: f.stats.to_dict() for f in result.features}
    return {"times": times, "peak_extra_bytes": peak, "loaded_bytes": loaded,
            "drifted": sorted(result.drifted_features), "features": features}


def worker_scipy(directory: Path, repeats: int) -> dict[str, object]:
    import numpy as np
    from scipy import stats

    ref, cur, loaded = _load(directory)
    numeric = [c for c in ref.columns if c.startswith("num_")]
    categorical = [c for c in ref.columns if c.startswith("cat_")]

    def run() -> dict[str, dict[str, float]]:
        out = {}
        for name in numeric:
            a, b = ref[name].to_numpy(), cur[name].to_numpy()
            ks = stats.ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)])
            out[name] = {"ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue)}
        for name in categorical:
            counts = [ref[name].value_counts(sort=False), cur[name].value_counts(sort=False)]
            table = np.vstack([c.to_numpy() for c in counts])
            table = table[:, table.sum(axis=0) > 0]
            chi2 = stats.chi2_contingency(table)
            out[name] = {"chi2_statistic": float(chi2.statistic), "chi2_pvalue": float(chi2.pvalue)}
        return out

    times, peak, result = _measure(run, repeats)
    return {"times": times, "peak_extra_bytes": peak, "loaded_bytes": loaded, "features": result}


def worker_sort(directory: Path, repeats: int) -> dict[str, object]:
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    ref, cur, loaded = _load(directory)
    arrays = [df[c].to_numpy() for df in (ref, cur) for c in df.columns if c.startswith("num_")]
    serial, _, _ = _measure(lambda: [np.sort(a) for a in arrays], repeats)
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded, _, _ = _measure(lambda: list(pool.map(np.sort, arrays)), repeats)
    return {"times": serial, "times_2_threads": threaded, "loaded_bytes": loaded}


def worker_evidently(directory: Path, repeats: int) -> dict[str, object]:
    from evidently import DataDefinition, Dataset, Report
    from evidently import __version__ as version
    from evidently.presets import DataDriftPreset

    ref, cur, loaded = _load(directory)
    numeric = [c for c in ref.columns if c.startswith("num_")]
    categorical = [c for c in ref.columns if c.startswith("cat_")]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)

    def run():
        report = Report([DataDriftPreset()])
        return report.run(Dataset.from_pandas(cur, data_definition=definition),
                          Dataset.from_pandas(ref, data_definition=definition)).dict()

    times, peak, snapshot = _measure_no_trace(run, repeats)
    drifted, methods = [], {}
    for metric in snapshot["metrics"]:
        config = metric.get("config") or {}
        if config.get("type", "").endswith("ValueDrift"):
            method = str(config.get("method"))
            methods[config["column"]] = method
            # p-value tests drift below the threshold, distances at or above it
            is_pvalue = "p_value" in method.lower() or "test" in method.lower()
            value, threshold = metric["value"], config["threshold"]
            if (value < threshold) if is_pvalue else (value >= threshold):
                drifted.append(config["column"])
    return {"times": times, "peak_extra_bytes": peak, "loaded_bytes": loaded, "drifted": sorted(drifted),
            "methods": methods, "version": version}


def _measure_no_trace(fn, repeats: int) -> tuple[list[float], int, object]:
    """Evidently is too slow to run again under tracemalloc: peak from max RSS growth only."""
    rss_before = _rss_bytes()
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, max(0, _rss_bytes() - rss_before), result


WORKERS = {"govern": worker_govern, "scipy": worker_scipy, "sort": worker_sort, "evidently": worker_evidently}


# --------------------------------------------------------------------------- driver


def run_worker(python: Path | str, name: str, directory: Path, repeats: int) -> dict[str, object]:
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", name, "--data", str(directory),
           "--repeats", str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for line in proc.stderr.splitlines():
        if line.startswith('{"tracemalloc_peak"'):
            result.setdefault("memory", []).append(json.loads(line))
    return result


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of each table (reference and current)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--evidently-repeats", type=int, default=1)
    parser.add_argument("--no-evidently", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.data, args.repeats)))
        return

    with tempfile.TemporaryDirectory(prefix="govern-bench-drift-") as tmp:
        directory = Path(tmp)
        spec = generate(args.rows, directory)
        print(f"data: {args.rows:,} rows per table x ({N_NUMERIC} numeric + {N_CATEGORICAL} categorical), "
              f"shifted: {', '.join(spec['shifted'])}; cpus: {os.cpu_count()}")
        results: dict[str, dict[str, object]] = {}
        for name in ("govern", "scipy", "sort"):
            results[name] = run_worker(sys.executable, name, directory, args.repeats)
        if args.no_evidently:
            print("evidently: skipped (--no-evidently)")
        elif not EVIDENTLY_PY.exists():
            print(f"evidently: skipped -- no venv at {EVIDENTLY_PY.relative_to(HERE.parent)}; create it with\n"
                  f"  python3 -m venv benchmarks/.venv-evidently && "
                  f"benchmarks/.venv-evidently/bin/pip install 'evidently==0.7.23' 'pandas>=2.1,<3' pyarrow")
        else:
            results["evidently"] = run_worker(EVIDENTLY_PY, "evidently", directory, args.evidently_repeats)
    report(spec, results)
    if args.json:
        args.json.write_text(json.dumps({"spec": spec, "results": results}, indent=2))


def report(spec: dict[str, object], results: dict[str, dict[str, object]]) -> None:
    gov = results["govern"]
    loaded = int(gov["loaded_bytes"])
    med = {name: statistics.median(r["times"]) for name, r in results.items()}
    print(f"loaded data: {_mb(loaded)} (both tables)")
    print(f"{'contender':34s} {'median s':>9s} {'vs govern':>10s} {'peak extra':>11s} {'peak/loaded':>12s}")

    def row(label: str, seconds: float, peak: float | None) -> None:
        ratio = f"{seconds / med['govern']:.2f}x"
        mem = _mb(peak) if peak is not None else "-"
        rel = f"{(loaded + peak) / loaded:.2f}x" if peak is not None else "-"
        print(f"{label:34s} {seconds:9.3f} {ratio:>10s} {mem:>11s} {rel:>12s}")

    row("govern dataset_drift (2 threads)", med["govern"], gov["peak_extra_bytes"])
    for m in gov.get("memory", [])[:1]:
        print(f"{'':34s} govern peak detail: tracemalloc {_mb(m['tracemalloc_peak'])} "
              f"({(loaded + m['tracemalloc_peak']) / loaded:.2f}x), max-RSS growth {_mb(m['rss_growth'])} "
              f"({(loaded + m['rss_growth']) / loaded:.2f}x)")
    row("scipy loop (ks_2samp + chi2)", med["scipy"], results["scipy"]["peak_extra_bytes"])
    row("np.sort numeric cols (serial)", med["sort"], None)
    row("np.sort numeric cols (2 threads)", statistics.median(results["sort"]["times_2_threads"]), None)
    if "evidently" in results:
        ev = results["evidently"]
        row(f"Evidently {ev['version']} DataDriftPreset", med["evidently"], ev["peak_extra_bytes"])

    # agreement with scipy on the numbers, and with Evidently / the truth on the verdicts
    worst_rel = 0.0
    for name, ref in results["scipy"]["features"].items():
        mine = gov["features"][name]
        for key, value in ref.items():
            got = mine[key]
            if value == 0.0:
                worst_rel = max(worst_rel, abs(got))
            else:
                worst_rel = max(worst_rel, abs(got - value) / abs(value))
    print(f"max relative difference to scipy (KS statistic/p-value, chi2 statistic/p-value): {worst_rel:.3g}")
    truth = set(spec["shifted"])
    print(f"govern drifted:    {', '.join(gov['drifted'])}  (truth: {len(truth)} shifted, "
          f"found {len(truth & set(gov['drifted']))}, false alarms {len(set(gov['drifted']) - truth)})")
    if "evidently" in results:
        ev_drift = set(results["evidently"]["drifted"])
        agree = len(ev_drift ^ set(gov["drifted"])) == 0
        print(f"evidently drifted: {', '.join(sorted(ev_drift))}  (found {len(truth & ev_drift)}, false alarms "
              f"{len(ev_drift - truth)}); same columns as govern: {'yes' if agree else 'no'}")
        print(f"evidently methods: {sorted(set(results['evidently']['methods'].values()))}")


if __name__ == "__main__":
    main()
