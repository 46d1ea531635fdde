"""Data-quality findings: schema, missing rates, training-domain ranges, unseen categories, duplicates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from govern.stats.quality import data_quality
from govern.stats.values import simple_type


@pytest.fixture
def train() -> pd.DataFrame:
    return pd.DataFrame({"age": [20, 30, 40, 50], "income": [1.0, 2.0, 3.0, 4.0], "city": ["a", "b", "a", "c"],
                         "ok": [True, False, True, True]})


def test_simple_types():
    df = pd.DataFrame({"i": [1, 2], "f": [1.5, 2.0], "s": ["x", "y"], "b": [True, False],
                       "d": pd.to_datetime(["2024-01-01", "2024-01-02"]), "c": pd.Categorical(["x", "y"])})
    assert {c: simple_type(df[c]) for c in df} == {"i": "integer", "f": "number", "s": "string", "b": "bool",
                                                    "d": "datetime", "c": "category"}


def test_schema_missing_extra_and_mismatched_columns(train):
    df = train.assign(extra=1).drop(columns=["ok"])
    report = data_quality(df, schema={"age": "integer", "income": "integer", "city": "category", "ok": "bool"},
                          max_missing=None)
    assert report.schema.missing_columns == ("ok",)
    assert report.schema.extra_columns == ("extra",)
    # income is 1.0, 2.0, ...: whole numbers read as floats count as integers (CSV with gaps)
    assert report.schema.type_mismatches == ()
    bad = data_quality(df.assign(income=[1.5, 2, 3, 4]), schema={"income": "integer"}, max_missing=None)
    assert [(m.column, m.expected, m.actual) for m in bad.schema.type_mismatches] == [("income", "integer", "number")]
    with pytest.raises(ValueError):
        data_quality(df, schema={"age": "int64"}, max_missing=None)


def test_missing_rates_against_global_and_per_column_limits():
    df = pd.DataFrame({"a": [1, None, None, 4], "b": [1, 2, 3, None], "c": [None] * 4})
    report = data_quality(df, schema=None, max_missing=0.3)
    assert [(c.name, c.missing_rate, c.missing_exceeded) for c in report.columns] == [
        ("a", 0.5, True), ("b", 0.25, False), ("c", 1.0, True)]
    per_column = data_quality(df, schema=None, max_missing={"a": 0.6})
    assert [c.missing_exceeded for c in per_column.columns] == [False, False, False]
    json.dumps(report.to_dict(), allow_nan=False)


def test_ranges_from_training_domain_and_explicit(train):
    prod = pd.DataFrame({"age": [19, 25, 60, np.nan], "income": [2.0, 1e300, -1e300, 3.0], "city": ["a", "z", "z", None],
                         "ok": [True, True, False, True]})
    report = data_quality(prod, schema=None, max_missing=None, reference_df=train, ranges={"income": (0, None)})
    age, income, city = report.column("age"), report.column("income"), report.column("city")
    assert (age.range_low, age.range_high, age.range_source, age.n_out_of_range) == (20, 50, "reference", 2)
    assert age.share_out_of_range == 0.5
    assert (income.range_low, income.range_high, income.range_source, income.n_out_of_range) == (0, None, "explicit", 1)
    assert city.n_unseen_categories == 2 and city.unseen_categories == ("z",)
    assert any("outside [0, …]" in issue for issue in report.issues)
    json.dumps(report.to_dict(), allow_nan=False)


def test_duplicates_and_empty_frame():
    df = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "x", "y"]})
    report = data_quality(df, schema=None, max_missing=None)
    assert report.n_duplicate_rows == 1 and report.share_duplicate_rows == pytest.approx(1 / 3)
    empty = data_quality(df.iloc[:0], schema=None, max_missing=0.1)
    assert empty.n_rows == 0 and empty.columns[0].missing_rate is None and empty.n_duplicate_rows == 0
    json.dumps(empty.to_dict(), allow_nan=False)
