"""Engines under test: one Spark session for the whole test session, data written as files, a strict comparison."""

from __future__ import annotations

import glob
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GERMAN_CREDIT = Path("/work/shared/data/german_credit.csv")
if not GERMAN_CREDIT.exists():  # the copy in the repository (same file)
    GERMAN_CREDIT = Path(__file__).resolve().parents[3] / "examples" / "credit-risk" / "data" / "german_credit.csv"


def assert_same(expected: object, actual: object, path: str = "result") -> None:
    """Counts, labels and verdicts identical; floats within 1e-9 relative (or 1e-300 absolute, for p-values)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(expected) == list(actual), f"{path}: keys differ"
        for key in expected:
            assert_same(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(expected) == len(actual), f"{path}: lengths differ"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{path}[{i}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, float), f"{path}: {actual!r} is not a float like {expected!r}"
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-300), f"{path}: {expected!r} != {actual!r}"
    else:
        assert type(expected) is type(actual) and expected == actual, f"{path}: {expected!r} != {actual!r}"


@pytest.fixture(scope="session")
def spark():
    """``local[2]`` on the loopback interface, started once: a Spark session costs seconds."""
    if not os.environ.get("JAVA_HOME"):
        found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*"))
        if found:
            os.environ["JAVA_HOME"] = found[0]
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("govern-tests")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def german_credit() -> pd.DataFrame:
    return pd.read_csv(GERMAN_CREDIT)


def synthetic(seed: int, n: int, shift: float) -> pd.DataFrame:
    """NaNs, heavy ties, many categories, integer codes, booleans, timestamps and a sparse segment."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "normal": rng.normal(shift, 1, n),
        "ties": rng.integers(0, 4, n).astype(float),  # four values: every ECDF step is a run of ties
        "zeros": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(1 + shift, n)),  # PSI edges coincide
        "code": rng.integers(1, 6, n),  # integer codes (read as floats on the other side)
        "many": rng.choice([f"c{i:03d}" for i in range(300)], n),
        "flag": rng.random(n) < 0.3 + shift / 4,
        "when": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        "segment": rng.choice(["retail", "corporate", "public"], n, p=[0.6, 0.39, 0.01]),
    })
    frame.loc[rng.random(n) < 0.05, "normal"] = np.nan
    return frame


@pytest.fixture(scope="session")
def synthetic_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    reference, current = synthetic(1, 2500, 0.0), synthetic(2, 2000, 0.4)
    current["code"] = current["code"].astype(float)
    current.loc[::9, "code"] = np.nan  # one blank cell turns a CSV column of codes into floats
    current = current[current["segment"] != "public"]  # a segment seen only in the reference
    return reference, current.reset_index(drop=True)


@pytest.fixture(scope="session")
def same():
    return assert_same


@pytest.fixture(scope="session")
def synthetic_frame():
    return synthetic
