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
        from govern.stats.drift import _is_categorical

        return _is_categorical(table[column])

    def ecdf(self, reference: pd.DataFrame, current: pd.DataFrame, column: str, bins: int):
        from govern.stats.drift import _as_float_array, _drop_missing, summarise_sorted

        ref, miss_ref = _drop_missing(_as_float_array(reference[column]))
        cur, miss_cur = _drop_missing(_as_float_array(current[column]))
        return summarise_sorted(np.sort(ref), np.sort(cur), miss_ref, miss_cur, bins)

    def category_counts(self, table: pd.DataFrame, column: str) -> tuple[dict[str, int], int]:
        from govern.stats.drift import _counts_by_label

        return _counts_by_label(table[column])

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
