"""The out-of-core engine: Parquet/CSV files or a DuckDB database, aggregated inside DuckDB.

DuckDB streams Parquet and spills sorts and hash tables to disk past its ``memory_limit``, so
a window of hundreds of millions of rows is assessed on one machine with bounded memory. Only
aggregates come back: counts per category, per group cell and per PSI bin, a few order
statistics, and for KS/Wasserstein the extremes and area of F_ref − F_cur, from bucket
histograms and windows over the few buckets that need them (:mod:`govern.stats.ecdf_buckets`).

Evidence is untrusted, so the connection is locked down before any evidence SQL runs:
database files are attached read-only, file access is limited to the bundle folder
(``allowed_directories``) and then external access is disabled and the configuration locked,
so no query can read ``/etc/passwd``, attach another database, load an extension or change
the limits. A user query must be exactly one SELECT statement; every query is interrupted
after ``timeout_s`` seconds.
"""

from __future__ import annotations

import math
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import count
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from govern.stats.ecdf import EcdfSummary, quantile_edges, quantile_positions
from govern.stats.values import counts_by_label
from govern.stats.ecdf_buckets import ExactPart, Level, Tuning, bucketable, bucketed_summary
from govern.stats.engines.base import MAX_CATEGORIES, MISSING_LABEL, Engine, EngineError, Selection, segment_index

_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT"}
_FLOAT = {"FLOAT", "DOUBLE", "REAL"}
_MEMORY = re.compile(r"^\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B)$", re.IGNORECASE)


