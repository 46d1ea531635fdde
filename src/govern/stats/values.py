"""Result dataclasses → JSON-safe plain data, and category values → one canonical text label.

Statistics leak numpy scalars and NaN; results are stored, digested and compared across
machines, so every result converts through one function that refuses non-finite numbers.

Categories are compared as text labels, and a CSV column of integer codes reads as integers
in one file and as floats in another as soon as one cell is blank (pandas has no missing
integer in a plain int64 column). Without one canonical label, `1` and `1.0` become two
categories and every code "moves" between them: a false drift with an astronomical χ².

The column helpers here (a column as float64 with NaN for missing, label counts, the simple
type name policies use) are shared by the statistics and the pandas engine, below both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def finite(value: Any) -> float | None:
    """A Python float, or None when the value is missing, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def plain(value: Any) -> Any:
    """Recursively turn dataclasses, numpy scalars, tuples and mappings into JSON-safe data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    return str(value)


class ToDict:
    """Mixin giving frozen result dataclasses a ``to_dict()`` through :func:`plain`."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return plain(self)  # type: ignore[no-any-return]


#: Floats beyond this magnitude are not exact integers, so they are never taken for integer codes.
_EXACT_INTEGER = 2.0**53


def category_label(value: Any) -> str:
    """The text label of a non-missing category value: integral floats print as integers.

    ``1``, ``1.0``, ``np.int64(1)`` and ``np.float64(1.0)`` all give ``"1"``; text is left
    as written (``"1.0"`` stays ``"1.0"``: a string is the producer's own label).
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if number.is_integer() and abs(number) < _EXACT_INTEGER:
            return str(int(number))
        return str(number)
    return str(value)


def category_codes(values: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, list[str]]:
    """Dense codes over canonical labels (-1 for missing) and the labels, one per code.

    Values that differ but share a label (``1`` and ``1.0`` in an object column) get one code.
    With ``sort``, codes follow the values' own order (1, 2, 10, not "1", "10", "2").
    """
    codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
    labels: list[str] = []
    position: dict[str, int] = {}
    remap = np.empty(len(uniques) + 1, dtype=np.int64)
    for i, unique in enumerate(uniques):
        label = category_label(unique)
        remap[i] = position.setdefault(label, len(position))
        if remap[i] == len(labels):
            labels.append(label)
    remap[-1] = -1  # factorize's missing sentinel indexes the last slot
    return remap[codes], labels


def category_labels(values: pd.Series) -> pd.Series:
    """Each value's canonical label (object dtype), missing values kept as None."""
    codes, labels = category_codes(values)
    table = np.array(labels + [None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)


def as_float_array(values: Any) -> np.ndarray:
    """Any 1-D numeric container → float64 array with NaN for missing values."""
    if isinstance(values, (pd.Series, pd.Index)):
        series = values
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
            # Datetimes compare as seconds since the epoch; NaT becomes NaN.
            stamps = pd.to_datetime(series)
            if getattr(stamps.dt, "tz", None) is not None:
                stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
            seconds = stamps.astype("datetime64[ns]").to_numpy().astype("int64").astype("float64") / 1e9
            seconds[stamps.isna().to_numpy()] = np.nan
            return seconds
        if series.dtype == np.float64:
            return series.to_numpy()  # a view: asking for na_value would copy the column
        return series.to_numpy(dtype="float64", na_value=np.nan)
    array = np.asarray(values)
    if array.dtype == np.float64:
        return array.ravel()
    return array.astype("float64").ravel()


def drop_missing(array: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop NaN without copying when there is none (the common case on large data)."""
    missing = np.isnan(array)
    n_missing = int(np.count_nonzero(missing))
    return (array[~missing] if n_missing else array), n_missing


def label_counts(values: Any) -> tuple[dict[str, int], int]:
    """Canonical category label → count, and the number of missing values.

    Labels are canonical (:func:`~govern.stats.values.category_label`) so that integer codes
    read as floats in one sample (one blank cell) meet the same codes read as integers in the other.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    codes, labels = category_codes(series)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    missing = int(codes.size - counts.sum())
    return {label: int(count) for label, count in zip(labels, counts.tolist()) if count}, missing


def counts_by_label(values: Sequence[Any], counts: Sequence[int]) -> tuple[dict[str, int], int]:
    """An engine's (distinct value, count) pairs → canonical label → count, and the missing count.

    Missing means None or a float NaN, as in pandas; values sharing a label (``1`` and ``1.0``)
    add up, exactly as :func:`label_counts` does row by row.
    """
    by_label: dict[str, int] = {}
    missing = 0
    for value, count in zip(values, counts):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            missing += int(count)
        elif count:
            label = category_label(value)
            by_label[label] = by_label.get(label, 0) + int(count)
    return by_label, missing


def is_categorical_series(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return False
    return True


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
