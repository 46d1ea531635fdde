"""Shared seeded data for the statistics tests: small, deterministic tables with known structure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def _assert_json_safe(result: object) -> None:
    """A result's to_dict() must serialise as strict JSON (no NaN or Infinity)."""
    json.dumps(result.to_dict(), allow_nan=False)  # type: ignore[attr-defined]


@pytest.fixture
def json_safe():
    return _assert_json_safe


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def predictions(rng: np.random.Generator) -> pd.DataFrame:
    """A hiring-style table: two sensitive attributes, a label, a score and a thresholded prediction."""
    n = 4000
    race = rng.choice(["A", "B", "C", "D", "E"], n, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    sex = rng.choice(["F", "M"], n)
    age = rng.integers(18, 70, n).astype(float)
    y = rng.integers(0, 2, n)
    bias = np.where(race == "E", -0.15, 0.0) + np.where(sex == "F", -0.05, 0.0)
    score = np.clip(0.35 * y + 0.3 + bias + rng.normal(0, 0.2, n), 0, 1)
    return pd.DataFrame({"race": race, "sex": sex, "age": age, "y": y, "score": score,
                         "pred": (score >= 0.5).astype(int)})


@pytest.fixture
def drift_frames(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current tables: `shifted` and `cat_shifted` drift, the rest does not."""
    n = 3000

    def make(shift: float, probs: list[float]) -> pd.DataFrame:
        return pd.DataFrame({
            "stable": rng.normal(0, 1, n),
            "shifted": rng.normal(shift, 1, n),
            "ints": rng.integers(0, 10, n),
            "cat": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
            "cat_shifted": rng.choice(["a", "b", "c"], n, p=probs),
            "flag": rng.random(n) < 0.3,
            "segment": rng.choice(["retail", "corporate"], n),
        })

    return make(0.0, [0.5, 0.3, 0.2]), make(0.8, [0.2, 0.3, 0.5])
