"""Operator and built-in function semantics, shared by the compiler and the reference interpreter.

One definition of what ``<``, ``in`` or ``days_since`` mean, including how undetermined
values propagate; the compiler adds fast paths for common shapes on top and is tested to
agree with the plain interpreter that calls these directly.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import Any, Callable

from govern.dsl.values import AS_OF_KEY, UNDETERMINED, EvalError, number_problem, type_name

U = UNDETERMINED


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def equal(a: Any, b: Any) -> bool:
    """Equality where booleans are not numbers (``true == 1`` is false)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    return a == b


def _orderable(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return True
    for kind in (str, _dt.date, _dt.timedelta):
        if isinstance(a, kind) and isinstance(b, kind):
            return isinstance(a, _dt.datetime) == isinstance(b, _dt.datetime)
    return False


def compare(op: str, a: Any, b: Any, span=None) -> Any:
    if a is U or b is U:
        return U
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    if op in ("in", "not in"):
        found = contains(b, a, span)
        if found is U:
            return U
        return found if op == "in" else not found
    if not _orderable(a, b):
        raise EvalError(f"cannot compare {type_name(a)} {a!r} with {type_name(b)} {b!r} using `{op}`", span)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def contains(container: Any, item: Any, span=None) -> Any:
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    if not isinstance(container, (list, tuple, set, frozenset)):
        raise EvalError(f"`in` needs a list on its right, got {type_name(container)}", span)
    pending = False
    for element in container:
        if element is U:
            pending = True
        elif equal(element, item):
            return True
    return U if pending else False


def logical_value(v: Any, op: str, span=None) -> Any:
    if v is U or isinstance(v, bool):
        return v
    raise EvalError(f"`{op}` needs true/false, got {type_name(v)} {v!r}", span)


def negate(v: Any, span=None) -> Any:
    v = logical_value(v, "not", span)
    return v if v is U else not v


def minus(v: Any, span=None) -> Any:
    if v is U:
        return U
    if is_number(v) or isinstance(v, _dt.timedelta):
        return -v
    raise EvalError(f"cannot negate {type_name(v)} {v!r}", span)


def arithmetic(op: str, a: Any, b: Any, span=None) -> Any:
    if a is U or b is U:
        return U
    num_a, num_b = is_number(a), is_number(b)
    try:
        if num_a and num_b:
            if op == "+":
                result = a + b
            elif op == "-":
                result = a - b
            elif op == "*":
                result = a * b
            else:
                if b == 0:
                    raise EvalError("division by zero", span)
                result = a / b
            if number_problem(result) is not None:  # numbers stay those of a double, ints included
                raise EvalError(f"arithmetic overflow in `{op}`", span)
            return result
        dur_a, dur_b = isinstance(a, _dt.timedelta), isinstance(b, _dt.timedelta)
        date_a = isinstance(a, _dt.date) and not isinstance(a, _dt.datetime)
        date_b = isinstance(b, _dt.date) and not isinstance(b, _dt.datetime)
        if op == "+" and ((date_a and dur_b) or (dur_a and date_b) or (dur_a and dur_b)):
            return a + b
        if op == "-" and ((date_a and (date_b or dur_b)) or (dur_a and dur_b)):
            return a - b
        if op == "*" and ((dur_a and num_b) or (num_a and dur_b)):
            return a * b
        if op == "/" and dur_a and (dur_b or num_b):
            if b == 0 or (dur_b and b.total_seconds() == 0):
                raise EvalError("division by zero", span)
            return a / b
    except OverflowError:
        raise EvalError(f"arithmetic overflow in `{op}`", span) from None
    raise EvalError(f"cannot apply `{op}` to {type_name(a)} and {type_name(b)}", span)


# --- built-in functions ------------------------------------------------------

def _list_arg(name: str, v: Any, span) -> Any:
    if v is U:
        return U
    if not isinstance(v, (list, tuple, set, frozenset)):
        raise EvalError(f"`{name}` needs a list, got {type_name(v)}", span)
    return v


def fn_any(args: list[Any], env: dict, span=None) -> Any:
    items = _list_arg("any", args[0], span)
    if items is U:
        return U
    pending = False
    for item in items:
        item = logical_value(item, "any", span)
        if item is True:
            return True
        pending = pending or item is U
    return U if pending else False


def fn_all(args: list[Any], env: dict, span=None) -> Any:
    items = _list_arg("all", args[0], span)
    if items is U:
        return U
    pending = False
    for item in items:
        item = logical_value(item, "all", span)
        if item is False:
            return False
        pending = pending or item is U
    return U if pending else True


def fn_count(args: list[Any], env: dict, span=None) -> Any:
    items = _list_arg("count", args[0], span)
    return U if items is U else len(items)


def _extreme(name: str, args: list[Any], span, pick: Callable) -> Any:
    items = args[0] if len(args) == 1 else args
    items = _list_arg(name, items, span)
    if items is U:
        return U
    if not items:
        raise EvalError(f"`{name}` of an empty list", span)
    if any(i is U for i in items):
        return U
    best = items[0]
    for item in items[1:]:
        if not _orderable(best, item):
            raise EvalError(f"`{name}` cannot compare {type_name(best)} with {type_name(item)}", span)
        best = pick(best, item)
    if not (_orderable(best, best)):
        raise EvalError(f"`{name}` needs numbers, strings, dates or durations", span)
    return best


def fn_min(args: list[Any], env: dict, span=None) -> Any:
    return _extreme("min", args, span, lambda a, b: b if b < a else a)


def fn_max(args: list[Any], env: dict, span=None) -> Any:
    return _extreme("max", args, span, lambda a, b: b if b > a else a)


def fn_abs(args: list[Any], env: dict, span=None) -> Any:
    v = args[0]
    if v is U:
        return U
    if is_number(v) or isinstance(v, _dt.timedelta):
        return abs(v)
    raise EvalError(f"`abs` needs a number, got {type_name(v)}", span)


def fn_days_since(args: list[Any], env: dict, span=None) -> Any:
    v = args[0]
    if v is U:
        return U
    if isinstance(v, _dt.datetime):
        v = v.date()
    if not isinstance(v, _dt.date):
        raise EvalError(f"`days_since` needs a date, got {type_name(v)} {v!r}", span)
    as_of = env.get(AS_OF_KEY)
    if not isinstance(as_of, _dt.date):
        raise EvalError("`days_since` needs an evaluation date (as_of)", span)
    return (as_of - v).days


#: ``CC`` or ``CC-SUB``: an ISO 3166 country code and, optionally, a subdivision (``US-NY``, ``GB-ENG``).
_CALENDAR = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
#: Business days are counted over at most this many years: enough for any notice period, and
#: a bound on the holiday tables a hostile date can make the evaluator build.
MAX_BUSINESS_DAY_YEARS = 100


def calendar_problem(code: Any) -> str | None:
    """Why ``code`` names no holiday calendar the ``holidays`` library has, or None."""
    if not isinstance(code, str) or not _CALENDAR.fullmatch(code):
        return f"{code!r} is not a calendar code such as \"US\" or \"US-NY\" (ISO 3166 country[-subdivision])"
    try:
        _holidays(code, 2000)
    except NotImplementedError as exc:
        return f"no holiday calendar for {code!r} ({exc})"
    return None


@functools.lru_cache(maxsize=256)
def _holidays(code: str, year: int) -> tuple[frozenset[_dt.date], frozenset[int]]:
    """(public holidays, weekend weekdays) of one calendar year; imported only when a rule counts business days."""
    import holidays

    country, _, subdiv = code.partition("-")
    table = holidays.country_holidays(country, subdiv=subdiv or None, years=[year])
    weekend = frozenset(getattr(table, "weekend", None) or {5, 6})
    return frozenset(d for d in table if d.year == year), weekend


def business_days_between(start: _dt.date, end: _dt.date, code: str) -> int:
    """Business days d with start < d <= end in calendar ``code`` (negative when end < start).

    A notice given on a Friday has run one business day on the next Monday: the day of the
    notice itself never counts, the day of use does.
    """
    if end < start:
        return -business_days_between(end, start, code)
    count = 0
    for year in range(start.year, end.year + 1):
        holidays, weekend = _holidays(code, year)
        first = max(start + _dt.timedelta(days=1), _dt.date(year, 1, 1))
        last = min(end, _dt.date(year, 12, 31))
        if last < first:
            continue
        days = (last - first).days + 1
        weeks, rest = divmod(days, 7)
        count += weeks * (7 - len(weekend))
        count += sum(1 for i in range(rest) if (first.weekday() + i) % 7 not in weekend)
        count -= sum(1 for d in holidays if first <= d <= last and d.weekday() not in weekend)
    return count


def fn_business_days_since(args: list[Any], env: dict, span=None) -> Any:
    v, code = args
    if v is U or code is U:
        return U
    if isinstance(v, _dt.datetime):
        v = v.date()
    if not isinstance(v, _dt.date):
        raise EvalError(f"`business_days_since` needs a date, got {type_name(v)} {v!r}", span)
    problem = calendar_problem(code)
    if problem is not None:
        raise EvalError(f"`business_days_since`: {problem}", span)
    as_of = env.get(AS_OF_KEY)
    if not isinstance(as_of, _dt.date):
        raise EvalError("`business_days_since` needs an evaluation date (as_of)", span)
    if abs(as_of.year - v.year) > MAX_BUSINESS_DAY_YEARS:
        raise EvalError(f"`business_days_since` counts over at most {MAX_BUSINESS_DAY_YEARS} years; "
                        f"{v.isoformat()} is further from the evaluation date {as_of.isoformat()}", span)
    return business_days_between(v, as_of, code)


def fn_overlaps(args: list[Any], env: dict, span=None) -> Any:
    a = _list_arg("overlaps", args[0], span)
    b = _list_arg("overlaps", args[1], span)
    if a is U or b is U:
        return U
    pending = False
    for item in a:
        found = U if item is U else contains(b, item, span)
        if found is True:
            return True
        pending = pending or found is U
    return U if pending else False


#: name → (implementation, min args, max args or None, one-line doc)
FUNCTIONS: dict[str, tuple[Callable[[list[Any], dict, Any], Any], int, int | None, str]] = {
    "any": (fn_any, 1, 1, "true if any element of a list of conditions is true"),
    "all": (fn_all, 1, 1, "true if every element of a list of conditions is true"),
    "count": (fn_count, 1, 1, "number of elements of a list"),
    "min": (fn_min, 1, None, "smallest of a list, or of several arguments"),
    "max": (fn_max, 1, None, "largest of a list, or of several arguments"),
    "abs": (fn_abs, 1, 1, "absolute value of a number or duration"),
    "days_since": (fn_days_since, 1, 1, "whole days from a date to the evaluation date"),
    "business_days_since": (fn_business_days_since, 2, 2,
                            "business days after a date up to the evaluation date, in a holiday calendar "
                            "such as \"US-NY\" (weekends and public holidays of the `holidays` library skipped)"),
    "overlaps": (fn_overlaps, 2, 2, "true if two lists share an element"),
    "exists": (lambda args, env, span=None: args[0] is not U, 1, 1,
               "true if a field (or expression) is determined; never undetermined itself"),
}