def quote(name: str) -> str:
    """A column or table name as a DuckDB identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class DuckTable:
    """A FROM item (file scan, table, or a user's SELECT) with the engine's own filters and their parameters."""

    def __init__(self, from_sql: str, types: dict[str, str], where: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, label: str = "") -> None:
        self.from_sql, self.types, self.where = from_sql, types, where
        self.params = dict(params or {})
        self.label = label
        self._n_rows: int | None = None
        self._present: dict[str, int] = {}

    def filtered(self, predicates: Sequence[str], params: dict[str, Any]) -> "DuckTable":
        return DuckTable(self.from_sql, self.types, self.where + tuple(predicates), {**self.params, **params},
                         self.label)

    def select(self, expressions: str, extra_where: Sequence[str] = ()) -> str:
        """``SELECT expressions FROM source WHERE …`` (a subquery, so a user's query is never edited)."""
        where = list(self.where) + list(extra_where)
        return f"SELECT {expressions} FROM {self.from_sql}" + (f" WHERE {' AND '.join(where)}" if where else "")


class DuckDBEngine(Engine[DuckTable]):
    """One locked-down DuckDB connection per evaluation; tables are made with :meth:`files`,
    :meth:`table` and :meth:`query` before the first statistic is asked for."""

    name = "duckdb"

    def __init__(self, *, root: Path, databases: Sequence[Path] = (), memory_limit: str | None = None,
                 threads: int | None = None, timeout_s: float = 3600.0, temp_directory: Path | None = None,
                 range_values: int = 2_000_000, tuning: Tuning = Tuning()) -> None:
        import duckdb

        if memory_limit is not None and not _MEMORY.match(memory_limit):
            raise EngineError(f"memory_limit `{memory_limit}` is not a size such as 512MB or 4GiB")
        self._tmp = tempfile.TemporaryDirectory(prefix="govern-duckdb-") if temp_directory is None else None
        spill = temp_directory or Path(self._tmp.name)  # type: ignore[union-attr]
        # insertion order is never needed (every query aggregates), and keeping it costs memory
        config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                  "preserve_insertion_order": False}
        # DuckDB 2.0 prunes `isnan(x)` with Parquet min/max statistics, which by the Parquet spec leave NaN
        # out: a file holding NaN (not null) would count no missing values and report NaN as a maximum.
        # Without these two optimizers every NaN is seen (the scans still read only the columns asked for).
        config["disabled_optimizers"] = "filter_pushdown,statistics_propagation"
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = int(threads)
        self.con = duckdb.connect(":memory:", config=config)
        self.timeout_s = timeout_s
        #: distinct values one window query may order; above, the values are split into ranges
        self.range_values = range_values
        #: bucket sizes of the exact ECDF (:mod:`govern.stats.ecdf_buckets`), and a count of what it ran
        self.tuning = tuning
        self.ecdf_trace: Counter[str] = Counter()
        self._names = count()
        self.databases: dict[Path, str] = {}
        for i, path in enumerate(dict.fromkeys(Path(p) for p in databases)):
            alias = f"evidence_db_{i}"
            self.con.execute(f"ATTACH '{_sql_text(str(path))}' AS {alias} (READ_ONLY)")
            self.databases[path] = alias
        if len(self.databases) == 1:
            self.con.execute(f"USE {next(iter(self.databases.values()))}")
        root_dir = str(Path(root)).rstrip("/") + "/"
        self.con.execute(f"SET allowed_directories = ['{_sql_text(root_dir)}']")
        self.con.execute(f"SET temp_directory = '{_sql_text(str(spill))}'")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- tables ------------------------------------------------------------------------------
    def files(self, paths: Sequence[Path], fmt: Literal["parquet", "csv"], label: str = "") -> DuckTable:
        """Files of the bundle (already confined and listed; no glob is expanded by DuckDB)."""
        listed = ", ".join(f"'{_sql_text(str(p))}'" for p in paths)
        if fmt == "parquet":
            source = f"read_parquet([{listed}], union_by_name = true)"
        else:
            return self._csv(listed, label)
        return self._table(source, label)

    def _csv(self, listed: str, label: str) -> DuckTable:
        """The types pandas infers from CSV text: integers, floats, booleans spelt True/False (DuckDB's
        sniffer would also take yes/no and T/F, which pandas leaves as text), everything else text."""
        source = (f"read_csv([{listed}], header = true, union_by_name = true, "
                  "auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])")
        texts = [c for c, t in self._table(source, label).types.items() if t == "VARCHAR"]
        if not texts:
            return self._table(source, label)
        spelt = "('True', 'TRUE', 'true', 'False', 'FALSE', 'false')"
        tests = ", ".join(f"coalesce(bool_and({quote(c)} IN {spelt}), FALSE)" for c in texts)
        row = self._fetch(f"SELECT {tests} FROM {source}", {}, what=label or "the CSV files")[0]
        booleans = [c for c, is_bool in zip(texts, row) if is_bool]
        if booleans:
            cast = ", ".join(f"CAST({quote(c)} AS BOOLEAN) AS {quote(c)}" for c in booleans)
            source = f"(SELECT * REPLACE ({cast}) FROM {source})"
        return self._table(source, label)

    def table(self, database: Path, name: str, label: str = "") -> DuckTable:
        alias = self.databases[Path(database)]
        return self._table(f"{alias}.{quote(name)}", label)

    def query(self, database: Path | None, sql: str, label: str = "") -> DuckTable:
        """A read-only SELECT given by the evidence; anything but exactly one SELECT is refused."""
        try:
            statements = self.con.extract_statements(sql)
        except Exception as exc:  # duckdb.ParserException and friends
            raise EngineError(f"the DuckDB query does not parse: {_first_line(exc)}") from None
        import duckdb

        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise EngineError("a DuckDB source query must be exactly one SELECT statement")
        if database is not None and len(self.databases) > 1:
            raise EngineError("a query over several attached databases is ambiguous; use one database file")
        return self._table(f"({statements[0].query.rstrip().rstrip(';')})", label)

    def _table(self, source: str, label: str) -> DuckTable:
        rows = self._fetch(f"DESCRIBE SELECT * FROM {source}", {}, what=label or source)
        return DuckTable(source, {str(r[0]): str(r[1]).upper() for r in rows}, label=label)

    # -- running queries ---------------------------------------------------------------------
    def _fetch(self, sql: str, params: dict[str, Any], *, what: str = "", limit: int | None = None,
               numpy: bool = False) -> Any:
        """The rows (or with ``numpy``, a dict of column arrays), interrupted after ``timeout_s``."""
        import duckdb

        timer = threading.Timer(self.timeout_s, self.con.interrupt)
        timer.start()
        try:
            cursor = self.con.execute(sql, params or None)
            if numpy:
                return cursor.fetchnumpy()
            return cursor.fetchmany(limit) if limit is not None else cursor.fetchall()
        except duckdb.InterruptException:
            raise EngineError(f"DuckDB query on {what or 'the evidence'} exceeded {self.timeout_s:g} s") from None
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB could not read {what or 'the evidence'}: {_first_line(exc)}") from None
        finally:
            timer.cancel()

    def _param(self, value: Any, params: dict[str, Any]) -> str:
        name = f"p{next(self._names)}"
        params[name] = value
        return f"${name}"

    # -- column facts ------------------------------------------------------------------------
    def columns(self, table: DuckTable) -> list[str]:
        return list(table.types)

    def _type(self, table: DuckTable, column: str) -> str:
        return table.types[column].split("(")[0]

    def n_rows(self, table: DuckTable) -> int:
        if table._n_rows is None:
            table._n_rows = int(self._fetch(table.select("count(*)"), table.params, what=table.label)[0][0])
        return table._n_rows

    def is_categorical(self, table: DuckTable, column: str) -> bool:
        kind = self._type(table, column)
        return not (kind in _INTEGER or kind in _FLOAT or kind.startswith("TIMESTAMP"))

    def _missing(self, table: DuckTable, column: str) -> str:
        """SQL true for a missing value: NULL, and NaN in float columns (pandas reads both as missing)."""
        q = quote(column)
        return f"({q} IS NULL OR isnan({q}))" if self._type(table, column) in _FLOAT else f"({q} IS NULL)"

    def _number(self, table: DuckTable, column: str) -> str:
        """The column as pandas compares it: a double; timestamps as seconds since the epoch (UTC)."""
        q = quote(column)
        if self._type(table, column).startswith("TIMESTAMP"):
            return f"(epoch_ns({q})::DOUBLE / 1e9)"
        return f"({q}::DOUBLE)"

    def _n_present(self, table: DuckTable, column: str) -> int:
        if column not in table._present:
            sql = table.select("count(*)", [f"NOT {self._missing(table, column)}"])
            table._present[column] = int(self._fetch(sql, table.params, what=table.label)[0][0])
        return table._present[column]

    # -- drift -------------------------------------------------------------------------------
    def ecdf(self, reference: DuckTable, current: DuckTable, column: str, bins: int) -> EcdfSummary:
        """Exact ECDF summary from bucket histograms refined where needed (:mod:`govern.stats.ecdf_buckets`).

        One pass gives each side's count, min and max; a small column, one holding ±inf, or one
        spanning more than a double can subtract takes the plain window over all distinct values.
        """
        union = self._union(reference, current, column)
        what = f"column `{column}`"
        profile = {int(r[0]): r[1:] for r in self._fetch(
            f"SELECT side, count(*), min(x), max(x) FROM ({union.sql}) GROUP BY side", union.params, what=what)}
        n1, n2 = (int(profile[s][0]) if s in profile else 0 for s in (0, 1))
        reference._present[column], current._present[column] = n1, n2
        miss1, miss2 = self.n_rows(reference) - n1, self.n_rows(current) - n2
        if n1 == 0 or n2 == 0:
            return EcdfSummary(n1, n2, miss1, miss2)
        lo = min(float(profile[0][1]), float(profile[1][1]))
        hi = max(float(profile[0][2]), float(profile[1][2]))
        if not bucketable(n1 + n2, lo, hi, self.tuning):
            self.ecdf_trace["window"] += 1
            return self._ecdf_windows(union, n1, n2, miss1, miss2, bins, column)
        source = _DuckBuckets(self, union, n1, n2, column)
        return bucketed_summary(source, n1, n2, miss1, miss2, lo, hi, bins, self.tuning, self.ecdf_trace)

    def _ecdf_windows(self, union: "_Union", n1: int, n2: int, miss1: int, miss2: int, bins: int,
                      column: str) -> EcdfSummary:
        """Cumulative counts over all sorted distinct values by window functions, one value range at a time."""
        ranks = quantile_positions(n1, bins).tolist()
        part = self._windowed(union, n1, n2, ranks, (0, 0), (n1, n2), f"column `{column}`")
        best_hi, best_lo = max((0, 0.0), part.h_max or (0, 0.0)), min((0, 0.0), part.h_min or (0, 0.0))
        edges = quantile_edges(lambda idx: np.array([part.values[int(i)] for i in idx], dtype=np.float64), n1, bins)
        ref_bins, cur_bins = self._bins(union, edges, n1, n2, column)
        return EcdfSummary(n1, n2, miss1, miss2, best_hi[0], best_hi[1], best_lo[0], best_lo[1], part.area,
                           tuple(edges.tolist()), ref_bins, cur_bins)

    def _windowed(self, union: "_Union", n1: int, n2: int, ranks: Sequence[int], base: tuple[int, int],
                  counts: tuple[int, int], what: str) -> ExactPart:
        """The window over the distinct values of ``union`` (rows ``base`` of each side precede it).

        A window over tens of millions of distinct values needs more memory than DuckDB can
        spill under a small ``memory_limit``, so above ``range_values`` values the range is cut
        at approximate quantiles (the cuts only split the work; every count stays exact): one
        pass counts each range, the counts become offsets, and each range's window adds its
        offset. The step from a range's last value to the next range's first is closed here.
        """
        ranges = self._ranges(union, counts, what)
        int_type = "HUGEINT" if n1 * n2 >= 2**62 else "BIGINT"
        part = ExactPart()
        for where, off_a, off_b, count_a, count_b, last, following in ranges:
            off_a, off_b = off_a + base[0], off_b + base[1]
            mine = [r for r in ranks if off_a <= r < off_a + count_a]
            picks = "".join(f", min(x) FILTER (WHERE ca > {int(r)})" for r in mine)
            sql = f"""
                WITH v AS (SELECT x, count(*) FILTER (WHERE side = 0) AS a, count(*) FILTER (WHERE side = 1) AS b
                           FROM ({union.sql}) WHERE {where} GROUP BY x),
                s AS (SELECT x, {off_a} + sum(a) OVER w AS ca, {off_b} + sum(b) OVER w AS cb,
                             lead(x) OVER (ORDER BY x) AS nx
                      FROM v WINDOW w AS (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
                h AS (SELECT x, nx, ca, ca::{int_type} * {n2} - cb::{int_type} * {n1} AS h,
                             ca::DOUBLE / {float(n1)!r} - cb::DOUBLE / {float(n2)!r} AS f FROM s)
                SELECT max({{'h': h, 'f': f}}), min({{'h': h, 'f': f}}), fsum(abs(h)::DOUBLE * (nx - x)){picks}
                FROM h"""
            row = self._fetch(sql, union.params, what=what)[0]
            if row[0] is None:
                continue
            _merge_extremes(part, row)
            part.values.update(zip(mine, row[3:]))
            if following is not None:  # the step from this range's last value to the next range's first
                h_last = (off_a + count_a) * n2 - (off_b + count_b) * n1
                with np.errstate(invalid="ignore", over="ignore"):
                    part.area += float(np.float64(abs(h_last)) * (np.float64(following) - np.float64(last)))
        return part

    def _ranges(self, union: "_Union", counts: tuple[int, int], what: str
                ) -> list[tuple[str, int, int, int, int, float | None, float | None]]:
        """(SQL condition, offsets, counts, last value, next range's first value) per non-empty value range."""
        size = counts[0] + counts[1]
        if size <= self.range_values:
            return [("TRUE", 0, 0, counts[0], counts[1], None, None)]
        k = min(256, size // self.range_values + 1)
        fractions = ", ".join(repr(i / k) for i in range(1, k))
        cuts = self._fetch(f"SELECT approx_quantile(x, [{fractions}]) FROM ({union.sql})", union.params, what=what)[0][0]
        cuts = sorted({float(c) for c in cuts if c is not None and not math.isnan(c)})
        literal = [f"'{c!r}'::DOUBLE" for c in cuts]  # text → double round-trips exactly (and spells inf)
        bucket = "CASE " + " ".join(f"WHEN x <= {c} THEN {i}" for i, c in enumerate(literal)) + f" ELSE {len(cuts)} END"
        rows = self._fetch(f"SELECT {bucket} AS k, count(*) FILTER (WHERE side = 0), count(*) FILTER (WHERE side = 1), "
                           f"min(x), max(x) FROM ({union.sql}) GROUP BY k ORDER BY k", union.params, what=what)
        out = []
        off_a = off_b = 0
        for i, (key, count_a, count_b, _first, last) in enumerate(rows):
            lower = f"x > {literal[key - 1]}" if key > 0 else "TRUE"
            upper = f"x <= {literal[key]}" if key < len(cuts) else "TRUE"
            following = float(rows[i + 1][3]) if i + 1 < len(rows) else None
            out.append((f"{lower} AND {upper}", off_a, off_b, int(count_a), int(count_b), float(last), following))
            off_a, off_b = off_a + int(count_a), off_b + int(count_b)
        return out

    class _Union:
        def __init__(self, sql: str, params: dict[str, Any]) -> None:
            self.sql, self.params = sql, params

    def _union(self, reference: DuckTable, current: DuckTable, column: str) -> "_Union":
        """Both samples' non-missing values as (x, side) rows: side 0 reference, 1 current."""
        parts = []
        for side, table in ((0, reference), (1, current)):
            parts.append(table.select(f"{self._number(table, column)} AS x, {side} AS side",
                                      [f"NOT {self._missing(table, column)}"]))
        return self._Union(" UNION ALL ".join(parts), {**reference.params, **current.params})

    def _bins(self, union: "_Union", edges: np.ndarray, n1: int, n2: int, column: str
              ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Counts per PSI bin (−inf, e1], (e1, e2], …, (ek, +inf) on each side, from counts at or below each edge."""
        params = dict(union.params)
        if edges.size == 0:
            return (n1,), (n2,)
        cumulative = ", ".join(f"count_if(x <= {self._param(float(e), params)})" for e in edges)
        rows = self._fetch(f"SELECT side, {cumulative} FROM ({union.sql}) GROUP BY side", params,
                           what=f"column `{column}`")
        out = {}
        for row in rows:
            n = n1 if row[0] == 0 else n2
            out[row[0]] = tuple(np.diff(np.array([0, *row[1:], n], dtype=np.int64)).tolist())
        return out[0], out[1]

    def category_counts(self, table: DuckTable, column: str) -> tuple[dict[str, int], int]:
        q = quote(column)
        rows = self._fetch(f"SELECT {q}, count(*) FROM ({table.select(q)}) GROUP BY ALL", table.params,
                           what=f"column `{column}`", limit=MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            from govern.stats.engines.base import check_categories

            check_categories(column, len(rows))
        return counts_by_label([r[0] for r in rows], [r[1] for r in rows])

    # -- segments ----------------------------------------------------------------------------
    def segments(self, reference: DuckTable, current: DuckTable, columns: Sequence[str]
                 ) -> list[tuple[tuple[str, ...], DuckTable, DuckTable]]:
        cols = list(columns)
        selected = ", ".join(quote(c) for c in cols)
        raw, keys = segment_index(cols, [  # column → label → raw values; each table's segment keys
            self._fetch(f"SELECT DISTINCT {selected} FROM ({table.select(selected)})", table.params,
                        what=table.label, limit=MAX_CATEGORIES + 1) for table in (reference, current)])
        out = []
        for key in sorted(keys[0] | keys[1]):
            parts = []
            for table, present in ((reference, keys[0]), (current, keys[1])):
                params: dict[str, Any] = {}
                if key not in present:
                    parts.append(table.filtered(["FALSE"], {}))
                    continue
                predicates = []
                for c, label in zip(cols, key):
                    if label == MISSING_LABEL:
                        predicates.append(self._missing(table, c))
                    else:
                        values = ", ".join(self._param(v, params) for v in raw[c][label])
                        predicates.append(f"{quote(c)} IN ({values})")
                parts.append(table.filtered(predicates, params))
            out.append((key, parts[0], parts[1]))
        return out

    # -- fairness ----------------------------------------------------------------------------
    def _equals(self, table: DuckTable, column: str, label: Any, params: dict[str, Any]) -> str:
        """``column == label`` with pandas' semantics: numbers equal numbers (True == 1), text equals text."""
        kind = self._type(table, column)
        numeric_column = kind in _INTEGER or kind in _FLOAT or kind == "BOOLEAN"
        if isinstance(label, (bool, int, float)) and not isinstance(label, str):
            if not numeric_column:
                return "FALSE"
            return f"coalesce({quote(column)}::DOUBLE = {self._param(float(label), params)}, FALSE)"
        if numeric_column:
            return "FALSE"
        return f"coalesce({quote(column)}::VARCHAR = {self._param(str(label), params)}, FALSE)"

    def fairness_cells(self, table: DuckTable, attributes: Sequence[str], selected: Selection,
                       truth: str | None, pos_label: Any) -> tuple[pd.DataFrame, int]:
        params: dict[str, Any] = {}
        keep = [f"NOT {self._missing(table, selected.column)}"]
        if selected.decision is not None:
            chosen = self._equals(table, selected.decision, pos_label, params)
        elif selected.threshold is not None:
            chosen = f"{self._number(table, selected.column)} >= {self._param(float(selected.threshold), params)}"
        else:
            assert selected.median is not None
            chosen = f"{self._number(table, selected.column)} > {self._param(float(selected.median), params)}"
        positive = "FALSE"
        if truth is not None:
            keep.append(f"NOT {self._missing(table, truth)}")
            positive = self._equals(table, truth, pos_label, params)
        attrs = ", ".join(f"{quote(a)} AS a{i}" for i, a in enumerate(attributes))
        inner = table.select(f"{attrs}, {chosen} AS selected, {positive} AS positive", keep)
        rows = self._fetch(f"SELECT *, count(*) AS n FROM ({inner}) GROUP BY ALL", {**table.params, **params},
                           what=table.label, limit=MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            raise EngineError(f"more than {MAX_CATEGORIES:,} group cells")
        cells = _cells_frame(rows, attributes)
        return cells, self.n_rows(table) - int(cells["count"].sum())

    def order_statistics(self, table: DuckTable, column: str, ranks: Callable[[int], Sequence[int]],
                         present: Sequence[str] = ()) -> tuple[int, dict[int, float]]:
        keep = [f"NOT {self._missing(table, c)}" for c in (column, *present)]
        inner = table.select(f"{self._number(table, column)} AS x", keep)
        n = int(self._fetch(f"SELECT count(*) FROM ({inner})", table.params, what=table.label)[0][0])
        wanted = [int(r) for r in ranks(n)] if n else []
        if not wanted:
            return n, {}
        picks = ", ".join(f"min(x) FILTER (WHERE cum > {r})" for r in wanted)
        sql = f"""WITH v AS (SELECT x, count(*) AS k FROM ({inner}) GROUP BY x),
                  s AS (SELECT x, sum(k) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
                        FROM v)
                  SELECT {picks} FROM s"""
        row = self._fetch(sql, table.params, what=f"column `{column}`")[0]
        return n, {r: float(v) for r, v in zip(wanted, row)}

    def sample(self, table: DuckTable, columns: Sequence[str], n: int, seed: int) -> pd.DataFrame:
        """The ``n`` rows with the smallest hash of (row content, seed): deterministic whatever the scan order
        (identical rows hash alike, so which of them is taken cannot matter)."""
        cols = ", ".join(quote(c) for c in columns)
        packed = "row(" + cols + ")::VARCHAR"
        sql = f"SELECT {cols} FROM ({table.select(cols)}) ORDER BY hash({packed}, {int(seed)}), {packed} LIMIT {int(n)}"
        cursor_rows = self._fetch(sql, table.params, what=table.label)
        return pd.DataFrame.from_records(cursor_rows, columns=list(columns))

    # -- performance, data quality, latency ---------------------------------------------------
    def _raw(self, table: DuckTable, column: str) -> str:
        """A column as a group value: NaN in a float column is NULL (pandas has one missing value)."""
        q = quote(column)
        return f"CASE WHEN isnan({q}) THEN NULL ELSE {q} END" if self._type(table, column) in _FLOAT else q

    def _keep(self, table: DuckTable, present: Sequence[str]) -> list[str]:
        return [f"NOT {self._missing(table, c)}" for c in dict.fromkeys(present)]

    def _grouped(self, sql: str, params: dict[str, Any], what: str) -> list[tuple]:
        rows = self._fetch(sql, params, what=what, limit=MAX_CATEGORIES + 1)
        if len(rows) > MAX_CATEGORIES:
            raise EngineError(f"more than {MAX_CATEGORIES:,} groups in {what}")
        return [tuple(r) for r in rows]

    def value_cells(self, table: DuckTable, columns: Sequence[str], present: Sequence[str] = (),
                    thresholds: dict[str, float] | None = None) -> list[tuple[Any, ...]]:
        params: dict[str, Any] = {}
        keep = self._keep(table, present)
        if not columns:
            return [(int(self._fetch(table.select("count(*)", keep), table.params, what=table.label)[0][0]),)]
        exprs = []
        for i, c in enumerate(columns):
            if thresholds and c in thresholds:
                exprs.append(f"CASE WHEN {self._missing(table, c)} THEN NULL ELSE {self._number(table, c)} >= "
                             f"{self._param(float(thresholds[c]), params)} END AS c{i}")
            else:
                exprs.append(f"{self._raw(table, c)} AS c{i}")
        inner = table.select(", ".join(exprs), keep)
        return self._grouped(f"SELECT *, count(*) FROM ({inner}) GROUP BY ALL", {**table.params, **params},
                             table.label)

    def auc_counts(self, table: DuckTable, groups: Sequence[str], score: str, truth: str, pos_label: Any,
                   present: Sequence[str] = ()) -> list[tuple[Any, ...]]:
        """Per (group, score value) the positives and negatives, then a window per group gives the
        negatives below each value; Σ positives · (2 · below + negatives at the value) is 2U (HUGEINT).

        Above ``range_values`` (group, score) values the scores are cut into value ranges at
        approximate quantiles, as for the ECDF (the cuts only split the work): the window runs per
        (group, range), and the ranges are combined exactly by :func:`combine_auc_ranges`.
        """
        params: dict[str, Any] = {}
        g = [f"g{i}" for i in range(len(groups))]
        positive = self._equals(table, truth, pos_label, params)
        inner = table.select(", ".join([f"{self._raw(table, c)} AS {n}" for c, n in zip(groups, g)]
                                       + [f"{self._number(table, score)} AS x", f"{positive} AS pos"]),
                             self._keep(table, [score, truth, *present]))
        params = {**table.params, **params}
        what = f"column `{score}`"
        keys = ", ".join(g) + (", " if g else "")
        counted = (f"SELECT {keys}x, count(*) FILTER (WHERE pos) AS a, count(*) FILTER (WHERE NOT pos) AS b "
                   f"FROM ({inner}) GROUP BY ALL")
        bucket = "0"
        n_values = self.n_rows(table)  # bounds the distinct (group, score) values; counted once per table
        if n_values > self.range_values:
            k = min(256, n_values // self.range_values + 1)
            fractions = ", ".join(repr(i / k) for i in range(1, k))
            cuts = self._fetch(f"SELECT approx_quantile(x, [{fractions}]) FROM ({inner})", params, what=what)[0][0]
            cuts = sorted({float(c) for c in cuts if c is not None and not math.isnan(c)})
            if cuts:
                bucket = ("CASE " + " ".join(f"WHEN x <= '{c!r}'::DOUBLE THEN {i}" for i, c in enumerate(cuts))
                          + f" ELSE {len(cuts)} END")
        sql = f"""
            WITH r AS ({counted}),
            c AS (SELECT *, {bucket} AS k FROM r),
            w AS (SELECT *, coalesce(sum(b) OVER (PARTITION BY {keys}k ORDER BY x
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below
                  FROM c)
            SELECT {keys}k, sum(a)::HUGEINT, sum(b)::HUGEINT,
                   sum(a::HUGEINT * (2 * below::HUGEINT + b::HUGEINT)) FROM w GROUP BY ALL"""
        from govern.stats.engines.base import combine_auc_ranges

        return combine_auc_ranges(self._grouped(sql, params, what), len(g))

    def error_sums(self, table: DuckTable, groups: Sequence[str], truth: str, value: str, kind: str,
                   pos_label: Any, present: Sequence[str] = ()) -> pd.DataFrame:
        params: dict[str, Any] = {}
        eps = float(np.finfo(np.float64).eps)
        lo_p = self._param(eps, params)
        g = [f"g{i}" for i in range(len(groups))]
        v = self._number(table, value)
        if kind == "probability":
            hi_p = self._param(1.0 - eps, params)
            y = f"(CASE WHEN {self._equals(table, truth, pos_label, params)} THEN 1.0 ELSE 0.0 END)::DOUBLE"
            names = ["brier", "log_loss"]
            sums = ["sum((y - v) * (y - v))",
                    f"-sum(CASE WHEN y = 1.0 THEN ln(greatest(least(v, {hi_p}), {lo_p})) "
                    f"ELSE ln(greatest(least(1.0 - v, {hi_p}), {lo_p})) END)"]
        else:
            y = self._number(table, truth)
            names = ["sq", "abs", "ape", "y_sum", "ss_tot"]
            sums = ["sum(abs(v - y) * abs(v - y))", "sum(abs(v - y))", f"sum(abs(v - y) / greatest(abs(y), {lo_p}))",
                    "sum(y)", "var_pop(y) * count(*)"]
        inner = table.select(", ".join([f"{self._raw(table, c)} AS {n}" for c, n in zip(groups, g)]
                                       + [f"{y} AS y", f"{v} AS v"]), self._keep(table, [truth, value, *present]))
        keys = ", ".join(g)
        sql = (f"SELECT {keys + ', ' if g else ''}count(*), min(v), max(v), {', '.join(sums)} FROM ({inner})"
               + (f" GROUP BY {keys}" if g else ""))
        rows = [r for r in self._grouped(sql, {**table.params, **params}, f"column `{value}`")
                if r[len(g)]]  # no rows: no group
        frame = pd.DataFrame.from_records(rows, columns=[*g, "n", "lo", "hi", *names])
        for i in range(len(g)):
            frame[f"g{i}"] = frame[f"g{i}"].astype(object)
        return frame

    def missing_counts(self, table: DuckTable, columns: Sequence[str]) -> dict[str, int]:
        if not columns:
            return {}
        counts = ", ".join(f"count(*) FILTER (WHERE {self._missing(table, c)})" for c in columns)
        row = self._fetch(table.select(counts), table.params, what=table.label)[0]
        return {c: int(v) for c, v in zip(columns, row)}

    def simple_type(self, table: DuckTable, column: str) -> str:
        """DuckDB's type as pandas types the same data: integers with a gap become floats, booleans
        with a gap objects (text); decimals, dates and nested values are objects too."""
        kind = self._type(table, column)
        if kind in _INTEGER or kind == "BOOLEAN":
            gaps = self.n_rows(table) - self._n_present(table, column)
            if kind == "BOOLEAN":
                return "string" if gaps else "bool"
            return "number" if gaps else "integer"
        if kind in _FLOAT:
            return "number"
        if kind.startswith("TIMESTAMP"):
            return "datetime"
        if kind == "ENUM":
            return "category"
        return "string"

    def numeric_summaries(self, table: DuckTable, columns: Sequence[str]
                          ) -> dict[str, tuple[int, float | None, float | None, float]]:
        if not columns:
            return {}
        parts = []
        for c in columns:
            x, present = self._number(table, c), f"NOT {self._missing(table, c)}"
            parts += [f"count(*) FILTER (WHERE {present})", f"min({x}) FILTER (WHERE {present})",
                      f"max({x}) FILTER (WHERE {present})", f"sum({x}) FILTER (WHERE {present})"]
        row = self._fetch(table.select(", ".join(parts)), table.params, what=table.label)[0]
        out = {}
        for i, c in enumerate(columns):
            n, lo, hi, total = row[4 * i:4 * i + 4]
            out[c] = (int(n), None if lo is None else float(lo), None if hi is None else float(hi), float(total or 0.0))
        return out

    def counts_outside(self, table: DuckTable, ranges: dict[str, tuple[float | None, float | None]]
                       ) -> dict[str, int]:
        params: dict[str, Any] = {}
        parts = []
        for c, (low, high) in ranges.items():
            x = self._number(table, c)
            tests = ([f"{x} < {self._param(float(low), params)}"] if low is not None else []) + \
                    ([f"{x} > {self._param(float(high), params)}"] if high is not None else [])
            parts.append(f"count(*) FILTER (WHERE NOT {self._missing(table, c)} AND ({' OR '.join(tests) or 'FALSE'}))")
        if not parts:
            return {}
        row = self._fetch(table.select(", ".join(parts)), {**table.params, **params}, what=table.label)[0]
        return {c: int(v) for c, v in zip(ranges, row)}

    def all_whole(self, table: DuckTable, column: str) -> bool:
        if self._type(table, column) in _INTEGER:
            return True
        x = self._number(table, column)
        sql = table.select("count(*)", [*self._keep(table, [column]), f"(isinf({x}) OR {x} <> floor({x}))"])
        return int(self._fetch(sql, table.params, what=f"column `{column}`")[0][0]) == 0

    def distinct_rows(self, table: DuckTable, columns: Sequence[str]) -> int:
        if not columns:
            return min(self.n_rows(table), 1)
        raw = ", ".join(self._raw(table, c) for c in columns)
        sql = f"SELECT count(*) FROM (SELECT DISTINCT {raw} FROM ({table.select('*')}))"
        return int(self._fetch(sql, table.params, what=table.label)[0][0])



def _literal(value: float) -> str:
    """A double as SQL text that reads back bit-identical (and spells inf)."""
    return f"'{float(value)!r}'::DOUBLE"


def _merge_extremes(part: ExactPart, row: Sequence[Any]) -> None:
    """Fold a query's max/min {'h', 'f'} structs (the first two columns of ``row``) and its area into ``part``."""
    top, bottom = (int(row[0]["h"]), float(row[0]["f"])), (int(row[1]["h"]), float(row[1]["f"]))
    part.h_max = top if part.h_max is None else max(part.h_max, top)
    part.h_min = bottom if part.h_min is None else min(part.h_min, bottom)
    part.area += float(row[2]) if row[2] is not None else 0.0


class _DuckBuckets:
    """:class:`~govern.stats.ecdf_buckets.BucketSource` for one column: bucket keys computed in SQL."""

    def __init__(self, engine: DuckDBEngine, union: Any, n1: int, n2: int, column: str) -> None:
        self.engine, self.union, self.n1, self.n2, self.column = engine, union, n1, n2, column
        self.what = f"column `{column}`"

    def keyed(self, levels: list[Level]) -> str:
        """Rows (x, side, key, anchor) of the last level's buckets; a level's parents are joined as VALUES
        (an inner join, so rows outside the buckets being split drop out early)."""
        sql = f"SELECT x, side, 0::BIGINT AS key FROM ({self.union.sql})"
        for size, parents in levels:
            local = f"least({size - 1}, floor((x - p_lo) / p_w))::BIGINT"
            if len(parents) == 1:
                ((key, (lo, width)),) = parents.items()
                inner = (f"SELECT x, side, {key}::BIGINT AS p_key, {_literal(lo)} AS p_lo, {_literal(width)} AS p_w "
                         f"FROM ({sql}) WHERE key = {key}")
            else:
                rows = ", ".join(f"({k}, {_literal(lo)}, {_literal(w)})" for k, (lo, w) in parents.items())
                inner = (f"SELECT x, side, p_key, p_lo, p_w FROM ({sql}) q "
                         f"JOIN (VALUES {rows}) p(p_key, p_lo, p_w) ON q.key = p.p_key")
            sql = (f"SELECT x, side, p_key * {size} + l AS key, p_lo + l * p_w AS anchor "
                   f"FROM (SELECT x, side, p_key, p_lo, p_w, {local} AS l FROM ({inner}))")
        return sql

    def bucket_counts(self, levels: list[Level]) -> dict[str, np.ndarray]:
        sql = (f"SELECT key, side, count(*) AS count, min(x) AS min, max(x) AS max, fsum(x - anchor) AS offset_sum, "
               f"min(anchor) AS anchor FROM ({self.keyed(levels)}) GROUP BY key, side")
        return self.engine._fetch(sql, self.union.params, what=self.what, numpy=True)

    def exact(self, levels: list[Level], offsets: dict[int, tuple[int, int]], ranks: list[int],
              sizes: dict[int, int]) -> ExactPart:
        engine, n1, n2 = self.engine, self.n1, self.n2
        part = ExactPart()
        keyed = self.keyed(levels)
        small = {k: v for k, v in offsets.items() if sizes[k] <= engine.range_values}
        for key in set(offsets) - set(small):  # still huge at the deepest level: the ranged window, alone
            base = offsets[key]
            sub = DuckDBEngine._Union(f"SELECT x, side FROM ({keyed}) WHERE key = {key}", self.union.params)
            counts = engine._fetch(f"SELECT count(*) FILTER (WHERE side = 0), count(*) FILTER (WHERE side = 1) "
                                   f"FROM ({sub.sql})", sub.params, what=self.what)[0]
            mine = [r for r in ranks if base[0] <= r < base[0] + int(counts[0])]
            got = engine._windowed(sub, n1, n2, mine, base, (int(counts[0]), int(counts[1])), self.what)
            for extreme in (got.h_max, got.h_min):
                if extreme is not None:
                    part.h_max = extreme if part.h_max is None else max(part.h_max, extreme)
                    part.h_min = extreme if part.h_min is None else min(part.h_min, extreme)
            part.area += got.area
            part.values.update(got.values)
            engine.ecdf_trace["ranged_window"] += 1
        if not small:
            return part
        int_type = "HUGEINT" if n1 * n2 >= 2**62 else "BIGINT"
        table = ", ".join(f"({k}, {a}, {b})" for k, (a, b) in small.items())
        mine = [r for r in ranks if r not in part.values]  # the ranks left are inside the small buckets
        picks = "".join(f", min(x) FILTER (WHERE ca > {int(r)})" for r in mine)
        sql = f"""
            WITH o AS (SELECT * FROM (VALUES {table}) o(k, oa, ob)),
            v AS (SELECT key, x, count(*) FILTER (WHERE side = 0) AS a, count(*) FILTER (WHERE side = 1) AS b
                  FROM ({keyed}) WHERE key IN (SELECT k FROM o) GROUP BY key, x),
            s AS (SELECT x, o.oa + sum(a) OVER w AS ca, o.ob + sum(b) OVER w AS cb,
                         lead(x) OVER (PARTITION BY key ORDER BY x) AS nx
                  FROM v JOIN o ON v.key = o.k
                  WINDOW w AS (PARTITION BY key ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
            h AS (SELECT x, nx, ca, ca::{int_type} * {n2} - cb::{int_type} * {n1} AS h,
                         ca::DOUBLE / {float(n1)!r} - cb::DOUBLE / {float(n2)!r} AS f FROM s)
            SELECT max({{'h': h, 'f': f}}), min({{'h': h, 'f': f}}), fsum(abs(h)::DOUBLE * (nx - x)){picks}
            FROM h"""
        row = engine._fetch(sql, self.union.params, what=self.what)[0]
        if row[0] is not None:
            _merge_extremes(part, row)
            part.values.update(zip(mine, (float(v) for v in row[3:])))
        return part

    def bins(self, edges: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self.engine._bins(self.union, edges, self.n1, self.n2, self.column)


def _cells_frame(rows: list[tuple], attributes: Sequence[str]) -> pd.DataFrame:
    """Rows of (attribute values…, selected, positive, count) → the frame the fairness code finishes."""
    k = len(attributes)
    data: dict[str, Any] = {a: pd.Series([r[i] for r in rows], dtype=object) for i, a in enumerate(attributes)}
    data["selected"] = np.array([bool(r[k]) for r in rows], dtype=bool)
    data["positive"] = np.array([bool(r[k + 1]) for r in rows], dtype=bool)
    data["count"] = np.array([int(r[k + 2]) for r in rows], dtype=np.int64)
    return pd.DataFrame(data)



def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
