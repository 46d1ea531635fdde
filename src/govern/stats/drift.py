"""Reference and current columns → per-feature drift statistics and a drifted/not-drifted verdict.

Numeric features get the two-sample Kolmogorov–Smirnov test, the Wasserstein-1 distance and
the population stability index (PSI) on reference-quantile bins; categorical features get the
chi-squared test on the 2×k table, PSI over categories and Cramér's V. The numbers are the ones
``scipy.stats`` gives (``ks_2samp``, ``wasserstein_distance``, ``chi2_contingency``) because
model-risk reviewers re-run them there; they are computed from one sort per column so that a
full drift check over millions of rows stays within a CI budget.

A p-value alone flags trivial shifts on large samples, so a feature is called drifted only
when the test is significant *and* the effect size is material, or when PSI crosses its
conventional "significant" line.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal

import numpy as np
import pandas as pd
from scipy import stats as _sps

if TYPE_CHECKING:
    from govern.stats.engines.base import Engine

from govern.stats.ecdf import EcdfSummary, summarise_sorted
from govern.stats.values import ToDict, as_float_array, drop_missing, finite, label_counts

# scipy.stats.ks_2samp(method="auto") is exact up to this sample size, asymptotic above it.
_SCIPY_EXACT_KS_MAX_N = 10_000

Kind = Literal["numeric", "categorical"]


@dataclass(frozen=True, slots=True)
class NumericDrift(ToDict):
    """Drift of one numeric column; statistics are None (with ``reason``) when undefined."""

    ks_statistic: float | None
    ks_pvalue: float | None
    wasserstein: float | None
    psi: float | None
    n_reference: int
    n_current: int
    n_missing_reference: int = 0
    n_missing_current: int = 0
    psi_bins: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CategoricalDrift(ToDict):
    """Drift of one categorical column over the categories seen in either sample."""

    chi2_statistic: float | None
    chi2_pvalue: float | None
    dof: int | None
    cramers_v: float | None
    psi: float | None
    n_reference: int
    n_current: int
    n_missing_reference: int = 0
    n_missing_current: int = 0
    n_categories: int = 0
    unseen_categories: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FeatureDrift(ToDict):
    """One feature's statistics plus the verdict and the rule that produced it.

    ``drifted`` is None when the statistics could not be computed (e.g. no values on one
    side): a gate must treat that as "cannot assess", never as "no drift".
    """

    name: str
    kind: Kind
    drifted: bool | None
    because: tuple[str, ...]
    stats: NumericDrift | CategoricalDrift


@dataclass(frozen=True, slots=True)
class SegmentDrift(ToDict):
    """Per-feature drift inside one segment (e.g. one customer segment)."""

    segment: dict[str, str]
    n_reference: int
    n_current: int
    features: tuple[FeatureDrift, ...]
    n_drifted: int
    drifted_features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatasetDrift(ToDict):
    """Drift of every compared feature, the thresholds used, and optional per-segment results."""

    features: tuple[FeatureDrift, ...]
    n_features: int
    n_drifted: int
    share_drifted: float | None
    drifted_features: tuple[str, ...]
    undetermined_features: tuple[str, ...]
    missing_in_current: tuple[str, ...]
    missing_in_reference: tuple[str, ...]
    thresholds: dict[str, float]
    n_reference: int
    n_current: int
    segments: tuple[SegmentDrift, ...] = field(default=())


# --------------------------------------------------------------------------- numeric


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, floor: float) -> float:
    """PSI = Σ (A−E)·ln(A/E) on shares floored so that empty bins stay finite."""
    expected = np.maximum(ref_counts / ref_counts.sum(), floor)
    actual = np.maximum(cur_counts / cur_counts.sum(), floor)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def ks_pvalue(statistic: float, n1: int, n2: int) -> tuple[float, float]:
    """scipy.stats.ks_2samp's two-sided (statistic, p-value) from the statistic and sample sizes alone.

    Up to 10,000 values per side scipy uses the exact null distribution, which depends only on
    the sizes and on the statistic rounded to a multiple of 1/lcm(n1, n2) (scipy reports the
    rounded value); above, Smirnov's asymptotic distribution. Calling scipy's own exact routine
    keeps the numbers scipy's on every engine, which sees only counts, never the samples.
    """
    from scipy.stats._stats_py import _attempt_exact_2kssamp

    if max(n1, n2) <= _SCIPY_EXACT_KS_MAX_N:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            success, statistic, prob = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), statistic, "two-sided")
        if success:
            return float(statistic), float(np.clip(prob, 0.0, 1.0))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(statistic), float(np.clip(_sps.kstwo.sf(statistic, np.round(en)), 0.0, 1.0))


def numeric_from_summary(summary: EcdfSummary, psi_floor: float) -> NumericDrift:
    """An engine's aggregates → the numeric drift result: the one place the statistics are finished."""
    n1, n2 = summary.n_reference, summary.n_current
    miss_ref, miss_cur = summary.missing_reference, summary.missing_current
    if n1 == 0 or n2 == 0:
        side = "reference" if n1 == 0 else "current"
        return NumericDrift(None, None, None, None, n1, n2, miss_ref, miss_cur, 0,
                            f"no non-missing values in the {side} sample")
    psi = _psi_from_counts(np.asarray(summary.reference_bins, dtype=np.int64),
                           np.asarray(summary.current_bins, dtype=np.int64), psi_floor)
    d_plus, d_minus = summary.h_max_float, min(max(-summary.h_min_float, 0.0), 1.0)
    d, p = ks_pvalue(d_minus if d_minus > d_plus else d_plus, n1, n2)
    w = summary.integral / n1 / n2
    reasons = []
    if not math.isfinite(w):
        reasons.append("Wasserstein distance is not finite (values span beyond the float range)")
    return NumericDrift(finite(d), finite(p), finite(w), finite(psi), n1, n2, miss_ref, miss_cur,
                        len(summary.edges) + 1, "; ".join(reasons) or None)


