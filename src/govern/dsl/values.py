"""Run-time values of the rule language: the *undetermined* marker and evaluation errors.

Missing data is never silently false. A field the input does not have (or answers with
``null``) evaluates to :data:`UNDETERMINED`, which propagates through comparisons and
arithmetic, and through ``and``/``or``/``not`` with Kleene's three-valued logic
(``false and ?`` is false, ``true or ?`` is true, everything else with ``?`` stays ``?``).
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
from typing import Any, Final

from govern.errors import Span


class _Undetermined:
    """Singleton: a value the input does not determine."""

    __slots__ = ()
    _instance: "_Undetermined | None" = None

    def __new__(cls) -> "_Undetermined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undetermined"

    def __bool__(self) -> bool:
        raise TypeError("undetermined has no truth value; test `is UNDETERMINED` first")

    def __reduce__(self) -> str:
        return "UNDETERMINED"


UNDETERMINED: Final = _Undetermined()

#: The environment key holding the evaluation date used by ``days_since``.
AS_OF_KEY: Final = "__as_of__"

#: Characters of a number as written (in a rule or in YAML). Python's ``int()`` is
#: quadratic in the digits and refuses more than 4,300 of them (a limit the environment
#: can lower to 640); no quantity a policy reasons about needs more than a few dozen.
MAX_NUMBER_CHARS: Final = 400
#: Numbers are those of a double: an integer beyond ±1.8e308 is refused like an infinite
#: float, so that arithmetic on numbers read from input stays cheap and printable.
MAX_NUMBER: Final = sys.float_info.max


def number_problem(value: int | float) -> str | None:
    """Why a number read from input is unusable (infinite, NaN, beyond a double), or ``None``."""
    if isinstance(value, float):
        if math.isnan(value):
            return "is not a number (NaN)"
        if math.isinf(value):
            return "is out of range (infinite)"
        return None
    if -MAX_NUMBER <= value <= MAX_NUMBER:
        return None
    return "is out of range (beyond ±1.8e308)"


class EvalError(Exception):
    """A run-time error inside an expression (wrong type in dynamic data, division by zero)."""

    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def type_name(value: Any) -> str:
    """The rule language's name for a Python value, for messages."""
    if value is UNDETERMINED:
        return "undetermined"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, _dt.datetime):
        return "datetime"
    if isinstance(value, _dt.date):
        return "date"
    if isinstance(value, _dt.timedelta):
        return "duration"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return type(value).__name__


def lookup(env: dict[str, Any], parts: tuple[str, ...]) -> Any:
    """Follow a dotted path through nested mappings; absent or ``null`` → undetermined."""
    value: Any = env
    for part in parts:
        if not isinstance(value, dict):
            return UNDETERMINED
        value = value.get(part, UNDETERMINED)
        if value is UNDETERMINED or value is None:
            return UNDETERMINED
    return value
