"""Hostile YAML scalars and shapes: a positioned error (exit 2), never a crash or a silent infinity.

Before: `2026-13-45` and a 5,000-digit integer were exit 3 (PyYAML raises ValueError while
constructing them), `1.0e+999999` loaded as infinity, `1:1:1:...` took quadratic time to
construct, and 500 nested lists overflowed the stack.
"""

from __future__ import annotations

import time

import pytest

from govern.errors import InputError
from govern.load.safe_yaml import MAX_DEPTH, load_yaml_text
from govern.load.use_case import coerce_fact
from govern.policy.model import FactDef

from tests.dsl.hostile import CREDIT, govern, mini_pack


@pytest.mark.parametrize("value, code, fragment", [
    ("2026-13-45", "yaml-bad-date", "`2026-13-45` is not a valid date (month must be in 1..12)"),
    ("2026-02-30", "yaml-bad-date", "day is out of range for month"),
    ("1" * 5000, "yaml-bad-number", "has 5,000 characters; the limit is 400"),
    ("0x" + "f" * 5000, "yaml-bad-number", "has 5,002 characters"),
    ("0x" + "f" * 300, "yaml-bad-number", "is out of range (beyond ±1.8e308)"),
    ("1" + ":1" * 200_000, "yaml-bad-number", "has 400,001 characters"),  # sexagesimal: quadratic to build
    ("1.0e+999999", "yaml-bad-number", "`1.0e+999999` is out of range (infinite)"),
    ("-1" + "0" * 350 + ".5", "yaml-bad-number", "is out of range (infinite)"),
    (".inf", "yaml-bad-number", "is out of range (infinite)"),
    ("-.Inf", "yaml-bad-number", "is out of range (infinite)"),
    (".nan", "yaml-bad-number", "is not a number (NaN)"),
    ("!!bool maybe", "yaml-bad-scalar", "`maybe` is not a valid bool"),
    ("!!timestamp soon", "yaml-bad-date", "`soon` is not a valid date"),
    ("!!int abc", "yaml-bad-scalar", "`abc` is not a valid int"),
])
def test_bad_scalars_are_errors_at_their_position(value, code, fragment):
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_yaml_text(f"a: 1\nb:\n  c: {value}\n", "f.yaml")
    assert time.perf_counter() - started < 1
    diag = caught.value.diagnostics[0]
    assert (diag.code, diag.span.line, diag.span.column) == (code, 3, 6)
    assert fragment in diag.message
    assert len(diag.render()) < 600  # the value is named, not copied


@pytest.mark.parametrize("value, expected", [
    ("2026-02-28", "date"), ("1_000", 1000), ("0x1f", 31), ("1.0e+300", 1e300), ("1e999999", "1e999999"),
    ("'2026-13-45'", "2026-13-45"), ("190:20:30", 685230),
])
def test_good_scalars_still_load(value, expected):
    data = load_yaml_text(f"a: {value}\n").data["a"]
    assert (type(data).__name__ == "date") if expected == "date" else data == expected


def test_keys_that_look_like_bad_dates_or_numbers_keep_their_text():
    data = load_yaml_text("2026-13-45: a\n" + "9" * 500 + ": b\n.nan: c\n").data
    assert data == {"2026-13-45": "a", "9" * 500: "b", ".nan": "c"}


def test_deep_nesting_is_an_error_not_a_recursion_error():
    deep = "[" * 500 + "]" * 500
    with pytest.raises(InputError) as caught:
        load_yaml_text(f"a:\n  b: {deep}\n", "f.yaml")
    diag = caught.value.diagnostics[0]
    assert diag.code == "yaml-too-deep" and diag.span.line == 2
    load_yaml_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")  # at the limit: fine


@pytest.mark.parametrize("old, new, column, code", [
    ("general_application: 2026-08-02", "general_application: 2026-13-45", 24, "yaml-bad-date"),
    ("min_auc: 0.75", "min_auc: " + "7" * 5000, 12, "yaml-bad-number"),
    ("min_auc: 0.75", "min_auc: 1.0e+999999", 12, "yaml-bad-number"),
    ("min_auc: 0.75", "min_auc: .nan", 12, "yaml-bad-number"),
])
def test_validate_reports_bad_pack_scalars_at_their_position(tmp_path, old, new, column, code):
    pack = mini_pack(tmp_path, edits={"policy.yaml": (old, new)})
    text = (pack / "policy.yaml").read_text()
    line = text[: text.index(new)].count("\n") + 1
    run = govern("validate", "mini", cwd=tmp_path)
    assert run.returncode == 2 and "internal error" not in run.stderr, run.stderr
    assert f"mini/policy.yaml:{line}:{column}: error[{code}]" in run.stderr


@pytest.mark.parametrize("old, new, column, code, fragment", [
    ("launch_date: 2026-09-01", "launch_date: 2026-13-45", 16, "yaml-bad-date", "not a valid date"),
    ("owner: retail-lending", "owner: 2026-13-45", 8, "yaml-bad-date", "quote the value if it is text"),
    ("impact_eur: 25000", "impact_eur: " + "2" * 5000, 15, "yaml-bad-number", "the limit is 400"),
    ("impact_eur: 25000", "impact_eur: 1.0e+999999", 15, "yaml-bad-number", "out of range (infinite)"),
    ("impact_eur: 25000", "impact_eur: 1e999999", 15, "invalid-fact", "that is not a finite number either"),
    ("impact_eur: 25000", "impact_eur: 1e6", 15, "invalid-fact", "write `1.0e+6`, not `1e6`"),
])
def test_classify_reports_bad_descriptor_scalars_at_their_position(tmp_path, old, new, column, code,
                                                                   fragment):
    text = CREDIT.read_text()
    line = text[: text.index(old)].count("\n") + 1
    (tmp_path / "uc.yaml").write_text(text.replace(old, new))
    run = govern("classify", "uc.yaml", "--policy", str(CREDIT.parents[1]), cwd=tmp_path)
    assert run.returncode == 2 and "internal error" not in run.stderr, run.stderr
    assert f"uc.yaml:{line}:{column}: error[{code}]" in run.stderr and fragment in run.stderr


def test_a_long_set_answer_is_checked_in_linear_time():
    fact = FactDef(type="set", question="q", values=["a", "b", "c"])
    answer = ["a", "b", "c"] * 20_000  # was value.count(v) for every v: 3.6e9 comparisons
    started = time.perf_counter()
    ok, _, problem, _ = coerce_fact(fact, answer)
    assert time.perf_counter() - started < 1
    assert not ok and problem == "lists a, b, c more than once"


def test_a_fact_with_many_allowed_values_is_checked_in_linear_time():
    values = [f"v{i}" for i in range(30_000)]  # was values.count(v) for every v: 9e8 comparisons
    started = time.perf_counter()
    FactDef(type="enum", question="q", values=values)
    assert time.perf_counter() - started < 1
    with pytest.raises(ValueError, match="duplicate allowed values: v1, v2"):
        FactDef(type="enum", question="q", values=values + ["v2", "v1"])


def test_loading_documents_retains_no_nodes():
    from govern.load import safe_yaml

    before = len(safe_yaml._SCALAR_LOADER.constructed_objects)
    for _ in range(3):
        load_yaml_text("a: 1\nb: [x, 2.5, 2026-01-01, true, null]\n")
    assert len(safe_yaml._SCALAR_LOADER.constructed_objects) == before  # was +6 nodes per load, forever
