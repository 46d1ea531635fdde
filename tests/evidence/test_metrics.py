"""Metrics JSON: dotted lookup, slices, and every way a number can be bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from govern.errors import InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.metrics import MISSING, load_metrics, lookup, lookup_number, number_sample, split_path


def load(tmp_path: Path, text: str, name: str = "metrics.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_metrics(path)


def diag(exc: pytest.ExceptionInfo) -> tuple[str, int, int]:
    d = exc.value.diagnostics[0]
    return d.code, d.span.line, d.span.column


def test_lookup_and_slices(fixture_bundle: Path) -> None:
    m = load_metrics(fixture_bundle / "metrics.json")
    assert lookup(m, "test.auc") == 0.81
    assert m.number("oot.auc") == 0.78
    assert lookup(m, "test.missing") is MISSING and lookup(m, "nope.x.y") is MISSING
    assert lookup(m, 'slices."age<25".auc') == 0.74 and m.slices() == ["age<25", "age>=25"]
    assert lookup(m, "latency_ms.sample.1") == 13.1
    assert number_sample(m, "latency_ms.sample") == [12.5, 13.1, 11.9, 15.2]
    assert lookup(m, ("slices", "age>=25", "auc")) == 0.82
    assert not MISSING and repr(MISSING) == "MISSING"


def test_split_path_quotes_keys_with_dots() -> None:
    assert split_path('a."precision@0.5".b') == ("a", "precision@0.5", "b")
    assert split_path("a.b") == ("a", "b")
    with pytest.raises(ValueError):
        split_path('a."b"c')


@pytest.mark.parametrize("text,where", [
    ('{"test": {"auc": NaN}}', (1, 18)),
    ('{\n  "test": {\n    "auc": Infinity\n  }\n}', (3, 12)),
    ('{"test": {"auc": -Infinity}}', (1, 18)),
    ('{"a": [1, 2, 1e999]}', (1, 14)),
])
def test_non_finite_numbers_are_rejected_with_position(tmp_path: Path, text: str, where: tuple[int, int]) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, text)
    assert diag(exc) == ("json-non-finite", *where)


def test_non_number_where_a_number_is_expected(tmp_path: Path) -> None:
    m = load(tmp_path, '{\n  "test": {"auc": "0.81", "ok": true, "n": null}\n}')
    for key, col in (("auc", 19), ("ok", 33), ("n", 44)):
        with pytest.raises(InputError) as exc:
            lookup_number(m, f"test.{key}")
        assert diag(exc) == ("metrics-not-a-number", 2, col)
    assert lookup_number(m, "test.absent") is MISSING
    with pytest.raises(InputError) as exc:
        number_sample(m, "test")
    assert diag(exc)[0] == "metrics-not-a-sample"


@pytest.mark.parametrize("text,code,line,col", [
    ('{"test": {"auc": 0.8,}}', "json-syntax", 1, 22),
    ('{"a": 1,\n "a": 2}', "json-duplicate-key", 2, 2),
    ("[1, 2]", "metrics-not-object", 1, 1),
    ('{"slices": {"young": 0.7}}', "metrics-bad-slices", 1, 22),
    ("   \n", "evidence-empty", 0, 0),
    ("", "evidence-empty", 0, 0),
])
def test_malformed_metrics(tmp_path: Path, text: str, code: str, line: int, col: int) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, text)
    assert diag(exc) == (code, line, col)


def test_huge_and_deep_and_binary_metrics(tmp_path: Path, small_limit: int) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, '{"a": ' + "1" * 100 + "}")
    assert diag(exc)[0] == "evidence-too-large"
    with pytest.raises(InputError) as exc:
        load_json_text("[" * 100 + "]" * 100, "deep.json")
    assert diag(exc)[0] == "json-too-deep"
    with pytest.raises(InputError) as exc:
        load_json_text("[" * 100_000 + "]" * 100_000, "deeper.json")
    assert diag(exc)[0] == "json-too-deep"
    (tmp_path / "bin.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError) as exc:
        load_metrics(tmp_path / "bin.json")
    assert diag(exc)[0] == "not-utf8"


def test_giant_integer_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, '{"a": ' + "9" * 5000 + "}")
    assert diag(exc)[0] == "json-non-finite"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(_json, st.sampled_from([None, 1, 2]))
def test_positions_recorded_for_every_value(value: object, indent: int | None) -> None:
    """Property: the indexer agrees with json on any valid document, so every value has a position."""
    import json

    doc = load_json_text(json.dumps(value, indent=indent), "p.json")
    assert doc.data == value

    def walk(v: object, loc: tuple) -> None:
        assert loc in doc.positions
        if isinstance(v, dict):
            for k, child in v.items():
                walk(child, loc + (k,))
        elif isinstance(v, list):
            for i, child in enumerate(v):
                walk(child, loc + (i,))

    walk(value, ())


@pytest.mark.parametrize("text,where,fragment", [
    ('{"test": {"auc": 1e35}}', (1, 18), "`test.auc` is 1e+35, outside [0, 1]"),
    ('{\n  "oot": {\n    "accuracy": 85.3\n  }\n}', (3, 17), "`oot.accuracy` is 85.3, outside [0, 1]"),
    ('{"slices": {"age 18.25": {"selection_rate": -0.1}}}', (1, 45), '`slices."age 18.25".selection_rate` is -0.1'),
    ('{"test": {"gini": -1.5}}', (1, 19), "outside [-1, 1]"),
    ('{"test": {"log_loss": -0.2}}', (1, 23), "outside [0, ∞]"),
    ('{"folds": {"AUC": [0.8, 1.2]}}', (1, 25), "`folds.AUC.1` is 1.2"),
])
def test_metric_outside_its_defined_range_is_an_error(tmp_path: Path, text: str, where: tuple[int, int],
                                                      fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, text)
    assert diag(exc) == ("metrics-out-of-range", *where)
    assert fragment in exc.value.diagnostics[0].message


def test_percentages_get_a_hint_and_every_bad_value_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, '{"test": {"accuracy": 85.3, "recall": 2, "auc": 0.8}}')
    assert [d.code for d in exc.value.diagnostics] == ["metrics-out-of-range"] * 2
    assert "0.853, not 85.3" in exc.value.diagnostics[0].hint


def test_values_at_the_ends_of_their_ranges_and_unbound_names_load(tmp_path: Path) -> None:
    m = load(tmp_path, '{"test": {"auc": 1, "fpr": 0, "gini": -1, "r2": -3.5, "delta_auc": -0.04, '
                       '"mape": 1.7, "n": 1200, "latency_ms": 250}}')
    assert m.number("test.auc") == 1 and m.number("test.delta_auc") == -0.04 and m.number("test.mape") == 1.7
