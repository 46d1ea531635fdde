"""The limits of rule text: hostile inputs up to (and past) every cap stay within time and memory.

The property test loads a pack whose extra rules file is generated to stress one dimension
at a time -- text size, nesting, list length, definition chains, expanded size, number
length, error count -- and measures each load in a forked child (``os.wait4`` gives that
child's own peak memory, C allocations included). Before the limits these inputs took
minutes, gigabytes or the whole stack.
"""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.dsl import limits
from govern.dsl import nodes as n
from govern.dsl import types as t
from govern.dsl.checker import Checker
from govern.dsl.compiler import Compiler
from govern.dsl.parser import DslError, parse_expression
from govern.dsl.reference import evaluate
from govern.dsl.values import MAX_NUMBER_CHARS, EvalError
from govern.errors import GovernError
from govern.load.pack import load_policy

from tests.dsl.hostile import linux_only, measured, mini_pack

#: Generous for a loaded two-core CI machine: the worst input at the caps takes about a
#: second on a quiet one; before the limits, 8,000 list items took 20 s and 3.4 GB.
SECONDS = 5.0
#: Peak resident memory of the forked child: ~45 MiB for a trivial pack, under 60 MiB at
#: the caps (the parse tree of 64 KiB of tokens and the diagnostics of 10,000 errors).
MIB = 128

RULE = 'rule r{i}: tier high when {expr} because "c"\n'


def _rule(expr: str, i: int = 0) -> str:
    return RULE.format(i=i, expr=expr)


def _up_to(draw, cap: int) -> int:
    """A size spread over the whole range up to a little past ``cap`` (hypothesis prefers small ones)."""
    fraction = draw(st.sampled_from([0.05, 0.5, 0.9, 1.0, 1.02]))
    return max(1, int(cap * fraction) - draw(st.integers(0, 2)))


