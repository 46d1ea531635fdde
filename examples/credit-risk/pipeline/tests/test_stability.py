"""Stability: a small change of the inputs gives a small change of the score.

A credit decision that flips because the amount moved by 1 % or the applicant had a
birthday is hard to defend to the applicant or a regulator. Bounds: at most 0.05 on any
row and 0.01 on average, for each perturbation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import train

MAX_ABS_CHANGE = 0.05
MEAN_ABS_CHANGE = 0.01

PERTURBATIONS = {
    "credit_amount_plus_1pct": lambda rows: rows.assign(credit_amount=rows["credit_amount"] * 1.01),
    "credit_amount_minus_1pct": lambda rows: rows.assign(credit_amount=rows["credit_amount"] * 0.99),
    "age_plus_1_year": lambda rows: rows.assign(age_in_years=rows["age_in_years"] + 1),
    "duration_plus_1_month": lambda rows: rows.assign(duration_in_month=rows["duration_in_month"] + 1),
}


@pytest.fixture(scope="module")
def rows(data) -> pd.DataFrame:
    """The 200 test applicants: more rows than the base case, so the mean bound means something."""
    frame, split = data
    return frame[split == "test"]


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_small_perturbation_small_change(model, rows, name):
    before = train.score(model, rows)
    after = train.score(model, PERTURBATIONS[name](rows))
    change = np.abs(after - before)
    assert change.max() <= MAX_ABS_CHANGE, f"{name}: max change {change.max():.4f}"
    assert change.mean() <= MEAN_ABS_CHANGE, f"{name}: mean change {change.mean():.4f}"
