"""Integer category codes read as floats in one file (one blank cell) are the same categories.

pandas reads a CSV column of integers with a single blank as float64, so the codes of one
sample print as ``1.0`` while the other sample's print as ``1``. Compared as text, every code
"moves" to a new category: χ² in the hundreds, p ≈ 1e-190, a false "drifted". Every place
that compares categories must use one canonical label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from govern.stats.drift import categorical_drift, dataset_drift
from govern.stats.fairness import fairness_report
from govern.stats.frames import read_table
from govern.stats.performance import performance_by_group
from govern.stats.quality import data_quality
from govern.stats.values import category_codes, category_label, category_labels

REF_COUNTS = {1: 300, 2: 400, 3: 300}
CUR_COUNTS = {1: 290, 2: 380, 3: 329}


def _codes(counts: dict[int, int], rng: np.random.Generator) -> list[int]:
    values = [code for code, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


@pytest.fixture
def csv_pair(tmp_path, rng):
    """reference.csv with integer codes; current.csv with the same codes and one blank cell."""
    ref = _codes(REF_COUNTS, rng)
    cur = _codes(CUR_COUNTS, rng)
    reference = tmp_path / "reference.csv"
    current = tmp_path / "current.csv"
    reference.write_text("grade,region\n" + "".join(f"{g},{i % 2}\n" for i, g in enumerate(ref)))
    lines = [f"{g},{i % 2}\n" for i, g in enumerate(cur)]
    lines.insert(17, ",1\n")  # the one blank grade
    current.write_text("grade,region\n" + "".join(lines))
    return read_table(reference), read_table(current)


def _scipy_chi2() -> tuple[float, float]:
    table = np.array([[REF_COUNTS[k] for k in (1, 2, 3)], [CUR_COUNTS[k] for k in (1, 2, 3)]])
    result = stats.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def test_the_blank_makes_pandas_read_floats(csv_pair):
    reference, current = csv_pair
    assert reference["grade"].dtype == np.int64 and current["grade"].dtype == np.float64


def test_categorical_drift_equals_scipy_despite_the_blank(csv_pair):
    reference, current = csv_pair
    chi2, p = _scipy_chi2()
    result = categorical_drift(reference["grade"], current["grade"])
    assert result.chi2_statistic == pytest.approx(chi2, rel=1e-12)
    assert result.chi2_pvalue == pytest.approx(p, rel=1e-9)
    assert result.dof == 2 and result.n_categories == 3 and result.unseen_categories == ()
    assert result.n_missing_current == 1
    drift = dataset_drift(reference, current, columns=["grade"], categorical=["grade"])
    assert drift.features[0].drifted is False and drift.drifted_features == ()


def test_segments_match_across_int_and_float_codes(csv_pair):
    reference, current = csv_pair
    current = current.assign(region=current["region"].astype(float))  # region codes as floats too
    drift = dataset_drift(reference, current, columns=["grade"], categorical=["grade"], segment_by="region")
    assert [s.segment for s in drift.segments] == [{"region": "0"}, {"region": "1"}]
    for segment in drift.segments:
        assert segment.n_reference > 0 and segment.n_current > 0


def test_quality_unseen_categories_use_canonical_labels(tmp_path):
    reference = pd.DataFrame({"grade": [1.0, 2.0, None, 3.0]})  # float codes: the reference had a blank
    current = pd.DataFrame({"grade": ["1", "2", "3", "x"]})     # text codes, one unknown
    report = data_quality(current, reference_df=reference, check_duplicates=False)
    assert report.column("grade").unseen_categories == ("x",)
    assert report.column("grade").n_unseen_categories == 1


def test_performance_groups_and_fairness_groups_print_integer_codes(rng):
    n = 400
    segment = rng.integers(1, 4, n).astype(float)
    segment[5] = np.nan
    score = rng.random(n)
    frame = pd.DataFrame({"segment": segment, "y_true": (rng.random(n) < score).astype(int), "score": score,
                          "y_pred": (score >= 0.5).astype(int)})
    perf = performance_by_group(frame, y_true="y_true", score="score", group_by=["segment"], metrics=["auc"])
    assert [g.label for g in perf.metric("auc").groups] == ["(missing)", "1", "2", "3"]
    fair = fairness_report(frame, y_pred="y_pred", sensitive=["segment"], min_group_size=1).grouping("segment")
    assert [g.label for g in fair.groups] == ["1", "2", "3", "(missing)"]


def test_canonical_label_rules():
    assert [category_label(v) for v in (1, 1.0, np.int64(1), np.float64(1.0), -0.0)] == ["1"] * 4 + ["0"]
    assert category_label(1.5) == "1.5" and category_label("1.0") == "1.0" and category_label(True) == "True"
    assert category_label(1e300) == "1e+300"  # not an exact integer: never printed as one
    codes, labels = category_codes(pd.Series([1, 1.0, "a", None, 2.0], dtype=object))
    assert labels == ["1", "a", "2"] and codes.tolist() == [0, 0, 1, -1, 2]
    assert category_labels(pd.Series([2.0, None])).tolist() == ["2", None]