@st.composite
def hostile_rules(draw) -> str:
    """One rules file stressing one dimension, up to a little past its cap."""
    kind = draw(st.sampled_from(["list", "string", "prefix", "chain", "lets", "doubling", "number", "errors",
                                 "dangling"]))
    if kind == "list":  # every item an error when it is not an allowed value
        count = _up_to(draw, limits.MAX_LIST_ITEMS)
        item = draw(st.sampled_from(['"bad"', '"hr"', "1", "x", "1.5"]))  # 10,000 fit in the size cap
        return _rule(f"use_case.domain in [{','.join([item] * count)}]")
    if kind == "string":
        length = _up_to(draw, limits.MAX_SOURCE_BYTES - 50)
        return _rule(f'use_case.domain == "{"é" * (length // 2)}{"x" * (length - length // 2)}"')
    if kind == "prefix":  # nesting by prefix operators, brackets and calls
        depth = _up_to(draw, limits.MAX_DEPTH)
        opener, closer = draw(st.sampled_from([("not ", ""), ("-", ""), ("(", ")"), ("[", "]"), ("abs(", ")"),
                                               ("any([", "])")]))
        return _rule(opener * depth + "use_case.profiling" + closer * depth)
    if kind == "chain":  # left-deep operator chains
        terms = _up_to(draw, limits.MAX_SOURCE_BYTES // 5)
        op = draw(st.sampled_from([" or ", " and ", "+", "*"]))
        return _rule(op.join(["a"] * terms))
    if kind == "lets":  # a chain of definitions, in some order
        length = _up_to(draw, 3 * limits.MAX_DEPTH)
        lets = ["let d0 = use_case.profiling\n"] + [f"let d{i} = not d{i - 1}\n" for i in range(1, length)]
        random.Random(draw(st.integers(0, 2**32))).shuffle(lets)
        return "".join(lets) + _rule(f"d{length - 1}")
    if kind == "doubling":  # each definition uses the previous twice: exponential when written out
        length = _up_to(draw, 40)
        lets = "let a0 = use_case.profiling\n" + "".join(f"let a{i} = a{i - 1} and a{i - 1}\n"
                                                        for i in range(1, length))
        return lets + _rule(f"a{length - 1}")
    if kind == "number":
        digits = _up_to(draw, MAX_NUMBER_CHARS)
        form = draw(st.sampled_from(["{}", "{}.5", "1e{}", "{}%", "{}d", "0.{}"]))
        return _rule("use_case.impact_eur > " + form.format("9" * digits))
    if kind == "errors":  # as many misspellings as fit, each with a did-you-mean to compute
        count = _up_to(draw, limits.MAX_SOURCE_BYTES // 75)
        return "".join(_rule('use_case.domian == "credt" and cnt(1) > 1', i) for i in range(count))
    operator = draw(st.sampled_from(["and", "or", "not", "==", "in", "+"]))
    keyword = draw(st.sampled_from(["unless true", "because", "rule", "let"]))
    return f"rule r: tier high when use_case.profiling {operator} {keyword} \"c\"\n"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return mini_pack(tmp_path_factory.mktemp("limits"))


def _load(pack) -> list[str]:
    """Load the pack; the diagnostic codes it is refused with (none if it loads)."""
    try:
        load_policy(pack)
    except GovernError as exc:
        exc.render()  # what the CLI prints: must be linear too
        return sorted({d.code for d in exc.diagnostics})
    return []


@linux_only
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_rules())
def test_hostile_rules_up_to_the_caps_load_in_bounded_time_and_memory(pack, text):
    (pack / "rules" / "zz.rules").write_text(text, encoding="utf-8")
    codes, seconds, peak = measured(lambda: _load(pack))
    assert not (isinstance(codes, dict)), codes  # a crash (RecursionError, ...) or a kill
    assert seconds < SECONDS, (seconds, len(text), text[:120])
    assert peak < MIB, (peak, len(text), text[:120])


@linux_only
@pytest.mark.parametrize("text", [
    # the densest tokens the size cap allows: lark's speed is the bound
    "".join(_rule("use_case.impact_eur in [" + ",".join(["1"] * 8000) + "]", i) for i in range(4)),
    # every value of the longest lists an error with a hint and a listing of the allowed values
    "".join(_rule("use_case.domain in [" + ",".join(['"q"'] * 5000) + "]", i) for i in range(3)),
])
def test_the_worst_inputs_at_the_size_cap_stay_bounded(pack, text):
    assert len(text) < limits.MAX_SOURCE_BYTES
    (pack / "rules" / "zz.rules").write_text(text, encoding="utf-8")
    codes, seconds, peak = measured(lambda: _load(pack))
    assert isinstance(codes, list), codes
    assert seconds < SECONDS and peak < MIB, (seconds, peak)


SCHEMA = {"use_case": {"flag": t.BOOL}}


def _chain(depth: int) -> tuple[n.Expr, dict[str, n.Expr], int]:
    """A use of the last of a chain of definitions, each a `not` of the one before, nesting
    exactly ``depth`` levels (even); and how many `not`s it applies."""
    definitions = {"d0": parse_expression("use_case.flag")}
    nots = depth // 2 - 1
    for i in range(1, nots + 1):
        definitions[f"d{i}"] = parse_expression(f"not d{i - 1}")
    return parse_expression(f"d{nots}"), definitions, nots


def test_every_stage_handles_the_deepest_expression_allowed_in_three_frames_a_level():
    import inspect

    expr, definitions, nots = _chain(limits.MAX_DEPTH)
    checker = Checker(SCHEMA, definitions)
    env = {"use_case": {"flag": True}}
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 3 * limits.MAX_DEPTH + 60)
    try:
        checker.check_condition(expr)
        value = Compiler(definitions).compile(expr)(env)
        assert evaluate(expr, env, definitions) is value
        assert limits.measure(expr, limits.definition_shapes(definitions)).height == limits.MAX_DEPTH
    finally:
        sys.setrecursionlimit(previous)
    assert checker.diagnostics == []
    assert value is (nots % 2 == 0)


