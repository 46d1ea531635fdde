"""Result dataclasses → JSON-safe plain data, and category values → one canonical text label.

Statistics leak numpy scalars and NaN; results are stored, digested and compared across
machines, so every result converts through one function that refuses non-finite numbers.

Categories are compared as text labels, and a CSV column of integer codes reads as integers
in one file and as floats in another as soon as one cell is blank (pandas has no missing
integer in a plain int64 column). Without one canonical label, `1` and `1.0` become two
categories and every code "moves" between them: a false drift with an astronomical χ².
"""

from __future__ import annotations

import dataclasses
import math
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
