"""Result dataclasses → JSON-safe plain data (finite floats or None, lists, str keys).

Statistics leak numpy scalars and NaN; results are stored, digested and compared across
machines, so every result converts through one function that refuses non-finite numbers.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


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
