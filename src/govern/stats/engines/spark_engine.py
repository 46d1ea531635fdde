"""The cluster engine: a Spark session (local, a master URL, or Spark Connect) computes the aggregates.

The same questions as the DuckDB engine, in the DataFrame API so that they run unchanged
over Spark Connect: every method ends in an aggregation whose result is a handful of rows
(counts per category or group cell, per-partition totals, a few order statistics), and
that is all that travels back to govern. Raw rows never reach the driver.

KS and Wasserstein come from bucket histograms (a ``groupBy`` on the bucket expression) and a
window partitioned by bucket over the few buckets that need it, finished by
:mod:`govern.stats.ecdf_buckets` exactly as for DuckDB. Where cumulative counts over many
distinct values are still needed (order statistics, a huge bucket, a column with ±inf) they
are computed without a global window (Spark would run it on a single partition): the distinct
values are cut into value ranges at approximate quantiles (the cuts only split the work; every
count stays exact), each range's totals are collected (one row per range) and turned into
offsets, and a window *within* each range adds its offset. The step after a range's last value
is closed with the next range's first value, also collected. Up to ``single_bucket`` distinct
values, one window orders them all (fewer Spark jobs).

Every collect is cancelled after ``timeout_s`` seconds (one hour unless the caller says
otherwise), like the DuckDB engine's queries: its jobs carry a tag of their own, which a timer
cancels (``SparkContext.cancelJobsWithTag``, interrupting running tasks; on Spark Connect the
session's ``interruptTag``). A gate never waits forever on an evidence query.
"""

from __future__ import annotations

import math
import os
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from govern.stats.ecdf import EcdfSummary, quantile_edges, quantile_positions
from govern.stats.values import counts_by_label
from govern.stats.ecdf_buckets import ExactPart, Level, Tuning, bucketable, bucketed_summary
from govern.stats.engines.base import MAX_CATEGORIES, MISSING_LABEL, Engine, EngineError, Selection, segment_index

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

#: A catalog table name: up to three dot-separated identifiers (catalog.schema.table).
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


