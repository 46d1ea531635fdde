"""Seeded predictions table → time, peak memory and agreement of govern's fairness report vs pandas groupby and fairlearn.

Usage::

    .venv/bin/python benchmarks/bench_fairness.py [--rows 1000000] [--repeats 7]

The table has a 5-valued attribute (race), a 2-valued one (sex), a label and a thresholded
prediction. Every contender computes, for race and for race × sex, per-group selection rate,
TPR and FPR, and from them impact ratios and the TPR/FPR gaps:

- ``govern``: ``govern.stats.fairness.fairness_report`` (also accuracy, counts, summaries);
- ``pandas groupby``: one ``groupby().agg`` per grouping on precomputed indicator columns;
- ``fairlearn``: ``MetricFrame`` with selection_rate, true/false positive rate per grouping
  (skipped with a message when fairlearn is not installed).

Reported: medians of ``--repeats`` runs, ratios to govern, govern's tracemalloc peak, and the
largest absolute difference between govern's and fairlearn's per-group numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(["Asian", "Black", "Hispanic", "White", "Other"], rows, p=[0.1, 0.15, 0.2, 0.5, 0.05])
    sex = rng.choice(["F", "M"], rows)
    y = (rng.random(rows) < 0.4).astype(np.int64)
    p_select = 0.25 + 0.4 * y - np.where(race == "Other", 0.08, 0.0) - np.where(sex == "F", 0.03, 0.0)
    pred = (rng.random(rows) < p_select).astype(np.int64)
    return pd.DataFrame({"race": race, "sex": sex, "y": y, "pred": pred})


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_govern(df: pd.DataFrame):
    from govern.stats.fairness import fairness_report

    return fairness_report(df, y_pred="pred", y_true="y", sensitive=["race", "sex"],
                           intersections=[["race", "sex"]], min_group_size=30)


def run_pandas(df: pd.DataFrame) -> dict[tuple[str, ...], pd.DataFrame]:
    frame = df.assign(tp=(df.pred == 1) & (df.y == 1), fp=(df.pred == 1) & (df.y == 0), pos=df.y == 1,
                      neg=df.y == 0)
    out = {}
    for keys in (["race"], ["race", "sex"]):
        agg = frame.groupby(keys, observed=True).agg(sel=("pred", "mean"), tp=("tp", "sum"), fp=("fp", "sum"),
                                                     pos=("pos", "sum"), neg=("neg", "sum"))
        agg["tpr"] = agg.tp / agg.pos
        agg["fpr"] = agg.fp / agg.neg
        agg["impact_ratio"] = agg.sel / agg.sel.max()
        out[tuple(keys)] = agg
    return out


def run_fairlearn(df: pd.DataFrame) -> dict[tuple[str, ...], pd.DataFrame]:
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    out = {}
    for keys in (["race"], ["race", "sex"]):
        frame = MetricFrame(metrics={"sel": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
                            y_true=df.y, y_pred=df.pred, sensitive_features=df[keys])
        out[tuple(keys)] = frame.by_group
    return out


def max_difference(report, reference: dict[tuple[str, ...], pd.DataFrame]) -> float:
    worst = 0.0
    for keys, table in reference.items():
        groups = {g.label: g for g in report.grouping(*keys).groups}
        for index, row in table.iterrows():
            label = " & ".join(index) if isinstance(index, tuple) else str(index)
            g = groups[label]
            for ours, theirs in ((g.selection_rate, row.sel), (g.tpr, row.tpr), (g.fpr, row.fpr)):
                worst = max(worst, abs(ours - theirs))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--fairlearn-repeats", type=int, default=3)
    args = parser.parse_args()

    df = generate(args.rows)
    print(f"data: {args.rows:,} rows, race (5 groups) x sex (2), label + prediction; cpus: {os.cpu_count()}; "
          f"string dtype: {df.race.dtype}")
    run_govern(df)  # warm imports
    t_gov, report = timed(lambda: run_govern(df), args.repeats)
    tracemalloc.start()
    run_govern(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t_pd, pandas_result = timed(lambda: run_pandas(df), args.repeats)
    loaded = int(df.memory_usage(deep=True).sum())
    print(f"loaded data: {loaded / 1e6:,.0f} MB")
    print(f"{'contender':42s} {'median ms':>10s} {'vs govern':>10s}")
    print(f"{'govern fairness_report (race, race x sex)':42s} {t_gov * 1e3:10.1f} {'1.00x':>10s}   "
          f"tracemalloc peak {peak / 1e6:,.0f} MB")
    print(f"{'pandas groupby (same numbers)':42s} {t_pd * 1e3:10.1f} {t_pd / t_gov:9.2f}x")
    pandas_diff = max_difference(report, {k: v.rename(columns={"sel": "sel"}) for k, v in pandas_result.items()})
    try:
        import fairlearn  # noqa: F401
    except ImportError:
        print("fairlearn: skipped (not installed; it is a dev dependency)")
        print(f"max |govern - pandas| over per-group rates: {pandas_diff:.3g}")
        return
    t_fl, fl_result = timed(lambda: run_fairlearn(df), args.fairlearn_repeats)
    print(f"{'fairlearn MetricFrame':42s} {t_fl * 1e3:10.1f} {t_fl / t_gov:9.2f}x")
    print(f"max |govern - fairlearn| over per-group selection rate, TPR, FPR: {max_difference(report, fl_result):.3g}")
    print(f"max |govern - pandas| over the same: {pandas_diff:.3g}")
    race = report.grouping("race")
    print(f"race: min impact ratio {race.min_impact_ratio:.4f} (least selected: {race.least_selected_group}), "
          f"max TPR gap {race.max_tpr_gap:.4f}, max FPR gap {race.max_fpr_gap:.4f}")


if __name__ == "__main__":
    main()
