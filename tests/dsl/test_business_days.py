"""`business_days_since(date, calendar)`: weekends and public holidays of a jurisdiction skipped.

NYC LL144 §20-871(b) asks for notice "at least ten business days" before use; counting
calendar days (or weekdays) gets Memorial Day week wrong.
"""

from __future__ import annotations

import datetime as dt

import pytest

from govern.dsl import types as t
from govern.dsl.checker import Checker
from govern.dsl.compiler import compile_expression
from govern.dsl.parser import parse_expression
from govern.dsl.reference import evaluate
from govern.dsl.values import UNDETERMINED as U, EvalError

AS_OF = dt.date(2026, 6, 1)  # a Monday; Memorial Day was Monday 25 May 2026


def _run(text: str, as_of: dt.date = AS_OF, **use_case):
    env = {"use_case": use_case, "params": {}, "__as_of__": as_of}
    expr = parse_expression(text)
    compiled = compile_expression(expr)(env)
    assert compiled == evaluate(expr, env) or (compiled is U and evaluate(expr, env) is U)  # the spec agrees
    return compiled


@pytest.mark.parametrize("notice, calendar, expected", [
    (dt.date(2026, 5, 18), "US-NY", 9),    # 14 calendar days, 10 weekdays, Memorial Day off: 9
    (dt.date(2026, 5, 15), "US-NY", 10),   # the Friday before: ten business days, the first day of use counts
    (dt.date(2026, 5, 18), "GB-ENG", 9),   # the Spring bank holiday is 25 May 2026 as well
    (dt.date(2026, 5, 18), "FR", 9),       # Whit Monday, 25 May 2026
    (dt.date(2026, 5, 18), "JP", 10),      # no Japanese public holiday in that window
    (dt.date(2026, 5, 29), "US-NY", 1),    # Friday notice, Monday use
    (dt.date(2026, 5, 30), "US-NY", 1),    # a Saturday notice: Monday is the first business day
    (AS_OF, "US-NY", 0),
    (dt.date(2026, 6, 3), "US-NY", -2),    # dated after the evaluation: negative, never a pass
    (dt.date(2025, 12, 19), "US-NY", 110),  # across a year end (Christmas, New Year, MLK, Lincoln, Washington, …)
])
def test_counts_business_days_in_the_calendar(notice, calendar, expected):
    assert _run(f'business_days_since(use_case.notice, "{calendar}")', notice=notice) == expected


def test_agrees_with_a_day_by_day_count():
    import holidays

    table = holidays.country_holidays("US", subdiv="NY", years=range(2024, 2027))
    start = dt.date(2024, 3, 7)
    by_hand = sum(1 for i in range(1, (AS_OF - start).days + 1)
                  if (d := start + dt.timedelta(days=i)).weekday() < 5 and d not in table)
    assert _run('business_days_since(use_case.notice, "US-NY")', notice=start) == by_hand


def test_an_unanswered_date_is_undetermined():
    assert _run('business_days_since(use_case.notice, "US-NY") >= 10') is U


def test_a_date_far_from_the_evaluation_is_an_error_not_a_long_loop():
    with pytest.raises(EvalError, match="at most 100 years"):
        _run('business_days_since(use_case.notice, "US")', notice=dt.date(1700, 1, 1))


def test_an_unknown_calendar_at_run_time_is_an_error():
    with pytest.raises(EvalError, match="no holiday calendar"):
        _run("business_days_since(use_case.notice, use_case.where)", notice=dt.date(2026, 5, 1), where="XX")


SCHEMA = {"use_case": {"notice": t.DATE, "count": t.NUMBER}, "params": {"calendar": t.STRING}}


@pytest.mark.parametrize("text, fragment", [
    ('business_days_since(use_case.notice, "XX") > 1', "no holiday calendar for 'XX'"),
    ('business_days_since(use_case.notice, "US-ZZ") > 1', "does not have subdivision ZZ"),
    ('business_days_since(use_case.notice, "new york") > 1', "is not a calendar code"),
    ("business_days_since(use_case.notice, 3) > 1", "needs a calendar code"),
    ('business_days_since(use_case.count, "US") > 1', "needs a date, got number"),
    ("business_days_since(use_case.notice) > 1", "takes 2 arguments"),
])
def test_static_checks_name_the_calendar_problem(text, fragment):
    checker = Checker(SCHEMA)
    checker.check_condition(parse_expression(text, "p.rules"))
    assert checker.diagnostics, text
    assert fragment in checker.diagnostics[0].message
    assert checker.diagnostics[0].span.file == "p.rules"


def test_a_calendar_from_a_parameter_checks_as_a_string():
    checker = Checker(SCHEMA)
    checker.check_condition(parse_expression("business_days_since(use_case.notice, params.calendar) >= 10"))
    assert checker.diagnostics == []
