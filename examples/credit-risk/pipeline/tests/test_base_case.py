"""Base case: a fixed set of applicants gives the recorded outputs; discrimination is sound.

A base case catches unintended changes (a library upgrade, a preprocessing edit) that
aggregate metrics can hide; the AUC bounds catch both a useless and a suspiciously perfect
model (near-perfect scores on credit data usually mean leakage).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from pipeline import train
from pipeline.tests.conftest import assert_probabilities

#: Scores may move by float noise across platforms, not more.
SCORE_TOLERANCE = 1e-4
AUC_FLOOR = 0.70
AUC_CEILING = 0.97


def test_base_case_scores_match_recorded(model, base_case, base_case_expected):
    scores = train.score(model, base_case)
    assert_probabilities(scores, len(base_case))
    assert base_case["applicant_id"].tolist() == base_case_expected["applicant_ids"]
    np.testing.assert_allclose(scores, base_case_expected["scores"], atol=SCORE_TOLERANCE)


def test_base_case_decisions_match_recorded(model, base_case, base_case_expected):
    decisions = (train.score(model, base_case) >= train.DECISION_THRESHOLD).astype(int)
    assert decisions.tolist() == base_case_expected["decisions"]


def test_scoring_is_deterministic(model, base_case):
    first = train.score(model, base_case)
    second = train.score(model, base_case.iloc[::-1])[::-1]
    np.testing.assert_array_equal(first, second)


def test_test_auc_above_floor(model, data):
    frame, split = data
    rows = frame[split == "test"]
    auc = roc_auc_score(train.target(rows), train.score(model, rows))
    assert auc >= AUC_FLOOR, f"test AUC {auc:.4f} below the floor {AUC_FLOOR}"


def test_test_auc_not_suspiciously_perfect(model, data):
    frame, split = data
    rows = frame[split == "test"]
    auc = roc_auc_score(train.target(rows), train.score(model, rows))
    assert auc <= AUC_CEILING, f"test AUC {auc:.4f} above {AUC_CEILING}: look for leakage"
