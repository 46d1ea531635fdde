"""The domain classifier separates drifted samples, names the culprit, and is deterministic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from govern.stats.domain_classifier import domain_classifier_drift


def frames(rng: np.random.Generator, n: int, *, corr_shift: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    def make(rho: float) -> pd.DataFrame:
        a = rng.normal(size=n)
        b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
        return pd.DataFrame({"a": a, "b": b, "noise": rng.normal(size=n), "cat": rng.choice(["x", "y"], n)})

    return make(0.0), make(0.9 if corr_shift else 0.0)


def test_joint_drift_invisible_to_marginals_is_caught(rng):
    ref, cur = frames(rng, 3000, corr_shift=True)  # marginals of a and b unchanged; their correlation moved
    result = domain_classifier_drift(ref, cur, max_rows=4000, folds=3)
    assert result.auc is not None and result.auc > 0.7
    assert {name for name, _ in result.top_features[:2]} == {"a", "b"}
    assert result.n_used == 4000 and result.n_reference_used == result.n_current_used == 2000
    json.dumps(result.to_dict(), allow_nan=False)


def test_no_drift_gives_auc_near_half(rng):
    ref, cur = frames(rng, 2000, corr_shift=False)
    result = domain_classifier_drift(ref, cur, max_rows=3000, folds=3)
    assert 0.4 < result.auc < 0.6


def test_deterministic_for_a_seed(rng):
    ref, cur = frames(rng, 1500, corr_shift=True)
    first = domain_classifier_drift(ref, cur, max_rows=2000, folds=3, seed=7).to_dict()
    assert domain_classifier_drift(ref, cur, max_rows=2000, folds=3, seed=7).to_dict() == first


def test_too_few_rows_and_no_shared_columns():
    tiny = pd.DataFrame({"a": [1.0, 2.0]})
    result = domain_classifier_drift(tiny, tiny, folds=5)
    assert result.auc is None and "at least 5 rows" in (result.reason or "")
    assert domain_classifier_drift(tiny, pd.DataFrame({"b": [1.0]})).reason == "no column is present in both tables"


def test_unbalanced_sides_use_what_exists(rng):
    ref = pd.DataFrame({"a": rng.normal(size=300), "c": rng.choice(["u", "v", None], 300)})
    cur = pd.DataFrame({"a": rng.normal(2, 1, 5000), "c": rng.choice(["u", "v"], 5000)})
    result = domain_classifier_drift(ref, cur, max_rows=2000, folds=3)
    assert result.n_reference_used == 300 and result.n_current_used == 1700
    assert result.auc > 0.8 and result.top_features[0][0] == "a"
