"""Quoted fields: keys that are no identifier (`"german-credit"`, `"f1-score"`) are addressable."""

from __future__ import annotations

import pytest

from govern.dsl import nodes as n
from govern.dsl.checker import Checker
from govern.dsl.compiler import compile_expression
from govern.dsl.parser import DslError, parse_expression
from govern.dsl.printer import to_text
from govern.dsl.reference import evaluate as reference_evaluate
from govern.dsl.values import UNDETERMINED as U

from .test_language import SCHEMA

ENV = {"metrics": {"datasets": {"german-credit": {"test": {"f1-score": 0.83, "a.b": 1, 'say "hi"': 2}}}}}


@pytest.mark.parametrize("text, expected", [
    ('metrics.datasets."german-credit".test."f1-score" >= 0.8', True),
    ('metrics.datasets."german-credit".test."a.b" == 1', True),  # a dot inside quotes is part of the key
    ('metrics.datasets."german-credit".test."say \\"hi\\"" == 2', True),
    ('metrics.datasets."german-credit".test."F1-score" >= 0.8', U),  # keys are exact
    ("metrics.datasets.german-credit", None),  # unquoted, a hyphen is a minus: german - credit
])
def test_quoted_fields_evaluate_like_plain_ones(text, expected):
    expr = parse_expression(text)
    if expected is None:
        assert isinstance(expr, n.Binary) and expr.op == "-"
        return
    assert compile_expression(expr)(ENV) is expected
    assert reference_evaluate(expr, ENV) is expected


def test_printing_quotes_exactly_the_keys_that_need_it():
    expr = parse_expression('metrics.datasets."german-credit".test."f1-score" >= 0.8 and metrics."plain".x > 0')
    assert expr.left.left.parts == ("metrics", "datasets", "german-credit", "test", "f1-score")
    assert to_text(expr) == 'metrics.datasets."german-credit".test."f1-score" >= 0.8 and metrics.plain.x > 0'
    assert parse_expression(to_text(expr)) == expr
    tricky = n.Path(("metrics", 'a "b"\\c', "x y"))
    assert parse_expression(to_text(tricky)) == tricky


def test_unknown_quoted_fields_are_named_as_written():
    checker = Checker(SCHEMA)
    checker.check_condition(parse_expression('use_case."impact-eur" > 1'))
    (diag,) = checker.diagnostics
    assert diag.code == "dsl-unknown-field" and '`use_case."impact-eur"`' in diag.message


def test_a_root_cannot_be_quoted():
    with pytest.raises(DslError):
        parse_expression('"metrics".test.auc > 0')
