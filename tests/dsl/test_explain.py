"""The explaining closures: same value as the fast path, same reasons as the tree-walking specification."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.dsl.compiler import Compiler
from govern.dsl.explain import Explainer, Named, explain_reference, normalise, run
from govern.dsl.parser import parse_expression, parse_rules
from govern.dsl.printer import to_text
from govern.dsl.values import UNDETERMINED, EvalError

from tests.dsl.strategies import DEFINITIONS, environments, expressions


def _attempt(fn):
    try:
        return ("value", fn())
    except EvalError:
        return ("error", None)


@settings(max_examples=1_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, env=environments(), fold=st.booleans())
def test_explained_path_agrees_with_fast_path_and_specification(expr, env, fold):
    compiler = Compiler(DEFINITIONS, {"params": env["params"]} if fold else None)
    fast = compiler.compile(expr)
    explained = Explainer(compiler, DEFINITIONS).compile(expr)
    kind, value = _attempt(lambda: fast(env))
    got = _attempt(lambda: run(explained, env))
    expected = _attempt(lambda: explain_reference(expr, env, DEFINITIONS))
    assert got[0] == kind == expected[0], to_text(expr)
    if kind == "error":
        return
    (explained_value, reasons), (reference_value, reference_reasons) = got[1], expected[1]
    assert explained_value is value or explained_value == value and type(explained_value) is type(value)
    assert normalise(reasons) == reference_reasons, to_text(expr)
    assert reference_value is explained_value or reference_value == explained_value


from govern.dsl import nodes as n  # noqa: E402

#: Conditions as rules write them: fields and comparisons joined by and/or/not, through definitions
#: -- where the generic generator above mostly produces type errors, these always evaluate.
_FIELDS = ["a", "b", "c", "d"]
_CONDITION_DEFINITIONS = {
    "both": n.Binary("and", n.Path(("use_case", "a")), n.Path(("use_case", "b"))),
    "either": n.Binary("or", n.Path(("use_case", "c")), n.Unary("not", n.Path(("use_case", "d")))),
    "above": n.Binary(">=", n.Path(("use_case", "score")), n.Literal(5)),
}
_atoms = st.one_of(
    st.sampled_from(_FIELDS).map(lambda f: n.Path(("use_case", f))),
    st.sampled_from(sorted(_CONDITION_DEFINITIONS)).map(lambda d: n.Path((d,))),
    st.integers(0, 9).map(lambda k: n.Binary(">=", n.Path(("use_case", "score")), n.Literal(k))),
    st.booleans().map(n.Literal),
)
conditions = st.recursive(_atoms, lambda inner: st.one_of(
    st.builds(n.Binary, st.sampled_from(["and", "or"]), inner, inner),
    st.builds(n.Unary, st.just("not"), inner)), max_leaves=10)


@st.composite
def condition_environments(draw):
    answers = {f: draw(st.sampled_from([True, False, None])) for f in _FIELDS}
    answers["score"] = draw(st.sampled_from([None, 0, 4, 5, 9]))
    return {"use_case": {k: v for k, v in answers.items() if v is not None}, "params": {},
            "__as_of__": dt.date(2026, 1, 1)}


@settings(max_examples=2_000, deadline=None)
@given(expr=conditions, env=condition_environments())
def test_explained_conditions_agree_with_the_specification(expr, env):
    compiler = Compiler(_CONDITION_DEFINITIONS)
    value, reasons = run(Explainer(compiler, _CONDITION_DEFINITIONS).compile(expr), env)
    reference_value, reference_reasons = explain_reference(expr, env, _CONDITION_DEFINITIONS)
    assert value is compiler.compile(expr)(env) is reference_value
    assert normalise(reasons) == reference_reasons, to_text(expr)
    # sound: every reason has the value that, by itself, gives the result it explains
    if value is not UNDETERMINED:
        assert reasons, to_text(expr)


ENV = {"use_case": {"a": True, "b": False, "score": 7}, "params": {}, "__as_of__": dt.date(2026, 1, 1)}


def _why(text: str, env=ENV, definitions=None):
    definitions = definitions or {}
    compiler = Compiler(definitions)
    value, reasons = run(Explainer(compiler, definitions, {"exc": "Art. 6(3)"}).compile(parse_expression(text)), env)
    return value, [(to_text(r[0].node) if not isinstance(r[0], Named) else r[0].name, r[1]) for r in reasons]


def test_a_false_conjunction_is_explained_by_its_false_conjunct_only():
    assert _why("use_case.a and use_case.b and use_case.score > 5") == (False, [("use_case.b", False)])
    assert _why("use_case.b and use_case.a") == (False, [("use_case.b", False)])


def test_a_false_disjunction_is_explained_by_every_disjunct():
    assert _why("use_case.b or use_case.score > 9") == (False, [("use_case.b", False), ("use_case.score > 9", False)])


def test_undetermined_is_explained_by_the_missing_side_only():
    assert _why("use_case.a and use_case.missing") == (UNDETERMINED, [("use_case.missing", UNDETERMINED)])
    assert _why("use_case.b or use_case.missing") == (UNDETERMINED, [("use_case.missing", UNDETERMINED)])
    assert _why("use_case.b and use_case.missing") == (False, [("use_case.b", False)])


def test_not_of_a_field_is_one_condition_and_not_of_a_conjunction_keeps_its_reasons():
    assert _why("not use_case.b") == (True, [("not use_case.b", True)])
    assert _why("not (use_case.a and use_case.b)") == (True, [("use_case.b", False)])


def test_a_definition_used_as_a_condition_is_named_with_its_citation():
    rules = parse_rules('let exc = use_case.a and not use_case.b because "Art. 6(3)"\n')
    (definition,) = rules.definitions
    assert definition.citation == "Art. 6(3)"
    compiler = Compiler({"exc": definition.expr})
    fn = Explainer(compiler, {"exc": definition.expr}, {"exc": definition.citation}).compile(
        parse_expression("use_case.score > 100 or exc"))
    value, reasons = run(fn, ENV)
    assert value is True
    ((named, named_value, inner),) = reasons
    assert isinstance(named, Named) and named.name == "exc" and named.citation == "Art. 6(3)" and named_value
    assert [to_text(r[0].node) for r in inner] == ["use_case.a", "not use_case.b"]
