"""A table (and optionally the training table) → schema, missing-value, range and duplicate findings.

Ranges not given explicitly are taken from the reference (training) data: its min/max per
numeric column and its set of categories are the model's domain of applicability, and
production rows outside it are predictions the model was never validated for.

Every finding is finished here from what an engine counts — missing values per column, the
extremes of a column, values outside a range, counts per category, distinct rows — so a table
in memory, in DuckDB or in Spark gives the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from govern.stats.values import ToDict, finite

if TYPE_CHECKING:
    from govern.stats.engines.base import Engine

TYPE_NAMES = ("number", "integer", "string", "category", "bool", "datetime")


@dataclass(frozen=True, slots=True)
class TypeMismatch(ToDict):
    column: str
    expected: str
    actual: str


@dataclass(frozen=True, slots=True)
class SchemaReport(ToDict):
    missing_columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    type_mismatches: tuple[TypeMismatch, ...]


@dataclass(frozen=True, slots=True)
class ColumnQuality(ToDict):
    """One column: its simple type, missing values, and values outside the allowed domain."""

    name: str
    type: str
    n_missing: int
    missing_rate: float | None
    max_missing: float | None
    missing_exceeded: bool
    range_low: float | None
    range_high: float | None
    range_source: str | None
    n_out_of_range: int | None
    share_out_of_range: float | None
    n_unseen_categories: int | None
    share_unseen_categories: float | None
    unseen_categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DataQualityReport(ToDict):
    """All findings; ``issues`` lists each violated expectation in words, in column order."""

    n_rows: int
    n_columns: int
    schema: SchemaReport | None
    columns: tuple[ColumnQuality, ...]
    n_duplicate_rows: int | None
    share_duplicate_rows: float | None
    issues: tuple[str, ...]

    def column(self, name: str) -> ColumnQuality:
        for item in self.columns:
            if item.name == name:
                return item
        raise KeyError(name)


def _type_matches(expected: str, actual: str, whole: Callable[[], bool]) -> bool:
    if expected == actual:
        return True
    if expected == "number":
        return actual == "integer"
    if expected == "integer" and actual == "number":
        # CSV readers turn integer columns with gaps into floats; accept whole numbers.
        return whole()
    if expected == "category":
        return actual in ("string", "bool", "integer")
    return False


def _check_schema(engine: "Engine[Any]", table: Any, columns: Sequence[str], types: Mapping[str, str],
                  schema: Mapping[str, str]) -> SchemaReport:
    bad = [t for t in schema.values() if t not in TYPE_NAMES]
    if bad:
        raise ValueError(f"unknown type name(s) {sorted(set(bad))}; use one of {list(TYPE_NAMES)}")
    missing = tuple(c for c in schema if c not in columns)
    extra = tuple(str(c) for c in columns if c not in schema)
    mismatches = []
    for name, expected in schema.items():
        if name in columns:
            actual = types[name]
            if not _type_matches(expected, actual, lambda name=name: engine.all_whole(table, name)):
                mismatches.append(TypeMismatch(name, expected, actual))
    return SchemaReport(missing, extra, tuple(mismatches))


def _limit(max_missing: Mapping[str, float] | float | None, column: str) -> float | None:
    if max_missing is None:
        return None
    if isinstance(max_missing, Mapping):
        value = max_missing.get(column)
        return None if value is None else float(value)
    return float(max_missing)


_NUMERIC = ("integer", "number")


def data_quality(
    df: pd.DataFrame,
    *,
    schema: Mapping[str, str] | None = None,
    max_missing: Mapping[str, float] | float | None = None,
    ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
    reference_df: pd.DataFrame | None = None,
    check_duplicates: bool = True,
) -> DataQualityReport:
    """Schema conformance, missing rates against limits, out-of-domain values, duplicate rows.

    ``ranges`` maps a column to ``(low, high)`` (either may be None); numeric columns without an
    explicit range get the reference data's [min, max], and categorical columns get the
    reference's categories; values outside count as out of the domain of applicability.
    """
    from govern.stats.engines.pandas_engine import PandasEngine

    return engine_quality(PandasEngine(), df, schema=schema, max_missing=max_missing, ranges=ranges,
                          reference=reference_df, check_duplicates=check_duplicates)


def engine_quality(
    engine: "Engine[Any]",
    table: Any,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    max_missing: Mapping[str, float] | float | None = None,
    ranges: Mapping[str, tuple[float | None, float | None]] | None = None,
    reference: Any = None,
    check_duplicates: bool = True,
) -> DataQualityReport:
    """:func:`data_quality` on any engine's table (and reference), over ``columns`` (default: all)."""
    wanted = set(columns) if columns is not None else None
    names = [c for c in engine.columns(table) if wanted is None or c in wanted]
    ref_names = ([c for c in engine.columns(reference) if wanted is None or c in wanted]
                 if reference is not None else [])
    n_rows = engine.n_rows(table)
    types = {name: engine.simple_type(table, name) for name in names}
    schema_report = _check_schema(engine, table, names, types, schema) if schema is not None else None
    issues: list[str] = []
    if schema_report is not None:
        issues += [f"column `{c}` is missing" for c in schema_report.missing_columns]
        issues += [f"column `{c}` is not in the schema" for c in schema_report.extra_columns]
        issues += [f"column `{m.column}` is {m.actual}, expected {m.expected}" for m in schema_report.type_mismatches]
    missing_counts = engine.missing_counts(table, names)
    # each numeric column's domain: its explicit range, else the reference's [min, max] (one pass per table)
    domain: dict[str, tuple[float | None, float | None, str]] = {}
    for name, bounds in (ranges or {}).items():
        low, high = bounds
        domain[name] = (low, high, "explicit")
    learnt = [name for name in names if name not in domain and types[name] in _NUMERIC and name in ref_names
              and engine.simple_type(reference, name) in _NUMERIC]
    for name, (n_ref, low, high, _) in (engine.numeric_summaries(reference, learnt) if learnt else {}).items():
        if n_ref:
            domain[name] = (low, high, "reference")
    outside = engine.counts_outside(table, {name: domain[name][:2] for name in names
                                            if name in domain and types[name] in _NUMERIC})
    result = []
    for name in names:
        kind = types[name]
        numeric = kind in _NUMERIC
        n_missing = missing_counts[name]
        rate = n_missing / n_rows if n_rows else None
        limit = _limit(max_missing, str(name))
        exceeded = bool(limit is not None and rate is not None and rate > limit)
        if exceeded:
            issues.append(f"column `{name}` has {rate:.2%} missing values, above the {limit:.2%} limit")
        low = high = None
        source = None
        n_out = share_out = None
        n_unseen = share_unseen = None
        unseen: tuple[str, ...] = ()
        if name in domain:
            low, high, source = domain[name]
        if source is not None and numeric:
            n_out = outside[name]
            share_out = n_out / n_rows if n_rows else None
            if n_out:
                issues.append(f"column `{name}` has {n_out} value(s) outside [{_fmt(low)}, {_fmt(high)}] "
                              f"({source} range)")
        elif source == "explicit" and not numeric:
            issues.append(f"column `{name}` has a range but is not numeric")
        if name in ref_names and not numeric and kind in ("string", "category", "bool"):
            # canonical labels: a reference code 1.0 (float column with a gap) is the category "1"
            known, _ = engine.category_counts(reference, name)
            current, _ = engine.category_counts(table, name)
            unseen = tuple(sorted(label for label in current if label not in known))
            n_unseen = sum(current[label] for label in unseen)
            share_unseen = n_unseen / n_rows if n_rows else None
            if n_unseen:
                issues.append(f"column `{name}` has {n_unseen} value(s) in categories absent from the reference "
                              f"data: {', '.join(unseen[:5])}{' …' if len(unseen) > 5 else ''}")
        result.append(ColumnQuality(str(name), kind, n_missing, finite(rate), limit, exceeded,
                                    finite(low) if low is not None else None,
                                    finite(high) if high is not None else None, source, n_out, finite(share_out),
                                    n_unseen, finite(share_unseen), unseen))
    n_dup = share_dup = None
    if check_duplicates:
        n_dup = n_rows - engine.distinct_rows(table, names) if n_rows else 0
        share_dup = n_dup / n_rows if n_rows else None
        if n_dup:
            issues.append(f"{n_dup} duplicate row(s)")
    return DataQualityReport(n_rows, len(names), schema_report, tuple(result), n_dup, finite(share_dup),
                             tuple(issues))


def _fmt(value: Any) -> str:
    """An open end of a range prints as an ellipsis: [0, …] means "at least 0"."""
    return "…" if value is None else f"{value:g}"