def spark_session() -> "SparkSession":
    """The session to compute in: the active one, else Spark Connect (``SPARK_REMOTE``), else
    ``GOVERN_SPARK_MASTER``, else ``local[2]`` bound to the loopback interface.

    Where Spark runs is the operator's choice (environment), never the evidence's: a manifest
    can name a table, not a cluster to connect to.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    builder = SparkSession.builder.appName("govern")
    master = os.environ.get("GOVERN_SPARK_MASTER")
    if master:
        return builder.master(master).getOrCreate()
    return (builder.master("local[2]").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4").getOrCreate())


class SparkTable:
    """A Spark DataFrame and the name it is reported under."""

    def __init__(self, frame: "DataFrame", label: str = "") -> None:
        self.frame, self.label = frame, label
        self._n_rows: int | None = None
        self._present: dict[str, int] = {}
        self._types = {f.name: f.dataType for f in frame.schema.fields}

    def filtered(self, condition: "Column") -> "SparkTable":
        return SparkTable(self.frame.filter(condition), self.label)


class SparkEngine(Engine[SparkTable]):
    name = "spark"

    def __init__(self, session: "SparkSession | None" = None, *, partitions: int | None = None,
                 single_bucket: int = 2_000_000, tuning: Tuning = Tuning(), timeout_s: float = 3600.0) -> None:
        self.spark = session or spark_session()
        self.timeout_s = timeout_s
        if partitions is None:
            try:
                partitions = int(self.spark.conf.get("spark.sql.shuffle.partitions") or 8)
            except Exception:  # a Connect server may not expose the setting
                partitions = 8
        #: value ranges (partitions) the cumulative counts are split into, at most
        self.partitions = max(1, min(int(partitions), 64))
        #: distinct values up to which one window orders them all (one partition is fast enough)
        self.single_bucket = single_bucket
        #: bucket sizes of the exact ECDF (:mod:`govern.stats.ecdf_buckets`), and a count of what it ran
        self.tuning = tuning
        self.ecdf_trace: Counter[str] = Counter()

    # -- tables ------------------------------------------------------------------------------
    def files(self, paths: Sequence[str], fmt: Literal["parquet", "csv", "json", "orc"], label: str = "") -> SparkTable:
        reader = self.spark.read
        if fmt == "csv":
            reader = reader.option("header", "true").option("inferSchema", "true")
        try:
            frame = reader.format(fmt).load([str(p) for p in paths])
        except Exception as exc:
            raise EngineError(f"Spark could not read {label or 'the files'}: {_first_line(exc)}") from None
        return SparkTable(frame, label)

    def table(self, name: str, label: str = "") -> SparkTable:
        if not TABLE_NAME.match(name):
            raise EngineError(f"`{name}` is not a table name (catalog.schema.table, letters, digits, _)")
        try:
            return SparkTable(self.spark.table(name), label or name)
        except Exception as exc:
            raise EngineError(f"Spark has no readable table `{name}`: {_first_line(exc)}") from None

    def listing(self, table: SparkTable) -> list[str]:
        """The files a table reads (its snapshot, for lakehouse formats whose data files are immutable)."""
        try:
            return sorted(table.frame.inputFiles())
        except Exception:
            return []

    def _collect(self, frame: "DataFrame", what: str, limit: int | None = None) -> list[Any]:
        """The rows, the query's jobs cancelled after ``timeout_s`` (see the module's docstring)."""
        tag = f"govern-{uuid.uuid4().hex}"
        add, cancel, remove = self._job_tags()
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            cancel(tag)

        add(tag)
        timer = threading.Timer(self.timeout_s, expire)
        timer.daemon = True
        timer.start()
        try:
            return (frame.limit(limit) if limit is not None else frame).collect()
        except Exception as exc:
            if expired.is_set():
                raise EngineError(f"Spark query on {what or 'the evidence'} exceeded {self.timeout_s:g} s") from None
            raise EngineError(f"Spark could not compute on {what or 'the evidence'}: {_first_line(exc)}") from None
        finally:
            timer.cancel()
            remove(tag)

    def _job_tags(self) -> tuple[Callable[[str], Any], Callable[[str], Any], Callable[[str], Any]]:
        """(add, cancel, remove) for a tag on this thread's jobs: the SparkContext's, or Spark Connect's.

        On a SparkContext the tag also asks for running tasks to be interrupted on cancel (a
        thread-local property of the caller's context, restored when the tag is removed).
        """
        try:
            context = self.spark.sparkContext
        except Exception:  # Spark Connect has no SparkContext; its session tags operations instead
            return self.spark.addTag, self.spark.interruptTag, self.spark.removeTag
        key = "spark.job.interruptOnCancel"
        previous = context.getLocalProperty(key)

        def add(tag: str) -> None:
            context.setLocalProperty(key, "true")
            context.addJobTag(tag)

        def remove(tag: str) -> None:
            context.removeJobTag(tag)
            context.setLocalProperty(key, previous)  # type: ignore[arg-type]  # None removes it

        return add, context.cancelJobsWithTag, remove

    # -- column facts ------------------------------------------------------------------------
    def columns(self, table: SparkTable) -> list[str]:
        return list(table._types)

    def _kind(self, table: SparkTable, column: str) -> str:
        from pyspark.sql import types as T

        dtype = table._types[column]
        if isinstance(dtype, (T.FloatType, T.DoubleType)):
            return "float"
        if isinstance(dtype, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
            return "integer"
        if isinstance(dtype, T.TimestampNTZType):
            return "timestamp_ntz"
        if isinstance(dtype, T.TimestampType):
            return "timestamp"
        if isinstance(dtype, T.BooleanType):
            return "boolean"
        return "other"

    def n_rows(self, table: SparkTable) -> int:
        if table._n_rows is None:
            self._profile(table)
        assert table._n_rows is not None
        return table._n_rows

    def _profile(self, table: SparkTable) -> None:
        """Rows and non-missing values of every column, in one pass (each job costs a round trip)."""
        from pyspark.sql import functions as F

        names = list(table._types)
        row = self._collect(table.frame.agg(
            F.count(F.lit(1)), *[F.count(F.when(~self._missing(table, c), 1)) for c in names]), table.label)[0]
        table._n_rows = int(row[0])
        table._present = {c: int(v) for c, v in zip(names, list(row)[1:])}

    def _count(self, frame: "DataFrame", what: str) -> int:
        from pyspark.sql import functions as F

        return int(self._collect(frame.agg(F.count(F.lit(1))), what)[0][0])

    def is_categorical(self, table: SparkTable, column: str) -> bool:
        return self._kind(table, column) not in ("float", "integer", "timestamp", "timestamp_ntz")

    def _missing(self, table: SparkTable, column: str) -> "Column":
        from pyspark.sql import functions as F

        col = F.col(_q(column))
        return (col.isNull() | F.isnan(col)) if self._kind(table, column) == "float" else col.isNull()

    def _number(self, table: SparkTable, column: str) -> "Column":
        """Doubles as pandas compares them; timestamps as seconds since the epoch, computed from
        microseconds the way pandas divides nanoseconds (so the same doubles)."""
        from pyspark.sql import functions as F

        kind = self._kind(table, column)
        if kind == "timestamp":
            micros = F.unix_micros(F.col(_q(column)))
        elif kind == "timestamp_ntz":
            micros = F.expr(f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {_q(column)})")
        else:
            return F.col(_q(column)).cast("double")
        return (micros * F.lit(1000)).cast("double") / F.lit(1e9)

    def _n_present(self, table: SparkTable, column: str) -> int:
        if column not in table._present:
            self._profile(table)
        return table._present[column]

    # -- cumulative counts over sorted distinct values ----------------------------------------
    def _cumulative(self, values: "DataFrame", weights: Sequence[str], n_values: int, what: str) -> "DataFrame":
        """(x, weights…) with distinct x → (x, nx, cumulative weights…) in x order, nx the next x.

        Up to ``single_bucket`` values one window orders them all. Above, the values are cut into
        ranges at approximate quantiles (the cuts only decide where work is split: every count
        stays exact); each range's totals (one row per range) become offsets, so a window
        *within* each range gives global running sums without a global sort.
        """
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        buckets = min(self.partitions, max(1, n_values // self.single_bucket + 1))
        if buckets > 1:
            fractions = [i / buckets for i in range(1, buckets)]
            cuts = self._collect(values.agg(F.percentile_approx("x", fractions, 1000)), what)[0][0]
            cuts = sorted(set(float(c) for c in cuts if c is not None and not math.isnan(c)))
        else:
            cuts = []
        if not cuts:
            window = Window.orderBy("x").rowsBetween(Window.unboundedPreceding, Window.currentRow)
            return values.select("x", F.lead("x").over(Window.orderBy("x")).alias("nx"),
                                 *[F.sum(w).over(window).alias(f"c_{w}") for w in weights])
        bucket = sum((F.col("x") > F.lit(c)).cast("int") for c in cuts)
        banded = values.withColumn("bucket", bucket)
        totals = self._collect(banded.groupBy("bucket").agg(*[F.sum(w).alias(w) for w in weights],
                                                            F.min("x").alias("first")), what)
        totals = sorted(totals, key=lambda r: r["bucket"])
        offsets = {w: F.lit(0).cast("long") for w in weights}
        following = F.lit(None).cast("double")
        running = [0] * len(weights)
        for i, row in enumerate(totals):
            here = F.col("bucket") == F.lit(int(row["bucket"]))
            for w, r in zip(weights, running):
                offsets[w] = F.when(here, F.lit(r).cast("long")).otherwise(offsets[w])
            if i + 1 < len(totals):
                following = F.when(here, F.lit(float(totals[i + 1]["first"]))).otherwise(following)
            running = [r + int(row[w]) for r, w in zip(running, weights)]
        window = Window.partitionBy("bucket").orderBy("x").rowsBetween(Window.unboundedPreceding, Window.currentRow)
        ordered = Window.partitionBy("bucket").orderBy("x")
        return banded.select(
            "x", F.coalesce(F.lead("x").over(ordered), following).alias("nx"),
            *[(offsets[w] + F.sum(w).over(window)).alias(f"c_{w}") for w in weights])

    # -- drift -------------------------------------------------------------------------------
    def ecdf(self, reference: SparkTable, current: SparkTable, column: str, bins: int) -> EcdfSummary:
        """Exact ECDF summary from bucket histograms refined where needed (:mod:`govern.stats.ecdf_buckets`);
        a small column, one holding ±inf, or one spanning more than a double can subtract takes the
        plain window."""
        from pyspark.sql import functions as F

        n1, n2 = self._n_present(reference, column), self._n_present(current, column)
        miss1, miss2 = self.n_rows(reference) - n1, self.n_rows(current) - n2
        if n1 == 0 or n2 == 0:
            return EcdfSummary(n1, n2, miss1, miss2)
        union = self._union(reference, current, column)
        what = f"column `{column}`"
        lo, hi = (float(v) for v in self._collect(union.agg(F.min("x"), F.max("x")), what)[0])
        if not bucketable(n1 + n2, lo, hi, self.tuning):
            self.ecdf_trace["window"] += 1
            return self._ecdf_window(union, n1, n2, miss1, miss2, bins, column)
        source = _SparkBuckets(self, union, n1, n2, column)
        return bucketed_summary(source, n1, n2, miss1, miss2, lo, hi, bins, self.tuning, self.ecdf_trace)

    def _ecdf_window(self, union: "DataFrame", n1: int, n2: int, miss1: int, miss2: int, bins: int,
                     column: str) -> EcdfSummary:
        """Cumulative counts over all sorted distinct values (value ranges with per-range offsets)."""
        ranks = quantile_positions(n1, bins).tolist()
        part = self._window_part(union, n1, n2, ranks, (0, 0), n1 + n2, f"column `{column}`")
        hi, lo = max((0, 0.0), part.h_max or (0, 0.0)), min((0, 0.0), part.h_min or (0, 0.0))
        edges = quantile_edges(lambda idx: np.array([part.values[int(i)] for i in idx], dtype=np.float64), n1, bins)
        ref_bins, cur_bins = self._bins(union, edges, n1, n2, column)
        return EcdfSummary(n1, n2, miss1, miss2, hi[0], hi[1], lo[0], lo[1], part.area, tuple(edges.tolist()),
                           ref_bins, cur_bins)

    def _window_part(self, union: "DataFrame", n1: int, n2: int, ranks: Sequence[int], base: tuple[int, int],
                     size: int, what: str) -> ExactPart:
        """Extremes, area and reference ranks over the distinct values of ``union`` (``base`` rows of each
        side precede it), by :meth:`_cumulative`: the area stops at its last value."""
        from pyspark.sql import functions as F

        values = union.groupBy("x").agg(F.sum(F.when(F.col("side") == 0, 1).otherwise(0)).cast("long").alias("a"),
                                        F.sum(F.when(F.col("side") == 1, 1).otherwise(0)).cast("long").alias("b"))
        cumulative = self._cumulative(values, ("a", "b"), size, what)
        ca, cb = F.col("c_a") + F.lit(base[0]), F.col("c_b") + F.lit(base[1])
        row = self._collect(cumulative.agg(*_extremes(ca, cb, n1, n2), *[F.min(F.when(ca > F.lit(int(r)), F.col("x")))
                                                                         for r in ranks]), what)[0]
        return _part(row, ranks)

    def _union(self, reference: SparkTable, current: SparkTable, column: str) -> "DataFrame":
        from pyspark.sql import functions as F

        parts = [table.frame.filter(~self._missing(table, column))
                 .select(self._number(table, column).alias("x"), F.lit(side).alias("side"))
                 for side, table in ((0, reference), (1, current))]
        return parts[0].unionByName(parts[1])

    def _bins(self, union: "DataFrame", edges: np.ndarray, n1: int, n2: int, column: str
              ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        from pyspark.sql import functions as F

        if edges.size == 0:
            return (n1,), (n2,)
        rows = self._collect(union.groupBy("side").agg(
            *[F.count(F.when(F.col("x") <= F.lit(float(e)), 1)) for e in edges]), f"column `{column}`")
        out = {}
        for row in rows:
            side = int(row[0])
            n = n1 if side == 0 else n2
            out[side] = tuple(np.diff(np.array([0, *list(row)[1:], n], dtype=np.int64)).tolist())
        return out[0], out[1]

    def category_counts(self, table: SparkTable, column: str) -> tuple[dict[str, int], int]:
        rows = self._collect(table.frame.groupBy(_q(column)).count(), f"column `{column}`", MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            from govern.stats.engines.base import check_categories

            check_categories(column, len(rows))
        return counts_by_label([r[0] for r in rows], [r[1] for r in rows])

    # -- segments ----------------------------------------------------------------------------
    def segments(self, reference: SparkTable, current: SparkTable, columns: Sequence[str]
                 ) -> list[tuple[tuple[str, ...], SparkTable, SparkTable]]:
        from pyspark.sql import functions as F

        cols = list(columns)
        raw, keys = segment_index(cols, [
            self._collect(table.frame.select(*[_q(c) for c in cols]).distinct(), table.label, MAX_CATEGORIES + 1)
            for table in (reference, current)])
        out = []
        for key in sorted(keys[0] | keys[1]):
            parts = []
            for table, present in ((reference, keys[0]), (current, keys[1])):
                if key not in present:
                    parts.append(table.filtered(F.lit(False)))
                    continue
                condition = F.lit(True)
                for c, label in zip(cols, key):
                    condition = condition & (self._missing(table, c) if label == MISSING_LABEL
                                             else F.col(_q(c)).isin(raw[c][label]))
                parts.append(table.filtered(condition))
            out.append((key, parts[0], parts[1]))
        return out

    # -- fairness ----------------------------------------------------------------------------
    def _equals(self, table: SparkTable, column: str, label: Any) -> "Column":
        from pyspark.sql import functions as F

        numeric_column = self._kind(table, column) in ("float", "integer", "boolean")
        if isinstance(label, (bool, int, float)) and not isinstance(label, str):
            if not numeric_column:
                return F.lit(False)
            return F.coalesce(F.col(_q(column)).cast("double") == F.lit(float(label)), F.lit(False))
        if numeric_column:
            return F.lit(False)
        return F.coalesce(F.col(_q(column)).cast("string") == F.lit(str(label)), F.lit(False))

    def fairness_cells(self, table: SparkTable, attributes: Sequence[str], selected: Selection,
                       truth: str | None, pos_label: Any) -> tuple[pd.DataFrame, int]:
        from pyspark.sql import functions as F

        keep = ~self._missing(table, selected.column)
        if selected.decision is not None:
            chosen = self._equals(table, selected.decision, pos_label)
        elif selected.threshold is not None:
            chosen = self._number(table, selected.column) >= F.lit(float(selected.threshold))
        else:
            assert selected.median is not None
            chosen = self._number(table, selected.column) > F.lit(float(selected.median))
        positive = F.lit(False)
        if truth is not None:
            keep = keep & ~self._missing(table, truth)
            positive = self._equals(table, truth, pos_label)
        frame = table.frame.filter(keep).select(
            *[F.col(_q(a)).alias(f"a{i}") for i, a in enumerate(attributes)],
            chosen.alias("selected"), positive.alias("positive"))
        rows = self._collect(frame.groupBy(*frame.columns).count(), table.label, MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            raise EngineError(f"more than {MAX_CATEGORIES:,} group cells")
        from govern.stats.engines.duckdb_engine import _cells_frame

        cells = _cells_frame([tuple(r) for r in rows], attributes)
        return cells, self.n_rows(table) - int(cells["count"].sum())

    def order_statistics(self, table: SparkTable, column: str, ranks: Callable[[int], Sequence[int]],
                         present: Sequence[str] = ()) -> tuple[int, dict[int, float]]:
        from pyspark.sql import functions as F

        keep = F.lit(True)
        for c in (column, *present):
            keep = keep & ~self._missing(table, c)
        values = table.frame.filter(keep).select(self._number(table, column).alias("x"))
        n = self._count(values, table.label)
        wanted = [int(r) for r in ranks(n)] if n else []
        if not wanted:
            return n, {}
        counted = values.groupBy("x").agg(F.count(F.lit(1)).cast("long").alias("a"))
        cumulative = self._cumulative(counted, ("a",), n, f"column `{column}`")
        row = self._collect(cumulative.agg(*[F.min(F.when(F.col("c_a") > F.lit(r), F.col("x")))
                                             for r in wanted]), f"column `{column}`")[0]
        return n, {r: float(v) for r, v in zip(wanted, row)}

    def sample(self, table: SparkTable, columns: Sequence[str], n: int, seed: int) -> pd.DataFrame:
        """The ``n`` rows with the smallest hash of (row content, seed): the same rows however the
        table is partitioned (identical rows hash alike, so which of them is taken cannot matter)."""
        from pyspark.sql import functions as F

        cols = [_q(c) for c in columns]
        packed = F.to_json(F.struct(*cols))
        ranked = table.frame.select(*cols).withColumn("_h", F.xxhash64(packed, F.lit(int(seed))))
        rows = self._collect(ranked.orderBy("_h", packed).drop("_h"), table.label, int(n))
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(columns))

    # -- performance, data quality, latency ---------------------------------------------------
    def _raw(self, table: SparkTable, column: str) -> "Column":
        """A column as a group value: NaN in a float column is null (pandas has one missing value)."""
        from pyspark.sql import functions as F

        col = F.col(_q(column))
        return F.when(F.isnan(col), F.lit(None)).otherwise(col) if self._kind(table, column) == "float" else col

    def _kept(self, table: SparkTable, present: Sequence[str]) -> "DataFrame":
        from pyspark.sql import functions as F

        keep = F.lit(True)
        for c in dict.fromkeys(present):
            keep = keep & ~self._missing(table, c)
        return table.frame.filter(keep)

    def _grouped(self, frame: "DataFrame", what: str) -> list[tuple]:
        rows = self._collect(frame, what, MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            raise EngineError(f"more than {MAX_CATEGORIES:,} groups in {what}")
        return [tuple(r) for r in rows]

    def value_cells(self, table: SparkTable, columns: Sequence[str], present: Sequence[str] = (),
                    thresholds: dict[str, float] | None = None) -> list[tuple[Any, ...]]:
        from pyspark.sql import functions as F

        frame = self._kept(table, present)
        if not columns:
            return [(self._count(frame, table.label),)]
        exprs = []
        for i, c in enumerate(columns):
            if thresholds and c in thresholds:
                exprs.append(F.when(self._missing(table, c), F.lit(None))
                             .otherwise(self._number(table, c) >= F.lit(float(thresholds[c]))).alias(f"c{i}"))
            else:
                exprs.append(self._raw(table, c).alias(f"c{i}"))
        selected = frame.select(*exprs)
        return self._grouped(selected.groupBy(*selected.columns).count(), table.label)

    def auc_counts(self, table: SparkTable, groups: Sequence[str], score: str, truth: str, pos_label: Any,
                   present: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        """As DuckDB's, with the scores cut into value ranges (approximate quantiles decide only where
        to cut): 2U within each (group, range) by a window inside it, plus 2 · positives · negatives of
        every lower range of the group, added here from the per-range totals."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        g = [f"g{i}" for i in range(len(groups))]
        frame = self._kept(table, [score, truth, *present]).select(
            *[self._raw(table, c).alias(n) for c, n in zip(groups, g)], self._number(table, score).alias("x"),
            self._equals(table, truth, pos_label).alias("pos"))
        counted = frame.groupBy(*g, "x").agg(F.count(F.when(F.col("pos"), 1)).cast("long").alias("a"),
                                             F.count(F.when(~F.col("pos"), 1)).cast("long").alias("b"))
        # the table's rows bound its distinct (group, score) values (and cost no job: the count is cached)
        buckets = min(self.partitions, max(1, self.n_rows(table) // self.single_bucket + 1))
        cuts: list[float] = []
        if buckets > 1:
            found = self._collect(counted.agg(F.percentile_approx("x", [i / buckets for i in range(1, buckets)],
                                                                  1000)), f"column `{score}`")[0][0]
            cuts = sorted({float(c) for c in found if c is not None and not math.isnan(c)})
        bucket = sum(((F.col("x") > F.lit(c)).cast("int") for c in cuts), F.lit(0))
        banded = counted.withColumn("k", bucket)
        window = (Window.partitionBy(*g, "k").orderBy("x")
                  .rowsBetween(Window.unboundedPreceding, -1))
        below = F.coalesce(F.sum("b").over(window), F.lit(0)).cast("decimal(38,0)")
        inside = banded.withColumn("u", F.col("a").cast("decimal(38,0)") * (F.lit(2) * below + F.col("b")))
        rows = self._grouped(inside.groupBy(*g, "k").agg(F.sum("a").alias("a"), F.sum("b").alias("b"),
                                                         F.sum("u").alias("u")), f"column `{score}`")
        from govern.stats.engines.base import combine_auc_ranges

        return combine_auc_ranges(rows, len(g))

    def error_sums(self, table: SparkTable, groups: Sequence[str], truth: str, value: str, kind: str,
                   pos_label: Any, present: Sequence[str] = ()) -> pd.DataFrame:
        from pyspark.sql import functions as F

        eps = float(np.finfo(np.float64).eps)
        g = [f"g{i}" for i in range(len(groups))]
        v = self._number(table, value)
        if kind == "probability":
            y = F.when(self._equals(table, truth, pos_label), F.lit(1.0)).otherwise(F.lit(0.0))
        else:
            y = self._number(table, truth)
        frame = self._kept(table, [truth, value, *present]).select(
            *[self._raw(table, c).alias(n) for c, n in zip(groups, g)], y.alias("y"), v.alias("v"))
        yc, vc = F.col("y"), F.col("v")
        err = F.abs(vc - yc)
        if kind == "probability":
            clip = lambda c: F.greatest(F.least(c, F.lit(1.0 - eps)), F.lit(eps))  # noqa: E731
            names = ["brier", "log_loss"]
            sums = [F.sum((yc - vc) * (yc - vc)),
                    -F.sum(F.when(yc == 1.0, F.log(clip(vc))).otherwise(F.log(clip(F.lit(1.0) - vc))))]
        else:
            names = ["sq", "abs", "ape", "y_sum", "ss_tot"]
            sums = [F.sum(err * err), F.sum(err), F.sum(err / F.greatest(F.abs(yc), F.lit(eps))), F.sum(yc),
                    F.var_pop(yc) * F.count(F.lit(1))]
        aggs = [F.count(F.lit(1)), F.min(vc), F.max(vc), *sums]
        grouped = frame.groupBy(*g).agg(*aggs) if g else frame.agg(*aggs)
        rows = [r for r in self._grouped(grouped, f"column `{value}`") if r[len(g)]]
        out = pd.DataFrame.from_records(rows, columns=[*g, "n", "lo", "hi", *names])
        for name in g:
            out[name] = out[name].astype(object)
        return out

    def missing_counts(self, table: SparkTable, columns: Sequence[str]) -> dict[str, int]:
        n = self.n_rows(table)
        return {c: n - self._n_present(table, c) for c in columns}

    def simple_type(self, table: SparkTable, column: str) -> str:
        """Spark's type as pandas types the same data (see the DuckDB engine's)."""
        kind = self._kind(table, column)
        if kind in ("integer", "boolean"):
            gaps = self.n_rows(table) - self._n_present(table, column)
            if kind == "boolean":
                return "string" if gaps else "bool"
            return "number" if gaps else "integer"
        if kind == "float":
            return "number"
        if kind in ("timestamp", "timestamp_ntz"):
            return "datetime"
        return "string"

    def numeric_summaries(self, table: SparkTable, columns: Sequence[str]
                          ) -> dict[str, tuple[int, float | None, float | None, float]]:
        from pyspark.sql import functions as F

        if not columns:
            return {}
        parts = []
        for c in columns:
            x = F.when(~self._missing(table, c), self._number(table, c))
            parts += [F.count(x), F.min(x), F.max(x), F.sum(x)]
        row = list(self._collect(table.frame.agg(*parts), table.label)[0])
        out = {}
        for i, c in enumerate(columns):
            n, lo, hi, total = row[4 * i:4 * i + 4]
            out[c] = (int(n), None if lo is None else float(lo), None if hi is None else float(hi), float(total or 0.0))
        return out

    def counts_outside(self, table: SparkTable, ranges: dict[str, tuple[float | None, float | None]]
                       ) -> dict[str, int]:
        from pyspark.sql import functions as F

        if not ranges:
            return {}
        parts = []
        for c, (low, high) in ranges.items():
            x = self._number(table, c)
            outside = F.lit(False)
            if low is not None:
                outside = outside | (x < F.lit(float(low)))
            if high is not None:
                outside = outside | (x > F.lit(float(high)))
            parts.append(F.count(F.when(~self._missing(table, c) & outside, 1)))
        row = self._collect(table.frame.agg(*parts), table.label)[0]
        return {c: int(v) for c, v in zip(ranges, row)}

    def all_whole(self, table: SparkTable, column: str) -> bool:
        from pyspark.sql import functions as F

        if self._kind(table, column) == "integer":
            return True
        x = self._number(table, column)
        # beyond 2**52 every double is whole (and floor's long would overflow)
        bad = (F.abs(x) == F.lit(float("inf"))) | ((F.abs(x) < F.lit(2.0**52)) & (x != F.floor(x).cast("double")))
        return self._count(self._kept(table, [column]).filter(bad), f"column `{column}`") == 0

    def distinct_rows(self, table: SparkTable, columns: Sequence[str]) -> int:
        if not columns:
            return min(self.n_rows(table), 1)
        return self._count(table.frame.select(*[self._raw(table, c) for c in columns]).distinct(), table.label)



def _extremes(ca: "Column", cb: "Column", n1: int, n2: int) -> list["Column"]:
    """max and min of {h, f} and Σ |h|·(nx − x) over rows with cumulative counts ``ca``/``cb``."""
    from pyspark.sql import functions as F

    int_type = "decimal(38,0)" if n1 * n2 >= 2**62 else "long"
    h = ca.cast(int_type) * F.lit(n2) - cb.cast(int_type) * F.lit(n1)
    f = ca.cast("double") / F.lit(float(n1)) - cb.cast("double") / F.lit(float(n2))
    pair = F.struct(h.alias("h"), f.alias("f"))
    return [F.max(pair), F.min(pair), F.sum(F.abs(h).cast("double") * (F.col("nx") - F.col("x")))]


def _part(row: Any, ranks: Sequence[int]) -> ExactPart:
    """An :class:`ExactPart` from a row of :func:`_extremes` followed by one value per rank."""
    part = ExactPart()
    if row[0] is not None:
        part.h_max = (int(row[0]["h"]), float(row[0]["f"]))
        part.h_min = (int(row[1]["h"]), float(row[1]["f"]))
        part.area = float(row[2]) if row[2] is not None else 0.0
        part.values = {int(r): float(v) if v is not None else math.nan for r, v in zip(ranks, list(row)[3:])}
    return part


class _SparkBuckets:
    """:class:`~govern.stats.ecdf_buckets.BucketSource` for one column: bucket keys as Spark expressions,
    a level's parents broadcast-joined, the exact window partitioned by bucket."""

    def __init__(self, engine: SparkEngine, union: "DataFrame", n1: int, n2: int, column: str) -> None:
        self.engine, self.union, self.n1, self.n2, self.column = engine, union, n1, n2, column
        self.what = f"column `{column}`"

    def keyed(self, levels: list[Level]) -> "DataFrame":
        from pyspark.sql import functions as F

        frame = self.union.withColumn("key", F.lit(0).cast("long"))
        for size, parents in levels:
            if len(parents) == 1:
                ((key, (lo, width)),) = parents.items()
                frame = (frame.filter(F.col("key") == F.lit(key))
                         .select("x", "side", F.col("key").alias("p_key"), F.lit(lo).alias("p_lo"),
                                 F.lit(width).alias("p_w")))
            else:
                table = self.engine.spark.createDataFrame(
                    [(int(k), float(lo), float(w)) for k, (lo, w) in parents.items()], "p_key long, p_lo double, p_w double")
                frame = frame.join(F.broadcast(table), frame["key"] == table["p_key"]).select(
                    "x", "side", "p_key", "p_lo", "p_w")
            local = F.least(F.lit(size - 1).cast("long"), F.floor((F.col("x") - F.col("p_lo")) / F.col("p_w")).cast("long"))
            frame = frame.withColumn("l", local).select(
                "x", "side", (F.col("p_key") * F.lit(size) + F.col("l")).alias("key"),
                (F.col("p_lo") + F.col("l") * F.col("p_w")).alias("anchor"))
        return frame

    def bucket_counts(self, levels: list[Level]) -> dict[str, np.ndarray]:
        from pyspark.sql import functions as F

        rows = self.engine._collect(self.keyed(levels).groupBy("key", "side").agg(
            F.count(F.lit(1)).alias("count"), F.min("x").alias("min"), F.max("x").alias("max"),
            F.sum(F.col("x") - F.col("anchor")).alias("offset_sum"), F.min("anchor").alias("anchor")), self.what)
        names = ("key", "side", "count", "min", "max", "offset_sum", "anchor")
        return {name: np.array([r[i] for r in rows], dtype=np.float64 if i >= 3 else np.int64)
                for i, name in enumerate(names)}

    def exact(self, levels: list[Level], offsets: dict[int, tuple[int, int]], ranks: list[int],
              sizes: dict[int, int]) -> ExactPart:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        engine, n1, n2 = self.engine, self.n1, self.n2
        keyed = self.keyed(levels)
        part = ExactPart()
        small = {k: v for k, v in offsets.items() if sizes[k] <= engine.single_bucket}
        pieces = []
        for key in sorted(set(offsets) - set(small)):  # still huge at the deepest level: value ranges, alone
            base = offsets[key]
            mine = [r for r in ranks if base[0] <= r]
            pieces.append(engine._window_part(keyed.filter(F.col("key") == F.lit(key)).select("x", "side"),
                                              n1, n2, mine, base, sizes[key], self.what))
            engine.ecdf_trace["ranged_window"] += 1
        if small:
            table = engine.spark.createDataFrame([(int(k), int(a), int(b)) for k, (a, b) in small.items()],
                                                 "k long, oa long, ob long")
            values = (keyed.join(F.broadcast(table), keyed["key"] == table["k"])
                      .groupBy("key", "x").agg(F.sum(F.when(F.col("side") == 0, 1).otherwise(0)).cast("long").alias("a"),
                                               F.sum(F.when(F.col("side") == 1, 1).otherwise(0)).cast("long").alias("b"),
                                               F.first("oa").alias("oa"), F.first("ob").alias("ob")))
            running = Window.partitionBy("key").orderBy("x").rowsBetween(Window.unboundedPreceding, Window.currentRow)
            windowed = values.select("x", F.lead("x").over(Window.partitionBy("key").orderBy("x")).alias("nx"),
                                     (F.col("oa") + F.sum("a").over(running)).alias("ca"),
                                     (F.col("ob") + F.sum("b").over(running)).alias("cb"))
            mine = [r for r in ranks if any(a <= r < a + sizes[k] for k, (a, _) in small.items())]
            ca, cb = F.col("ca"), F.col("cb")
            row = engine._collect(windowed.agg(*_extremes(ca, cb, n1, n2),
                                               *[F.min(F.when(ca > F.lit(int(r)), F.col("x"))) for r in mine]), self.what)[0]
            pieces.append(_part(row, mine))
        for piece in pieces:
            for extreme in (piece.h_max, piece.h_min):
                if extreme is not None:
                    part.h_max = extreme if part.h_max is None else max(part.h_max, extreme)
                    part.h_min = extreme if part.h_min is None else min(part.h_min, extreme)
            part.area += piece.area
        # a rank's value is the smallest x past it among the rows searched; a piece that does not hold
        # the rank reports a later value (or none), so the minimum over pieces is the rank's value
        for piece in pieces:
            for r, v in piece.values.items():
                if v == v and (r not in part.values or v < part.values[r]):
                    part.values[r] = v
        return part

    def bins(self, edges: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self.engine._bins(self.union, edges, self.n1, self.n2, self.column)


def _q(name: str) -> str:
    """A column name as Spark resolves it literally (dots and spaces are not paths)."""
    return "`" + name.replace("`", "``") + "`"



def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