def test_one_level_deeper_is_an_error_and_checking_does_not_recurse_into_it():
    expr, definitions, _ = _chain(limits.MAX_DEPTH + 2)
    checker = Checker(SCHEMA, definitions)
    for definition in definitions.values():  # as a pack is checked: every definition, then every rule
        checker.infer(definition)
    checker.check_condition(expr)  # too deep only because d50 is: not reported again
    assert [d.code for d in checker.diagnostics] == ["dsl-limit"]
    # the compiler never fails: what the checker refuses compiles to a closure that raises
    with pytest.raises(EvalError, match="nests more than 100 levels"):
        Compiler(definitions).compile(expr)({"use_case": {"flag": True}})


def test_compiling_never_raises_for_what_the_checker_reports():
    definitions = {"a": parse_expression("b"), "b": parse_expression("a")}
    for text in ("cnt(1) > 0", "a"):
        fn = Compiler(definitions).compile(parse_expression(text))
        with pytest.raises(EvalError):
            fn({})


def test_definition_shapes_are_measured_without_recursion_and_through_cycles():
    # d20000 uses d19999 ... uses d0, which closes the cycle by using d20000
    definitions: dict[str, n.Expr] = {"d0": n.Path(("d20000",))}
    for i in range(20_000, 0, -1):
        definitions[f"d{i}"] = n.Binary("and", n.Path((f"d{i - 1}",)), n.Literal(True))
    shapes = limits.definition_shapes(definitions)  # a recursive walk would overflow the stack
    assert len(shapes) == 20_001
    # the walk starts at d0 and the cycle is cut where it closes: d1's use of d0 counts as a plain name
    assert (shapes["d1"].height, shapes["d20000"].height, shapes["d0"].height) == (2, 40_000, 40_001)
    assert shapes["d20000"].too_deep_at is None  # d19999 is too deep by itself: reported there


def test_the_shipped_packs_are_far_from_the_limits():
    from pathlib import Path

    for folder in sorted((Path(__file__).resolve().parents[2] / "policies").iterdir()):
        for path in folder.glob("rules/*.rules"):
            text = path.read_text()
            assert len(text.encode()) < limits.MAX_SOURCE_BYTES / 4, path
        policy = load_policy(folder)
        shapes = limits.definition_shapes(policy.definitions)
        expressions = [e for r in policy.rules for e in (r.rule.when, r.rule.unless) if e is not None]
        for expr in expressions + [c.expr for c in policy.conditions.values()]:
            shape = limits.measure(expr, shapes)
            assert shape.height < limits.MAX_DEPTH / 4 and shape.size < limits.MAX_EXPANDED_NODES / 100


@pytest.mark.parametrize("text, fragment", [
    ("a" + " or a" * limits.MAX_DEPTH, "nests more than 100 levels"),
    ("[" + ",".join(["1"] * (limits.MAX_LIST_ITEMS + 1)) + "]", "this list has 10,001 items"),
    ("max(" + ",".join(["1"] * (limits.MAX_LIST_ITEMS + 1)) + ")", "call of `max` has 10,001 arguments"),
    ('"' + "x" * limits.MAX_SOURCE_BYTES + '"', "this condition is 65,538 bytes"),
])
def test_each_limit_is_a_positioned_dsl_limit_error(text, fragment):
    with pytest.raises(DslError) as caught:
        parse_expression(text, "t.yaml", line=3, column=12, source="a\nb\n" + " " * 11 + text)
    diag = caught.value.diagnostics[0]
    assert diag.code == "dsl-limit" and fragment in diag.message and diag.span.line == 3
    assert len(diag.render()) < 800


def test_just_inside_each_limit_parses():
    parse_expression("a" + " or a" * (limits.MAX_DEPTH - 1))
    parse_expression("[" + ",".join(["1"] * limits.MAX_LIST_ITEMS) + "]")
    parse_expression("0." + "1" * (MAX_NUMBER_CHARS - 2) + " > 1")


def test_a_tree_too_deep_built_without_the_parser_is_reported_by_the_checker():
    expr: n.Expr = n.Path(("use_case", "flag"))
    for _ in range(limits.MAX_DEPTH):
        expr = n.Unary("not", expr)
    checker = Checker(SCHEMA)
    checker.check_condition(expr)
    assert [d.code for d in checker.diagnostics] == ["dsl-limit"]
