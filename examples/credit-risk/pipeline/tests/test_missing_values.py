"""Missing values: the pipeline must score rows with gaps instead of crashing.

Production application forms arrive incomplete; a model that raises on a missing field
turns a data-quality issue into an outage. Each case blanks fields of the base case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import train
from pipeline.tests.conftest import assert_probabilities


def _blank(rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Row i gets column i (cycling) set to missing: every column is blanked at least once."""
    out = rows.copy()
    for position, column in enumerate(columns * (len(out) // len(columns) + 1)):
        if position >= len(out):
            break
        out.iloc[position, out.columns.get_loc(column)] = np.nan
    return out


def test_missing_numeric_values_are_imputed(model, base_case):
    rows = pd.concat([base_case] * 2, ignore_index=True)
    blanked = _blank(rows, train.NUMERIC_FEATURES)
    assert_probabilities(train.score(model, blanked), len(blanked))


def test_missing_categorical_values_are_imputed(model, base_case):
    rows = pd.concat([base_case] * 2, ignore_index=True)
    blanked = _blank(rows, train.CATEGORICAL_FEATURES)
    assert_probabilities(train.score(model, blanked), len(blanked))


def test_row_with_every_feature_missing(model, base_case):
    empty = pd.DataFrame(
        {column: pd.Series([np.nan], dtype=float if column in train.NUMERIC_FEATURES else object)
         for column in train.FEATURES}
    )
    assert_probabilities(train.score(model, empty), 1)


def test_complete_rows_unaffected_by_missing_rows_in_batch(model, base_case):
    clean = train.score(model, base_case)
    batch = pd.concat([base_case, _blank(base_case, train.NUMERIC_FEATURES)], ignore_index=True)
    np.testing.assert_allclose(train.score(model, batch)[: len(base_case)], clean)
