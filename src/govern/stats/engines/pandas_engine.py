"""The in-memory engine: DataFrames read from CSV/Parquet, aggregated with numpy.

What every check did before engines existed, now behind the same interface as DuckDB and
Spark: it is the reference the other engines are tested against, and still the fastest for
tables that fit in memory (one sort per column, one bincount per grouping).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from govern.stats.engines.base import MISSING_LABEL, Engine, Selection


class PandasEngine(Engine[pd.DataFrame]):
    name = "pandas"
    parallel_columns = True

    def columns(self, table: pd.DataFrame) -> list[str]:
        return [str(c) for c in table.columns]

    def n_rows(self, table: pd.DataFrame) -> int:
        return len(table)

    def is_categorical(self, table: pd.DataFrame, column: str) -> bool:
        from govern.stats.values import is_categorical_series

        return is_categorical_series(table[column])

    def ecdf(self, reference: pd.DataFrame, current: pd.DataFrame, column: str, bins: int):
        from govern.stats.ecdf import summarise_sorted
        from govern.stats.values import as_float_array, drop_missing

        ref, miss_ref = drop_missing(as_float_array(reference[column]))
        cur, miss_cur = drop_missing(as_float_array(current[column]))
        return summarise_sorted(np.sort(ref), np.sort(cur), miss_ref, miss_cur, bins)

    def category_counts(self, table: pd.DataFrame, column: str) -> tuple[dict[str, int], int]:
        from govern.stats.values import label_counts

        return label_counts(table[column])

    def segments(self, reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str]
                 ) -> list[tuple[tuple[str, ...], pd.DataFrame, pd.DataFrame]]:
        from govern.stats.values import category_labels

        cols = list(columns)

        def index(frame: pd.DataFrame) -> dict[tuple[str, ...], np.ndarray]:
            # canonical labels: a segment code read as 3 in one table and 3.0 in the other is one segment
            keys = [category_labels(frame[c]).fillna(MISSING_LABEL) for c in cols]
            grouped = pd.DataFrame({c: k for c, k in zip(cols, keys)}).groupby(cols, sort=False)
            return {tuple(k if isinstance(k, tuple) else (k,)): v for k, v in grouped.indices.items()}

        ref_idx, cur_idx = index(reference), index(current)
        empty = np.empty(0, dtype=np.int64)
        return [(key, reference.iloc[ref_idx.get(key, empty)], current.iloc[cur_idx.get(key, empty)])
                for key in sorted(set(ref_idx) | set(cur_idx))]

    def fairness_cells(self, table: pd.DataFrame, attributes: Sequence[str], selected: Selection,
                       truth: str | None, pos_label: Any) -> tuple[pd.DataFrame, int]:
        """Not used: :func:`~govern.stats.fairness.engine_fairness` bincounts pandas rows directly."""
        raise NotImplementedError("pandas rows are counted by fairness_report itself")

    def order_statistics(self, table: pd.DataFrame, column: str, ranks: Callable[[int], Sequence[int]],
                         present: Sequence[str] = ()) -> tuple[int, dict[int, float]]:
        values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
        keep = ~np.isnan(values)
        for other in present:
            keep &= table[other].notna().to_numpy()
        ordered = np.sort(values[keep])
        return int(ordered.size), {int(r): float(ordered[r]) for r in ranks(ordered.size)}

    def sample(self, table: pd.DataFrame, columns: Sequence[str], n: int, seed: int) -> pd.DataFrame:
        frame = table[list(columns)]
        if len(frame) <= n:
            return frame
        rows = np.sort(np.random.default_rng(seed).choice(len(frame), size=n, replace=False))
        return frame.iloc[rows]

    # -- performance, data quality, latency ---------------------------------------------------
    def _kept(self, table: pd.DataFrame, present: Sequence[str]) -> pd.DataFrame:
        if not present:
            return table
        keep = table[list(dict.fromkeys(present))].notna().all(axis=1)
        return table if bool(keep.all()) else table.loc[keep]

    def _group_codes(self, frame: pd.DataFrame, groups: Sequence[str]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
        """Each row's group number and the groups' raw values (None for missing), in first-seen order."""
        if not groups:
            return np.zeros(len(frame), dtype=np.int64), ([()] if len(frame) else [])
        grouped = frame.groupby(list(groups), dropna=False, sort=False, observed=True)
        keys = [k if isinstance(k, tuple) else (k,) for k in grouped.size().index]
        return grouped.ngroup().to_numpy(dtype=np.int64), [tuple(_plain(v) for v in k) for k in keys]

    def value_cells(self, table: pd.DataFrame, columns: Sequence[str], present: Sequence[str] = (),
                    thresholds: dict[str, float] | None = None) -> list[tuple[Any, ...]]:
        frame = self._kept(table, present)
        if not columns:
            return [(len(frame),)]
        data: dict[str, Any] = {}
        for i, column in enumerate(columns):
            if thresholds and column in thresholds:
                x = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
                data[f"c{i}"] = np.where(np.isnan(x), None, x >= thresholds[column]).astype(object)
            else:
                data[f"c{i}"] = frame[column].to_numpy()
        counted = pd.DataFrame(data).groupby(list(data), dropna=False, sort=False, observed=True).size()
        return [tuple(_plain(v) for v in (k if isinstance(k, tuple) else (k,))) + (int(n),)
                for k, n in counted.items()]

    def auc_counts(self, table: pd.DataFrame, groups: Sequence[str], score: str, truth: str, pos_label: Any,
                   present: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        frame = self._kept(table, [score, truth, *present])
        if not len(frame):
            return []
        codes, keys = self._group_codes(frame, groups)
        s = frame[score].to_numpy(dtype=np.float64, na_value=np.nan)
        pos = (frame[truth] == pos_label).to_numpy(dtype=bool, na_value=False)
        order = np.lexsort((s, codes))
        codes, s, pos = codes[order], s[order], pos[order]
        # runs of one (group, score): positives and negatives per run, negatives below it in its group
        starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (s[1:] != s[:-1])])
        run_pos = np.add.reduceat(pos.astype(np.int64), starts) if starts.size else np.zeros(0, np.int64)
        run_neg = np.diff(np.r_[starts, codes.size]) - run_pos
        run_group = codes[starts]
        cum_neg = np.cumsum(run_neg) - run_neg
        group_start = np.flatnonzero(np.r_[True, run_group[1:] != run_group[:-1]]) if starts.size else starts
        below = cum_neg - np.repeat(cum_neg[group_start], np.diff(np.r_[group_start, run_group.size]))
        twice_u = run_pos * (2 * below + run_neg)
        out = []
        for first, last in zip(group_start, np.r_[group_start[1:], run_group.size]):
            g = int(run_group[first])
            out.append(keys[g] + (int(run_pos[first:last].sum()), int(run_neg[first:last].sum()),
                                  int(twice_u[first:last].sum())))
        return out

    def error_sums(self, table: pd.DataFrame, groups: Sequence[str], truth: str, value: str, kind: str,
                   pos_label: Any, present: Sequence[str] = ()) -> pd.DataFrame:
        frame = self._kept(table, [truth, value, *present])
        codes, keys = self._group_codes(frame, groups)
        k = len(keys)
        v = frame[value].to_numpy(dtype=np.float64, na_value=np.nan)
        eps = float(np.finfo(np.float64).eps)

        def total(w: np.ndarray) -> np.ndarray:
            return np.bincount(codes, weights=w, minlength=k)

        lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
        np.minimum.at(lo, codes, v)
        np.maximum.at(hi, codes, v)
        sums: dict[str, Any] = {"n": np.bincount(codes, minlength=k), "lo": lo, "hi": hi}
        if kind == "probability":
            y = (frame[truth] == pos_label).to_numpy(dtype=bool, na_value=False)
            with np.errstate(divide="ignore", invalid="ignore"):
                loss = -np.where(y, np.log(np.clip(v, eps, 1 - eps)), np.log(np.clip(1 - v, eps, 1 - eps)))
            sums.update(brier=total((y.astype(np.float64) - v) ** 2), log_loss=total(loss))
        else:
            y = frame[truth].to_numpy(dtype=np.float64, na_value=np.nan)
            err = np.abs(v - y)
            mean = total(y) / np.maximum(sums["n"], 1)
            sums.update(sq=total(err ** 2), abs=total(err), ape=total(err / np.maximum(np.abs(y), eps)),
                        y_sum=total(y), ss_tot=total((y - mean[codes]) ** 2))
        out = pd.DataFrame({f"g{i}": pd.Series([key[i] for key in keys], dtype=object) for i in range(len(groups))})
        for name, column in sums.items():
            out[name] = column
        return out

    def missing_counts(self, table: pd.DataFrame, columns: Sequence[str]) -> dict[str, int]:
        return {c: int(table[c].isna().sum()) for c in columns}

    def simple_type(self, table: pd.DataFrame, column: str) -> str:
        from govern.stats.values import simple_type

        return simple_type(table[column])

    def numeric_summaries(self, table: pd.DataFrame, columns: Sequence[str]
                          ) -> dict[str, tuple[int, float | None, float | None, float]]:
        out: dict[str, tuple[int, float | None, float | None, float]] = {}
        for column in columns:
            x = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
            x = x[~np.isnan(x)]
            out[column] = (int(x.size), float(x.min()), float(x.max()), float(x.sum())) if x.size else (0, None, None, 0.0)
        return out

    def counts_outside(self, table: pd.DataFrame, ranges: dict[str, tuple[float | None, float | None]]
                       ) -> dict[str, int]:
        out = {}
        for column, (low, high) in ranges.items():
            x = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
            outside = np.zeros(x.size, dtype=bool)
            with np.errstate(invalid="ignore"):
                if low is not None:
                    outside |= x < low
                if high is not None:
                    outside |= x > high
            out[column] = int(outside.sum())
        return out

    def all_whole(self, table: pd.DataFrame, column: str) -> bool:
        x = table[column].dropna().to_numpy(dtype=np.float64)
        return bool(np.all(np.isfinite(x) & (x == np.round(x))))

    def distinct_rows(self, table: pd.DataFrame, columns: Sequence[str]) -> int:
        if not columns:
            return min(len(table), 1)
        frame = table[list(columns)]
        return int(len(frame) - frame.duplicated().sum()) if len(frame) else 0


def _plain(value: Any) -> Any:
    """A numpy/pandas scalar as the Python value an SQL engine returns; NaN and NaT as None."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value
