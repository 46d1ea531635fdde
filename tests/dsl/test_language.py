"""Semantics and diagnostics of the rule language, case by case."""

from __future__ import annotations

import datetime as dt

import pytest

from govern.dsl import types as t
from govern.dsl.checker import Checker
from govern.dsl.compiler import compile_expression
from govern.dsl.parser import DslError, parse_expression, parse_rules
from govern.dsl.values import UNDETERMINED as U

ENV = {
    "use_case": {"domain": "credit", "affects": True, "impact": 2_000_000, "tags": ["pii", "public"],
                 "launched": dt.date(2025, 1, 1), "unknown": None},
    "params": {"threshold": 1_000_000},
    "__as_of__": dt.date(2026, 1, 1),
}


@pytest.mark.parametrize("text, expected", [
    ('use_case.domain == "credit"', True),
    ('use_case.domain in ["credit", "hr"]', True),
    ('use_case.domain not in ["credit", "hr"]', False),
    ("use_case.impact >= params.threshold and use_case.affects", True),
    ("use_case.missing == 1", U),
    ("use_case.unknown == 1", U),  # null answers are unknown, not a value
    ("use_case.missing == 1 and false", False),  # Kleene: false wins
    ("use_case.missing == 1 or true", True),  # Kleene: true wins
    ("not (use_case.missing == 1)", U),
    ("exists(use_case.missing)", False),
    ("exists(use_case.domain)", True),
    ('"pii" in use_case.tags', True),
    ('overlaps(use_case.tags, ["public", "x"])', True),
    ("count(use_case.tags) == 2", True),
    ("days_since(use_case.launched)", 365),
    ("2024-01-01 + 365d", dt.date(2024, 12, 31)),
    ("2025-01-01 - 2024-01-01", dt.timedelta(days=366)),
    ("80% == 0.8", True),
    ("max([1, 5, 3]) - min(4, 2)", 3),
    ("any([false, use_case.missing == 1])", U),
    ("all([true, use_case.affects])", True),
    ("-abs(-2) * 3 / 4", -1.5),
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
])
def test_evaluation(text, expected):
    assert compile_expression(parse_expression(text))(ENV) == expected or (
        expected is U and compile_expression(parse_expression(text))(ENV) is U)


def test_comments_definitions_and_rule_fields():
    parsed = parse_rules('''
        # a comment
        let hr = ["employment"]  # trailing comment
        rule r-1: tier high when use_case.domain in hr unless false because "Annex III 4(a)" undetermined skip
    ''', "x.rules")
    (definition, rule) = parsed.items
    assert definition.name == "hr"
    assert (rule.id, rule.tier, rule.citation, rule.undetermined) == ("r-1", "high", "Annex III 4(a)", "skip")
    assert (rule.span.file, rule.span.line, rule.span.column) == ("x.rules", 4, 9)


@pytest.mark.parametrize("text, fragment, hint", [
    ("a = 1", "unexpected `=`", "comparison is written `==`"),
    ("a && b", "unexpected character `&&`", "logical and is written `and`"),
    ("a == 'x'", "unexpected character `'`", "strings are written in double quotes"),
    ("(a == 1", "unexpected end of input", None),
    ("2024-02-30 > a", "not a valid calendar date", None),
])
def test_syntax_errors_have_position_and_hint(text, fragment, hint):
    with pytest.raises(DslError) as caught:
        parse_expression(text, "p.yaml", line=7, column=20)
    diag = caught.value.diagnostics[0]
    assert fragment in diag.message
    assert diag.span.file == "p.yaml" and diag.span.line == 7 and diag.span.column >= 20
    assert diag.hint == hint
    rendered = diag.render()
    assert rendered.startswith("p.yaml:7:") and "^" in rendered


SCHEMA = {
    "use_case": {"domain": t.enum(["credit", "employment"]), "impact": t.NUMBER, "tags": t.list_of(t.enum(["pii"])),
                 "launched": t.DATE},
    "params": {"threshold": t.NUMBER},
    "metrics": t.ANY,
}


@pytest.mark.parametrize("text, code, fragment, hint", [
    ('use_case.domian == "credit"', "dsl-unknown-field", "unknown field `use_case.domian`",
     "did you mean `use_case.domain`?"),
    ('use_case.domain == "credt"', "dsl-unknown-value", '"credt" is not an allowed value', "did you mean `credit`?"),
    ('"pi" in use_case.tags', "dsl-unknown-value", '"pi" is not an allowed value', "did you mean `pii`?"),
    ('use_case.impact == "big"', "dsl-type", "comparing number with string", None),
    ("use_case.launched > 3", "dsl-type", "cannot compare date with number", None),
    ("use_case.impact and true", "dsl-type", "`and` needs true/false", 'compare the value, e.g. `x == "yes"`'),
    ("cnt(use_case.tags) > 1", "dsl-unknown-function", "unknown function `cnt`", "did you mean `count`?"),
    ("count(1, 2) > 1", "dsl-arity", "takes 1 argument", None),
    ("usecase.impact > 1", "dsl-unknown-field", "unknown root `usecase`", "did you mean `use_case`?"),
    ("use_case.impact", "dsl-type", "must be true or false", None),
])
def test_static_checks(text, code, fragment, hint):
    checker = Checker(SCHEMA)
    checker.check_condition(parse_expression(text))
    assert checker.diagnostics, text
    diag = checker.diagnostics[0]
    assert diag.code == code and fragment in diag.message
    if hint:
        assert diag.hint == hint


def test_dynamic_roots_are_not_checked_statically():
    checker = Checker(SCHEMA)
    checker.check_condition(parse_expression("metrics.test.auc >= 0.75 and metrics.oot.anything == 1"))
    assert checker.diagnostics == []


def test_definition_cycle_is_reported():
    defs = {"a": parse_expression("b"), "b": parse_expression("a")}
    checker = Checker(SCHEMA, defs)
    checker.infer(parse_expression("a"))
    assert any(d.code == "dsl-cycle" for d in checker.diagnostics)
