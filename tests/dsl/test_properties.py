"""Differential and round-trip properties of the rule language (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.dsl.compiler import Compiler
from govern.dsl.parser import DslError, parse_expression, parse_rules
from govern.dsl.printer import to_text
from govern.dsl.reference import evaluate
from govern.dsl.values import UNDETERMINED, EvalError

from tests.dsl.strategies import DEFINITIONS, environments, expressions


def _outcome(fn):
    try:
        return ("value", fn())
    except EvalError:
        return ("error", None)


def _same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if x is UNDETERMINED or y is UNDETERMINED:
        return x is y
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(("value", p), ("value", q)) for p, q in zip(x, y))
    return type(x) is type(y) and x == y


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, env=environments(), fold=st.booleans())
def test_compiled_closures_agree_with_reference_interpreter(expr, env, fold):
    # with `fold`, the pack's parameters are compile-time constants, as load_policy compiles them
    compiled = Compiler(DEFINITIONS, {"params": env["params"]} if fold else None).compile(expr)
    expected = _outcome(lambda: evaluate(expr, env, DEFINITIONS))
    actual = _outcome(lambda: compiled(env))
    assert _same(expected, actual), (to_text(expr), env, expected, actual)


@settings(max_examples=3_000, deadline=None)
@given(expr=expressions)
def test_print_then_parse_gives_the_same_ast(expr):
    assert parse_expression(to_text(expr)) == expr


@settings(max_examples=3_000, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_arbitrary_text_parses_or_raises_a_positioned_dsl_error(text):
    for parse in (parse_expression, parse_rules):
        try:
            parse(text)
        except DslError as exc:
            assert exc.diagnostics and all(d.span is not None and d.span.line >= 1 and d.span.column >= 1
                                           for d in exc.diagnostics)


TOKENS = ["rule", "r1", ":", "tier", "high", "when", "unless", "because", '"c"', "let", "=", "x", "use_case.a",
          "==", "and", "or", "not", "in", "(", ")", "[", "]", ",", "1", "2.5", "80%", "365d", "2024-01-31",
          "true", "+", "-", "*", "/", "count", "undetermined", "skip", "#c\n", "\n"]


@settings(max_examples=3_000, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=25))
def test_token_soup_parses_or_raises_a_positioned_dsl_error(tokens):
    text = " ".join(tokens)
    try:
        parse_rules(text)
    except DslError as exc:
        assert exc.diagnostics[0].span.line >= 1
