"""Fixtures of the model's validation tests.

The suites test *a saved model*: ``build_evidence.py`` sets ``CREDIT_RISK_MODEL`` (a .skops
file) and ``CREDIT_RISK_MODEL_KEY`` (``name==version``) before running pytest, so the JUnit
file in a bundle describes exactly the model file next to it. Run by hand without those
variables, the suites train the release candidate in-process and test that.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipeline import train

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def data() -> tuple[pd.DataFrame, pd.Series]:
    """The anonymised applicants and their train/test/oot labels."""
    frame = train.anonymise(train.load_raw())
    return frame, train.assign_split(frame)


@pytest.fixture(scope="session")
def model_key() -> str:
    """Which model is under test, as ``name==version``."""
    return os.environ.get(
        "CREDIT_RISK_MODEL_KEY", f"{train.MODEL_NAME}=={train.RELEASE_VERSION}"
    )


@pytest.fixture(scope="session")
def model(data: tuple[pd.DataFrame, pd.Series]) -> Pipeline:
    """The saved model named by ``CREDIT_RISK_MODEL``, else the release candidate."""
    path = os.environ.get("CREDIT_RISK_MODEL")
    if path:
        return train.load_model(Path(path))
    frame, split = data
    return train.release_candidate(frame, split).pipeline


@pytest.fixture(scope="session")
def base_case() -> pd.DataFrame:
    """The fixed base case: 20 applicants recorded once in fixtures/base_case.csv."""
    return pd.read_csv(
        FIXTURES / "base_case.csv", dtype={c: object for c in train.CATEGORICAL_FEATURES}
    )


@pytest.fixture(scope="session")
def base_case_expected(model_key: str) -> dict[str, list]:
    """Recorded outputs of the model under test on the base case."""
    expected = json.loads((FIXTURES / "base_case_expected.json").read_text())
    if model_key not in expected:
        pytest.fail(f"no base-case expectations recorded for {model_key}")
    return expected[model_key]


def assert_probabilities(scores: np.ndarray, rows: int) -> None:
    """Scores are one finite probability per row."""
    assert scores.shape == (rows,)
    assert np.all(np.isfinite(scores)), "non-finite scores"
    assert np.all((scores >= 0.0) & (scores <= 1.0)), "scores outside [0, 1]"
