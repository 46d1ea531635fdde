"""A table (and optionally the training table) → schema, missing-value, range and duplicate findings.

Ranges not given explicitly are taken from the reference (training) data: its min/max per
numeric column and its set of categories are the model's domain of applicability, and
production rows outside it are predictions the model was never validated for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from govern.stats.values import ToDict, category_labels, finite

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


def simple_type(series: pd.Series) -> str:
    """The simple type name policies use for a column's dtype."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype):
        return "string"
    return "other"


def _type_matches(expected: str, series: pd.Series, actual: str) -> bool:
    if expected == actual:
        return True
    if expected == "number":
        return actual == "integer"
    if expected == "integer" and actual == "number":
        # CSV readers turn integer columns with gaps into floats; accept whole numbers.
        values = series.dropna().to_numpy(dtype=np.float64)
        return bool(np.all(np.isfinite(values) & (values == np.round(values))))
    if expected == "category":
        return actual in ("string", "bool", "integer")
    return False


def _check_schema(df: pd.DataFrame, schema: Mapping[str, str]) -> SchemaReport:
    bad = [t for t in schema.values() if t not in TYPE_NAMES]
    if bad:
        raise ValueError(f"unknown type name(s) {sorted(set(bad))}; use one of {list(TYPE_NAMES)}")
    missing = tuple(c for c in schema if c not in df.columns)
    extra = tuple(str(c) for c in df.columns if c not in schema)
    mismatches = []
    for name, expected in schema.items():
        if name in df.columns:
            actual = simple_type(df[name])
            if not _type_matches(expected, df[name], actual):
                mismatches.append(TypeMismatch(name, expected, actual))
    return SchemaReport(missing, extra, tuple(mismatches))


def _limit(max_missing: Mapping[str, float] | float | None, column: str) -> float | None:
    if max_missing is None:
        return None
    if isinstance(max_missing, Mapping):
        value = max_missing.get(column)
        return None if value is None else float(value)
    return float(max_missing)


def _numeric_view(series: pd.Series) -> np.ndarray | None:
    kind = simple_type(series)
    if kind in ("integer", "number"):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return None


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
    n_rows = len(df)
    schema_report = _check_schema(df, schema) if schema is not None else None
    issues: list[str] = []
    if schema_report is not None:
        issues += [f"column `{c}` is missing" for c in schema_report.missing_columns]
        issues += [f"column `{c}` is not in the schema" for c in schema_report.extra_columns]
        issues += [f"column `{m.column}` is {m.actual}, expected {m.expected}" for m in schema_report.type_mismatches]
    explicit = dict(ranges or {})
    columns = []
    for name in df.columns:
        series = df[name]
        n_missing = int(series.isna().sum())
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
        values = _numeric_view(series)
        if name in explicit:
            low, high = explicit[name]
            source = "explicit"
        elif reference_df is not None and name in reference_df.columns and values is not None:
            ref_values = _numeric_view(reference_df[name])
            if ref_values is not None and np.any(~np.isnan(ref_values)):
                low, high = float(np.nanmin(ref_values)), float(np.nanmax(ref_values))
                source = "reference"
        if source is not None and values is not None:
            with np.errstate(invalid="ignore"):
                out = np.zeros(values.size, dtype=bool)
                if low is not None:
                    out |= values < low
                if high is not None:
                    out |= values > high
            n_out = int(out.sum())
            share_out = n_out / n_rows if n_rows else None
            if n_out:
                issues.append(f"column `{name}` has {n_out} value(s) outside [{_fmt(low)}, {_fmt(high)}] "
                              f"({source} range)")
        elif source == "explicit" and values is None:
            issues.append(f"column `{name}` has a range but is not numeric")
        if (reference_df is not None and name in reference_df.columns and values is None
                and simple_type(series) in ("string", "category", "bool")):
            # canonical labels: a reference code 1.0 (float column with a gap) is the category "1"
            known = set(category_labels(reference_df[name]).dropna())
            current = category_labels(series).dropna()
            is_unseen = ~current.isin(known)
            n_unseen = int(is_unseen.sum())
            share_unseen = n_unseen / n_rows if n_rows else None
            unseen = tuple(sorted(current[is_unseen].unique()))
            if n_unseen:
                issues.append(f"column `{name}` has {n_unseen} value(s) in categories absent from the reference "
                              f"data: {', '.join(unseen[:5])}{' …' if len(unseen) > 5 else ''}")
        columns.append(ColumnQuality(str(name), simple_type(series), n_missing, finite(rate), limit, exceeded,
                                     finite(low) if low is not None else None,
                                     finite(high) if high is not None else None, source, n_out, finite(share_out),
                                     n_unseen, finite(share_unseen), unseen))
    n_dup = share_dup = None
    if check_duplicates:
        n_dup = int(df.duplicated().sum()) if n_rows else 0
        share_dup = n_dup / n_rows if n_rows else None
        if n_dup:
            issues.append(f"{n_dup} duplicate row(s)")
    return DataQualityReport(n_rows, len(df.columns), schema_report, tuple(columns), n_dup, finite(share_dup),
                             tuple(issues))


def _fmt(value: Any) -> str:
    """An open end of a range prints as an ellipsis: [0, …] means "at least 0"."""
    return "…" if value is None else f"{value:g}"
