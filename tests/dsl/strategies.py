"""Hypothesis strategies for rule-language ASTs and evaluation environments."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from govern.dsl import nodes as n
from govern.dsl import ops

NAMES = ["a", "b", "c", "flag", "score", "when_", "x1"]
PATHS = [("use_case", "a"), ("use_case", "b"), ("use_case", "flag"), ("use_case", "score"), ("params", "p"),
         ("metrics", "test", "auc"), ("metrics", "test", "n"), ("use_case", "tags"), ("use_case", "day")]
DEFINITIONS: dict[str, n.Expr] = {
    "high_domains": n.ListExpr((n.Literal("credit"), n.Literal("hr"))),
    "is_flagged": n.Binary("==", n.Path(("use_case", "flag")), n.Literal(True)),
}

strings = st.sampled_from(["credit", "hr", "", "a b", 'q"uote', "back\\slash", "line\nbreak"])
literals = st.one_of(
    st.integers(0, 1000),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    strings,
    st.booleans(),
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    st.integers(0, 800).map(lambda d: dt.timedelta(days=d)),
).map(n.Literal)
paths = st.sampled_from(PATHS + [(name,) for name in DEFINITIONS]).map(n.Path)
leaves = st.one_of(literals, paths)

BINARY_OPS = sorted(n.LOGICAL_OPS | n.COMPARISON_OPS | n.ARITHMETIC_OPS)
FUNCTION_ARITY = {name: (lo, hi or 3) for name, (_, lo, hi, _) in ops.FUNCTIONS.items()}


def _extend(children):
    unary = st.builds(n.Unary, st.sampled_from(["not", "-"]), children)
    binary = st.builds(n.Binary, st.sampled_from(BINARY_OPS), children, children)
    lists = st.lists(children, max_size=3).map(lambda items: n.ListExpr(tuple(items)))
    calls = st.sampled_from(sorted(FUNCTION_ARITY)).flatmap(
        lambda name: st.lists(children, min_size=FUNCTION_ARITY[name][0], max_size=FUNCTION_ARITY[name][1])
        .map(lambda args: n.Call(name, tuple(args))))
    return st.one_of(unary, binary, lists, calls)


expressions = st.recursive(leaves, _extend, max_leaves=12)

values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(-10, 10, allow_nan=False), strings,
    st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)),
    st.lists(st.one_of(strings, st.integers(0, 3), st.booleans()), max_size=3),
)


@st.composite
def environments(draw):
    use_case = {k: draw(values) for k in ["a", "b", "flag", "score", "tags", "day"] if draw(st.booleans())}
    env = {"use_case": use_case, "params": {"p": draw(values)}, "__as_of__": dt.date(2026, 1, 1)}
    if draw(st.booleans()):
        env["metrics"] = {"test": {"auc": draw(values), "n": draw(st.integers(0, 10))}}
    return env