def _numeric_from_sorted(ref: np.ndarray, cur: np.ndarray, miss_ref: int, miss_cur: int,
                         bins: int, psi_floor: float) -> NumericDrift:
    return numeric_from_summary(summarise_sorted(ref, cur, miss_ref, miss_cur, bins), psi_floor)


def numeric_drift(reference: Any, current: Any, *, bins: int = 10, psi_floor: float = 1e-4) -> NumericDrift:
    """KS (statistic, p-value), Wasserstein distance and PSI between two numeric samples.

    Missing values are dropped and counted. PSI uses ``bins`` reference-quantile bins whose
    outer bins are open, so current values outside the reference range are still counted.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    ref, miss_ref = drop_missing(as_float_array(reference))
    cur, miss_cur = drop_missing(as_float_array(current))
    return _numeric_from_sorted(np.sort(ref), np.sort(cur), miss_ref, miss_cur, bins, psi_floor)


# --------------------------------------------------------------------------- categorical


def categorical_drift(reference: Any, current: Any, *, psi_floor: float = 1e-4) -> CategoricalDrift:
    """Chi-squared test on the reference/current × category table, PSI over categories, Cramér's V.

    Categories seen only in the current sample stay in the table (they are the most telling
    drift) and are listed in ``unseen_categories``; missing values are dropped and counted.
    """
    ref_counts, miss_ref = label_counts(reference)
    cur_counts, miss_cur = label_counts(current)
    return _categorical_from_counts(ref_counts, cur_counts, miss_ref, miss_cur, psi_floor)


def _categorical_from_counts(ref_counts: dict[str, int], cur_counts: dict[str, int], miss_ref: int,
                             miss_cur: int, psi_floor: float) -> CategoricalDrift:
    # Sorted labels: an engine returns groups in no particular order, and a result must not
    # depend on which engine (or which row order) produced the counts.
    labels = sorted(set(ref_counts) | set(cur_counts))
    unseen = tuple(k for k in labels if k not in ref_counts)
    n1, n2 = sum(ref_counts.values()), sum(cur_counts.values())
    if n1 == 0 or n2 == 0:
        side = "reference" if n1 == 0 else "current"
        return CategoricalDrift(None, None, None, None, None, n1, n2, miss_ref, miss_cur, len(labels), unseen,
                                f"no non-missing values in the {side} sample")
    table = np.array([[ref_counts.get(k, 0) for k in labels], [cur_counts.get(k, 0) for k in labels]],
                     dtype=np.int64)
    # The table is tiny (2 × categories): delegate to scipy so statistic, p-value and dof are its own
    # (including Yates' correction, which scipy applies when dof == 1).
    chi2 = _sps.chi2_contingency(table)
    if table.shape[1] == 1:
        cramers_v = 0.0  # one category on both sides: the distributions are identical
    else:
        cramers_v = float(_sps.contingency.association(table, method="cramer"))
    psi = _psi_from_counts(table[0].astype(np.float64), table[1].astype(np.float64), psi_floor)
    return CategoricalDrift(finite(chi2.statistic), finite(chi2.pvalue), int(chi2.dof), finite(cramers_v),
                            finite(psi), n1, n2, miss_ref, miss_cur, len(labels), unseen, None)


# --------------------------------------------------------------------------- dataset


def _verdict(stats: NumericDrift | CategoricalDrift, *, psi_threshold: float, pvalue_threshold: float,
             min_effect: float) -> tuple[bool | None, tuple[str, ...]]:
    if isinstance(stats, NumericDrift):
        pvalue, effect, effect_name = stats.ks_pvalue, stats.ks_statistic, "KS statistic"
    else:
        pvalue, effect, effect_name = stats.chi2_pvalue, stats.cramers_v, "Cramér's V"
    if pvalue is None and stats.psi is None:
        return None, (stats.reason or "statistics undefined",)
    because = []
    if pvalue is not None and effect is not None and pvalue < pvalue_threshold and effect >= min_effect:
        because.append(f"p-value {pvalue:.3g} < {pvalue_threshold:g} and {effect_name} "
                       f"{effect:.3g} >= {min_effect:g}")
    if stats.psi is not None and stats.psi >= psi_threshold:
        because.append(f"PSI {stats.psi:.3g} >= {psi_threshold:g}")
    return bool(because), tuple(because)


def _features(engine: "Engine[Any]", reference: Any, current: Any, kinds: dict[str, Kind], *, bins: int,
              psi_floor: float, thresholds: dict[str, float], workers: int,
              progress: Callable[[str], None] | None = None) -> tuple[FeatureDrift, ...]:
    names = list(kinds)

    def run(name: str) -> NumericDrift | CategoricalDrift:
        if kinds[name] == "numeric":
            result: NumericDrift | CategoricalDrift = numeric_from_summary(
                engine.ecdf(reference, current, name, bins), psi_floor)
        else:
            ref_counts, miss_ref = engine.category_counts(reference, name)
            cur_counts, miss_cur = engine.category_counts(current, name)
            result = _categorical_from_counts(ref_counts, cur_counts, miss_ref, miss_cur, psi_floor)
        if progress is not None:
            progress(name)
        return result

    large = engine.n_rows(reference) + engine.n_rows(current) >= 200_000
    if engine.parallel_columns and workers > 1 and len(names) > 1 and large:
        # Sorting and merging release the GIL, so threads scale on large columns; results
        # are collected in column order, so the output does not depend on scheduling.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, names))
    else:
        results = [run(n) for n in names]
    features = []
    for name, stats in zip(names, results):
        drifted, because = _verdict(stats, psi_threshold=thresholds["psi_threshold"],
                                    pvalue_threshold=thresholds["pvalue_threshold"],
                                    min_effect=thresholds["min_effect"])
        features.append(FeatureDrift(name, kinds[name], drifted, because, stats))
    return tuple(features)


def dataset_drift(
    reference_df: pd.DataFrame,
    current_df: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    segment_by: str | Sequence[str] | None = None,
    bins: int = 10,
    psi_floor: float = 1e-4,
    psi_threshold: float = 0.25,
    pvalue_threshold: float = 0.05,
    min_effect: float = 0.1,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DatasetDrift:
    """Drift of every feature present in both tables, typed automatically, with verdicts.

    A feature drifts when (p < ``pvalue_threshold`` and effect size ≥ ``min_effect``) or
    PSI ≥ ``psi_threshold``; the effect size is the KS statistic for numeric features and
    Cramér's V for categorical ones. ``categorical`` forces columns (e.g. integer codes) to be
    treated as categories. ``segment_by`` repeats the comparison inside each segment value.
    ``progress`` is called with each feature's name once it is done (for a progress bar).
    """
    from govern.stats.engines.pandas_engine import PandasEngine

    return engine_drift(PandasEngine(), reference_df, current_df, columns=columns, categorical=categorical,
                        segment_by=segment_by, bins=bins, psi_floor=psi_floor, psi_threshold=psi_threshold,
                        pvalue_threshold=pvalue_threshold, min_effect=min_effect, workers=workers,
                        progress=progress)


def engine_drift(
    engine: "Engine[Any]",
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    segment_by: str | Sequence[str] | None = None,
    bins: int = 10,
    psi_floor: float = 1e-4,
    psi_threshold: float = 0.25,
    pvalue_threshold: float = 0.05,
    min_effect: float = 0.1,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DatasetDrift:
    """:func:`dataset_drift` on any engine's tables: the engine counts, this module finishes."""
    if bins < 2:
        raise ValueError("bins must be at least 2")
    segment_cols = [segment_by] if isinstance(segment_by, str) else list(segment_by or [])
    ref_columns, cur_columns = engine.columns(reference), engine.columns(current)
    wanted = list(columns) if columns is not None else [c for c in ref_columns if c not in segment_cols]
    missing_cur = tuple(str(c) for c in wanted if c not in cur_columns)
    missing_ref = tuple(str(c) for c in (columns or cur_columns)
                        if c not in ref_columns and c not in segment_cols)
    forced = set(categorical or ())
    kinds: dict[str, Kind] = {}
    for name in wanted:
        if name in ref_columns and name in cur_columns:
            cat = (name in forced or engine.is_categorical(reference, name)
                   or engine.is_categorical(current, name))
            kinds[name] = "categorical" if cat else "numeric"
    thresholds = {"psi_threshold": psi_threshold, "pvalue_threshold": pvalue_threshold, "min_effect": min_effect}
    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    features = _features(engine, reference, current, kinds, bins=bins, psi_floor=psi_floor,
                         thresholds=thresholds, workers=n_workers, progress=progress)
    segments: list[SegmentDrift] = []
    if segment_cols:
        for side, cols in (("reference", ref_columns), ("current", cur_columns)):
            absent = [c for c in segment_cols if c not in cols]
            if absent:
                raise KeyError(f"segment column(s) {absent} not in the {side} table")
        for key, ref_part, cur_part in engine.segments(reference, current, segment_cols):
            seg_features = _features(engine, ref_part, cur_part, kinds, bins=bins, psi_floor=psi_floor,
                                     thresholds=thresholds, workers=1)
            seg_drifted = tuple(f.name for f in seg_features if f.drifted)
            segments.append(SegmentDrift(dict(zip(segment_cols, key)), engine.n_rows(ref_part),
                                         engine.n_rows(cur_part), seg_features, len(seg_drifted), seg_drifted))
    drifted = tuple(f.name for f in features if f.drifted)
    undetermined = tuple(f.name for f in features if f.drifted is None)
    return DatasetDrift(
        features=features,
        n_features=len(features),
        n_drifted=len(drifted),
        share_drifted=(len(drifted) / len(features)) if features else None,
        drifted_features=drifted,
        undetermined_features=undetermined,
        missing_in_current=missing_cur,
        missing_in_reference=missing_ref,
        thresholds=thresholds,
        n_reference=engine.n_rows(reference),
        n_current=engine.n_rows(current),
        segments=tuple(segments),
    )


