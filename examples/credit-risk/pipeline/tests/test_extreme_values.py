"""Extreme values: far outside the training domain, scores stay probabilities and sane.

Typing errors (an amount with three extra zeros, an age of 0) and unseen category labels
happen in production; the model must not return NaN or values outside [0, 1], and the
direction of well-understood risk drivers must hold at the extremes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import train
from pipeline.tests.conftest import assert_probabilities

#: Per numeric feature: absurdly low and absurdly high values (training max x 100).
EXTREMES: dict[str, tuple[float, float]] = {
    "duration_in_month": (0, 7200),
    "credit_amount": (0, 1_842_400),
    "installment_rate_in_percentage_of_disposable_income": (0, 400),
    "present_residence_since": (0, 400),
    "age_in_years": (0, 7500),
    "number_of_existing_credits_at_this_bank": (0, 400),
    "number_of_people_being_liable_to_provide_maintenance_for": (0, 200),
}


@pytest.mark.parametrize("feature", sorted(EXTREMES))
def test_extreme_numeric_value_gives_probability(model, base_case, feature):
    low, high = EXTREMES[feature]
    rows = pd.concat([base_case.assign(**{feature: low}), base_case.assign(**{feature: high})])
    assert_probabilities(train.score(model, rows), len(rows))


def test_every_numeric_feature_extreme_at_once(model, base_case):
    rows = base_case.assign(**{f: high for f, (_, high) in EXTREMES.items()})
    assert_probabilities(train.score(model, rows), len(rows))


def test_unseen_category_labels_give_probability(model, base_case):
    rows = base_case.assign(**{c: "a label never seen in training" for c in train.CATEGORICAL_FEATURES})
    assert_probabilities(train.score(model, rows), len(rows))


def test_longer_duration_does_not_raise_mean_score(model, base_case):
    """Longer loans are riskier: on average P(good) must not rise from 6 to 72 months."""
    short = train.score(model, base_case.assign(duration_in_month=6)).mean()
    long = train.score(model, base_case.assign(duration_in_month=72)).mean()
    assert long <= short, f"mean P(good) rises with duration: {short:.4f} -> {long:.4f}"


def test_overdrawn_account_does_not_raise_mean_score(model, base_case):
    """An overdrawn current account (< 0 DM) must not score better than no account at all."""
    overdrawn = train.score(model, base_case.assign(status_of_existing_checking_account="... < 0 DM"))
    no_account = train.score(
        model, base_case.assign(status_of_existing_checking_account="no checking account")
    )
    assert overdrawn.mean() <= no_account.mean()
    assert np.all(np.isfinite(overdrawn))
