"""Drift statistics agree with scipy.stats on the same data, including the awkward cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from govern.stats.drift import categorical_drift, dataset_drift, numeric_drift


REL = 1e-12
pytestmark = pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")


def close(a: float | None, b: float) -> bool:
    assert a is not None
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-300)


def assert_json_safe(result) -> None:
    json.dumps(result.to_dict(), allow_nan=False)


def assert_matches_scipy(ref: np.ndarray, cur: np.ndarray) -> None:
    r = numeric_drift(ref, cur)
    ks = stats.ks_2samp(ref, cur)
    assert close(r.ks_statistic, ks.statistic)
    assert close(r.ks_pvalue, ks.pvalue)
    w = stats.wasserstein_distance(ref, cur)
    if math.isfinite(w):
        assert r.wasserstein is not None and math.isclose(r.wasserstein, w, rel_tol=1e-12, abs_tol=1e-300)
    else:
        assert r.wasserstein is None and r.reason
    assert_json_safe(r)


@pytest.mark.parametrize("n1,n2", [(1, 1), (1, 5), (7, 3), (50, 50), (999, 1000), (10_000, 9_999),
                                   (12_000, 11_000), (40_000, 25_000)])
def test_numeric_matches_scipy_exact_and_asymptotic_ranges(rng, n1, n2):
    assert_matches_scipy(rng.normal(0, 1, n1), rng.normal(0.05, 1.1, n2))


def test_numeric_strong_drift_large_sample_pvalue_bit_identical(rng):
    # asymptotic branch with a tiny p-value: most sensitive to the statistic's last bits
    ref, cur = rng.normal(0, 1, 60_000), rng.normal(0.3, 1, 45_000)
    r, ks = numeric_drift(ref, cur), stats.ks_2samp(ref, cur)
    assert r.ks_statistic == ks.statistic
    assert r.ks_pvalue == ks.pvalue


@pytest.mark.parametrize("n1,n2", [(300, 200), (30_000, 20_000)])
def test_numeric_ties_match_scipy(rng, n1, n2):
    # integer-valued data: heavy ties inside and across the samples
    assert_matches_scipy(rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float))


def test_constant_columns(rng):
    same = numeric_drift(np.full(100, 3.0), np.full(80, 3.0))
    assert same.ks_statistic == 0.0 and same.ks_pvalue == 1.0 and same.wasserstein == 0.0 and same.psi == 0.0
    moved = numeric_drift(np.full(100, 3.0), np.full(80, 4.0))
    assert_matches_scipy(np.full(100, 3.0), np.full(80, 4.0))
    assert moved.ks_statistic == 1.0 and moved.psi is not None and moved.psi > 1


def test_all_missing_column_is_undefined_with_reason():
    r = numeric_drift(np.array([np.nan, np.nan]), np.array([1.0, 2.0]))
    assert r.ks_statistic is None and r.psi is None and r.wasserstein is None
    assert r.n_reference == 0 and r.n_missing_reference == 2 and "reference" in (r.reason or "")
    assert_json_safe(r)


def test_missing_values_dropped_and_counted(rng):
    ref, cur = rng.normal(size=500), rng.normal(size=400)
    ref_nan, cur_nan = ref.copy(), cur.copy()
    ref_nan[::10] = np.nan
    cur_nan[::7] = np.nan
    r = numeric_drift(pd.Series(ref_nan), pd.Series(cur_nan))
    assert r.n_missing_reference == 50 and r.n_missing_current == 58
    assert_matches_scipy(ref_nan[~np.isnan(ref_nan)], cur_nan[~np.isnan(cur_nan)])
    assert close(r.ks_statistic, stats.ks_2samp(ref_nan, cur_nan, nan_policy="omit").statistic)


def test_single_row_each_side():
    assert_matches_scipy(np.array([1.0]), np.array([2.0]))
    r = numeric_drift([1.0], [1.0])
    assert r.ks_statistic == 0.0 and r.psi == 0.0


def test_extreme_values_stay_json_safe():
    ref = np.array([-1e300, 0.0, 1e300, 5.0])
    cur = np.array([1e300, 1e300, -1e300, 2.0, 3.0])
    assert_matches_scipy(ref, cur)  # W overflows to inf in scipy: we report None with a reason
    r = numeric_drift(ref, cur)
    assert r.psi is not None and math.isfinite(r.psi)
    json.dumps(r.to_dict(), allow_nan=False)


finite_floats = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 60), elements=finite_floats),
       hnp.arrays(np.float64, st.integers(1, 60), elements=finite_floats))
def test_property_ks_and_wasserstein_equal_scipy(ref, cur):
    r = numeric_drift(ref, cur)
    ks = stats.ks_2samp(ref, cur)
    assert close(r.ks_statistic, ks.statistic)
    assert close(r.ks_pvalue, ks.pvalue)
    w = stats.wasserstein_distance(ref, cur)
    assert r.wasserstein is not None
    assert math.isclose(r.wasserstein, w, rel_tol=1e-9, abs_tol=1e-6 * max(1.0, np.ptp(np.r_[ref, cur])) * 1e-6)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 40), elements=st.sampled_from([0.0, 1.0, 2.5, -3.0, 1e6])))
def test_property_psi_of_identical_samples_is_zero(values):
    assert numeric_drift(values, values.copy()).psi == 0.0


def test_psi_bins_use_reference_deciles_and_open_end_bins():
    ref = np.arange(1000, dtype=float)
    r = numeric_drift(ref, np.full(100, 5000.0))  # all current values above the reference range
    assert r.psi_bins == 10
    # last bin: expected 10 %, actual 100 %; the 9 other bins are floored at 1e-4
    expected = (1 - 0.1) * math.log(1 / 0.1) + 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert math.isclose(r.psi, expected, rel_tol=1e-12)


def test_psi_duplicate_quantile_edges_merge_ties():
    ref = np.r_[np.zeros(600), np.arange(1, 401, dtype=float)]  # 60 % zeros: deciles 1..5 are all 0
    r = numeric_drift(ref, ref.copy())
    assert r.psi == 0.0 and r.psi_bins == 6  # edges {0, 0.4, q7, q8, q9}


# --------------------------------------------------------------------------- categorical


def chi2_reference(ref: list, cur: list):
    labels = list(dict.fromkeys([*ref, *cur]))
    table = np.array([[ref.count(k) for k in labels], [cur.count(k) for k in labels]])
    return stats.chi2_contingency(table), table


@pytest.mark.parametrize("ref,cur", [
    (list("aaabbbccc"), list("aabbbbccd")),          # category only in current
    (list("ab" * 50), list("a" * 70 + "b" * 30)),    # 2x2: scipy applies Yates' correction
    (list("abcde" * 40), list("abcde" * 30 + "a" * 50)),
])
def test_categorical_matches_chi2_contingency(ref, cur):
    r = categorical_drift(ref, cur)
    expected, table = chi2_reference(ref, cur)
    assert close(r.chi2_statistic, expected.statistic)
    assert close(r.chi2_pvalue, expected.pvalue)
    assert r.dof == expected.dof
    assert close(r.cramers_v, stats.contingency.association(table, method="cramer"))
    assert_json_safe(r)


def test_unseen_categories_reported():
    r = categorical_drift(pd.Series(["a", "b", "a"]), pd.Series(["a", "z", "y", "z"]))
    assert r.unseen_categories == ("y", "z")  # sorted: the same on every engine
    assert r.psi is not None and r.psi > 1


def test_single_category_both_sides():
    r = categorical_drift(["x"] * 10, ["x"] * 5)
    assert r.chi2_statistic == 0.0 and r.chi2_pvalue == 1.0 and r.dof == 0 and r.cramers_v == 0.0 and r.psi == 0.0


def test_categorical_missing_dropped_and_all_missing_undefined():
    r = categorical_drift(pd.Series(["a", None, "b", np.nan]), pd.Series(["a", "b", None]))
    assert r.n_missing_reference == 2 and r.n_missing_current == 1 and r.n_reference == 2
    empty = categorical_drift(pd.Series([None, None], dtype=object), pd.Series(["a"]))
    assert empty.chi2_statistic is None and empty.reason
    assert_json_safe(empty)


# --------------------------------------------------------------------------- dataset


def test_dataset_drift_flags_the_shifted_columns(drift_frames):
    ref, cur = drift_frames
    result = dataset_drift(ref, cur, columns=["stable", "shifted", "ints", "cat", "cat_shifted", "flag"])
    kinds = {f.name: f.kind for f in result.features}
    assert kinds == {"stable": "numeric", "shifted": "numeric", "ints": "numeric", "cat": "categorical",
                     "cat_shifted": "categorical", "flag": "categorical"}
    assert set(result.drifted_features) == {"shifted", "cat_shifted"}
    assert result.n_drifted == 2 and result.share_drifted == pytest.approx(2 / 6)
    assert_json_safe(result)


def test_categorical_override_treats_integer_codes_as_categories(drift_frames):
    ref, cur = drift_frames
    result = dataset_drift(ref, cur, columns=["ints"], categorical=["ints"])
    assert result.features[0].kind == "categorical"


def test_effect_size_guard_ignores_trivial_shifts_on_huge_samples(rng):
    n = 400_000
    ref = pd.DataFrame({"x": rng.normal(0, 1, n)})
    cur = pd.DataFrame({"x": rng.normal(0.03, 1, n)})  # p ≈ 0, but KS ≈ 0.012: not material
    result = dataset_drift(ref, cur)
    feature = result.features[0]
    assert feature.stats.ks_pvalue < 1e-10
    assert feature.drifted is False
    assert dataset_drift(ref, cur, min_effect=0.0).features[0].drifted is True


def test_psi_threshold_alone_can_flag_drift(rng):
    ref = pd.DataFrame({"x": rng.normal(0, 1, 200)})
    cur = pd.DataFrame({"x": rng.normal(1.5, 1, 200)})
    f = dataset_drift(ref, cur, pvalue_threshold=0.0).features[0]
    assert f.drifted and any("PSI" in b for b in f.because)


def test_missing_columns_and_undetermined_features(drift_frames):
    ref, cur = drift_frames
    cur = cur.drop(columns=["cat"]).assign(extra=1.0, stable=np.nan)
    result = dataset_drift(ref, cur)
    assert result.missing_in_current == ("cat",)
    assert result.missing_in_reference == ("extra",)
    assert result.undetermined_features == ("stable",)
    stable = next(f for f in result.features if f.name == "stable")
    assert stable.drifted is None


def test_segments_repeat_the_comparison_per_segment(drift_frames):
    ref, cur = drift_frames
    result = dataset_drift(ref, cur, columns=["stable", "shifted"], segment_by="segment")
    assert [s.segment for s in result.segments] == [{"segment": "corporate"}, {"segment": "retail"}]
    for seg in result.segments:
        assert seg.drifted_features == ("shifted",)
        mask_r, mask_c = ref.segment == seg.segment["segment"], cur.segment == seg.segment["segment"]
        ks = stats.ks_2samp(ref.shifted[mask_r], cur.shifted[mask_c])
        assert close(seg.features[1].stats.ks_pvalue, ks.pvalue)
    assert_json_safe(result)


def test_threads_do_not_change_results(rng):
    n = 120_000
    ref = pd.DataFrame({f"x{i}": rng.normal(0, 1, n) for i in range(4)})
    cur = pd.DataFrame({f"x{i}": rng.normal(0.01 * i, 1, n) for i in range(4)})
    assert dataset_drift(ref, cur, workers=1).to_dict() == dataset_drift(ref, cur, workers=2).to_dict()
