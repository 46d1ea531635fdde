"""The questions every statistics engine answers, as aggregates small enough to finish in numpy.

A table handle is whatever the engine reads (a DataFrame, a DuckDB relation, a Spark
DataFrame); only the engine looks inside it. Each method returns counts, a handful of order
statistics or an :class:`~govern.stats.ecdf.EcdfSummary` — never rows — so the size of what
crosses from the engine to govern does not grow with the data (only with the number of
categories and groups, which is capped).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from govern.stats.ecdf import EcdfSummary

T = TypeVar("T")

#: Distinct values a category count may return before the column is refused as not categorical.
MAX_CATEGORIES = 1_000_000
#: Label used for a missing segment or group value (the same as the fairness module's).
MISSING_LABEL = "(missing)"


class EngineError(ValueError):
    """A table the engine cannot assess as asked (too many categories, an unsupported type)."""


class TableAggregates(ABC, Generic[T]):
    """The aggregates `performance_by_group`, `data_quality` and `latency` are finished from.

    Every method returns counts, sums or extremes per group (or per column) — never rows — and
    the statistics are finished once, in :mod:`govern.stats.performance`,
    :mod:`govern.stats.quality` and :mod:`govern.stats.latency`, for every engine (pandas
    included). A missing value is None, or NaN in a float column (pandas reads both as missing);
    numbers are compared as float64, as pandas compares them. Group values come back raw (the
    finishing code gives them their canonical labels), NaN in a float column as None.
    """

    @abstractmethod
    def value_cells(self, table: T, columns: Sequence[str], present: Sequence[str] = (),
                    thresholds: "dict[str, float] | None" = None) -> list[tuple[Any, ...]]:
        """(values of ``columns``…, count) per distinct combination, among the rows where every
        ``present`` column is non-missing; a column named in ``thresholds`` stands for the boolean
        ``value >= threshold`` (None where missing). With no columns: one row, the count."""

    @abstractmethod
    def auc_counts(self, table: T, groups: Sequence[str], score: str, truth: str, pos_label: Any,
                   present: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        """(group values…, positives, negatives, 2U) per group, among rows with score, truth and
        every ``present`` column non-missing: ``positive`` is ``truth == pos_label`` and 2U is twice the
        Mann–Whitney statistic, Σ over (positive, negative) pairs of 2 if the positive scores higher
        and 1 on a tie — an exact integer, so AUC = 2U / (2·P·N) is the same number on every engine."""

    @abstractmethod
    def error_sums(self, table: T, groups: Sequence[str], truth: str, value: str, kind: str, pos_label: Any,
                   present: Sequence[str] = ()) -> "pd.DataFrame":
        """Per group, among rows with every ``present`` column non-missing: ``n``, ``lo``/``hi`` (the
        extremes of ``value``) and the sums its metrics are means of.

        ``kind`` ``"probability"`` (``value`` a probability of ``truth == pos_label``): ``brier``
        Σ(y − p)², ``log_loss`` Σ −log of the probability given to the true class, clipped to
        [eps, 1 − eps] as scikit-learn clips it. ``kind`` ``"value"`` (regression): ``sq`` Σ(y − v)²,
        ``abs`` Σ|y − v|, ``ape`` Σ|y − v| / max(|y|, eps), ``y_sum`` Σy, ``ss_tot`` Σ(y − ȳ)².
        Columns: ``g0``, ``g1``… (group values), then those.
        """

    @abstractmethod
    def missing_counts(self, table: T, columns: Sequence[str]) -> dict[str, int]:
        """Missing values per column, in one pass."""

    @abstractmethod
    def simple_type(self, table: T, column: str) -> str:
        """The type name policies use (:data:`govern.stats.quality.TYPE_NAMES` or ``other``), as pandas
        would type the column read from the same file: an integer column with a gap is a ``number``."""

    @abstractmethod
    def numeric_summaries(self, table: T, columns: Sequence[str]
                          ) -> dict[str, tuple[int, float | None, float | None, float]]:
        """Per numeric column (non-missing values, minimum, maximum, sum) as float64, in one pass."""

    @abstractmethod
    def counts_outside(self, table: T, ranges: "dict[str, tuple[float | None, float | None]]") -> dict[str, int]:
        """Per column, the non-missing values below ``low`` or above ``high`` (an open end is None), in one pass."""

    @abstractmethod
    def all_whole(self, table: T, column: str) -> bool:
        """Whether every non-missing value is a finite whole number."""

    @abstractmethod
    def distinct_rows(self, table: T, columns: Sequence[str]) -> int:
        """Distinct rows over ``columns``, missing values equal to each other (pandas' ``duplicated``)."""


class Engine(TableAggregates[T]):
    """One way of computing the aggregates; ``T`` is the engine's table handle."""

    name: ClassVar[str]
    #: whether per-column work may run in threads (pandas: numpy releases the GIL; SQL engines
    #: parallelise inside each query instead)
    parallel_columns: ClassVar[bool] = False

    @abstractmethod
    def columns(self, table: T) -> list[str]:
        """Column names in table order."""

    @abstractmethod
    def n_rows(self, table: T) -> int:
        """Number of rows, missing values included."""

    @abstractmethod
    def is_categorical(self, table: T, column: str) -> bool:
        """Booleans, text, dates and decimals are categories; integers, floats and timestamps are numbers.

        (This is how pandas types a column read from Parquet, so every engine types it alike.)
        """

    @abstractmethod
    def ecdf(self, reference: T, current: T, column: str, bins: int) -> "EcdfSummary":
        """Exact ECDF extremes, area and reference-quantile bin counts of one numeric column."""

    @abstractmethod
    def category_counts(self, table: T, column: str) -> tuple[dict[str, int], int]:
        """Canonical label → count and the number of missing values (None or NaN)."""

    @abstractmethod
    def segments(self, reference: T, current: T, columns: Sequence[str]
                 ) -> list[tuple[tuple[str, ...], T, T]]:
        """(canonical labels of one segment, its reference rows, its current rows) for each segment.

        Labels are canonical (``3`` and ``3.0`` are one segment) with missing values as
        ``(missing)``; a segment present on one side only has an empty table on the other.
        """

    @abstractmethod
    def fairness_cells(self, table: T, attributes: Sequence[str], selected: "Selection",
                       truth: str | None, pos_label: Any) -> "tuple[pd.DataFrame, int]":
        """Counts per (attribute values…, selected, positive) cell, and the rows dropped as missing.

        Columns: the attributes (raw distinct values, None for missing), ``selected`` and
        ``positive`` (booleans; ``positive`` False when there is no ``truth``) and ``count``.
        Rows with a missing decision, score or (when given) truth are dropped and counted.
        """

    @abstractmethod
    def order_statistics(self, table: T, column: str, ranks: "Callable[[int], Sequence[int]]",
                         present: Sequence[str] = ()) -> tuple[int, dict[int, float]]:
        """The number n of rows where ``column`` and every ``present`` column are non-missing, and the
        values of ``column`` at the 0-based ranks ``ranks(n)`` among those rows, sorted (exact)."""

    @abstractmethod
    def sample(self, table: T, columns: Sequence[str], n: int, seed: int) -> "pd.DataFrame":
        """A seeded, deterministic sample of at most ``n`` rows (for models, never for statistics)."""


class Selection:
    """How a row counts as selected: ``decision == pos_label``, ``score >= threshold`` or ``score > median``.

    ``median`` is filled in by the fairness code from exact order statistics before counting.
    """

    __slots__ = ("decision", "score", "threshold", "median")

    def __init__(self, decision: str | None = None, score: str | None = None, threshold: float | None = None,
                 median: float | None = None) -> None:
        self.decision, self.score, self.threshold, self.median = decision, score, threshold, median

    @property
    def column(self) -> str:
        column = self.decision or self.score
        assert column is not None
        return column


def check_categories(column: str, count: int) -> None:
    """Refuse a 'categorical' column with more distinct values than a count table should hold."""
    if count > MAX_CATEGORIES:
        raise EngineError(f"column `{column}` has more than {MAX_CATEGORIES:,} distinct values: "
                          "not a categorical feature (declare it numeric, or leave it out)")


def segment_label(value: Any) -> str:
    """A segment value's label, as the pandas engine labels it: missing values share one label."""
    import math

    from govern.stats.values import category_label

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_LABEL
    return category_label(value)


def segment_index(columns: Sequence[str], distinct_rows: Sequence[Sequence[Sequence[Any]]]
                  ) -> tuple[dict[str, dict[str, list[Any]]], list[set[tuple[str, ...]]]]:
    """From each table's distinct segment rows: per column, label → the raw values behind it
    (a label may stand for several values, e.g. 1 and 1.0), and the segment keys each table holds.

    The SQL engines filter a segment by its raw values, so the label alone is not enough.
    """
    raw: dict[str, dict[str, list[Any]]] = {c: {} for c in columns}
    keys: list[set[tuple[str, ...]]] = []
    for rows in distinct_rows:
        if len(rows) > MAX_CATEGORIES:
            raise EngineError(f"more than {MAX_CATEGORIES:,} segments")
        seen = set()
        for row in rows:
            labels = tuple(segment_label(v) for v in row)
            for c, label, value in zip(columns, labels, row):
                if label != MISSING_LABEL and value not in raw[c].setdefault(label, []):
                    raw[c][label].append(value)
            seen.add(labels)
        keys.append(seen)
    return raw, keys



def combine_auc_ranges(rows: Sequence[Sequence[Any]], k: int) -> list[tuple[Any, ...]]:
    """Rows of (group values…, range number, positives, negatives, 2U within the range) → per group
    (group values…, positives, negatives, 2U).

    An engine that cuts the scores into value ranges (so no window has to order every distinct
    score of a large group) counts 2U inside each range; every negative of a lower range scores
    below every positive of a higher one, which adds 2 · positives · negatives-below per range.
    """
    totals: dict[tuple[Any, ...], list[int]] = {}
    for row in sorted(rows, key=lambda r: r[k]):  # ranges in value order
        key = tuple(row[:k])
        pos, neg, twice_u = int(row[k + 1]), int(row[k + 2]), int(row[k + 3])
        t = totals.setdefault(key, [0, 0, 0])
        t[2] += twice_u + 2 * pos * t[1]
        t[0] += pos
        t[1] += neg
    return [key + tuple(t) for key, t in totals.items()]
