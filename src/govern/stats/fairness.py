"""Predictions + sensitive attributes → per-group selection rates, impact ratios, TPR/FPR and their gaps.

The numbers are those of ``fairlearn.metrics`` (selection rate, demographic parity
ratio/difference, equalized odds difference, MetricFrame by group) on the same data, so that an
auditor can reproduce them; they are computed from one ``np.bincount`` per grouping over
integer group codes, which is what makes a 1,000,000-row check run in tens of milliseconds.

Two deliberate differences from fairlearn, both in the direction of failing closed:
- a group smaller than ``min_group_size`` is reported with ``too_small=True`` and left out of
  the summary statistics; it is listed in ``too_small_groups`` so a gate can refuse to pass;
- a rate with no denominator (TPR of a group without positives) is None with a reason, where
  fairlearn reports 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from govern.stats.values import ToDict, category_codes, category_label, finite

if TYPE_CHECKING:
    from govern.stats.engines.base import Engine

MISSING = "(missing)"
OUTSIDE_BANDS = "(outside bands)"

Mode = Literal["predictions", "threshold", "scoring_rate"]


@dataclass(frozen=True, slots=True)
class GroupFairness(ToDict):
    """One group: counts, rates and the impact ratio against the most-selected assessable group."""

    label: str
    group: dict[str, str]
    n: int
    n_selected: int
    selection_rate: float | None
    impact_ratio: float | None
    n_positive: int | None
    n_negative: int | None
    tpr: float | None
    fpr: float | None
    accuracy: float | None
    too_small: bool
    reasons: tuple[str, ...] = ()
    #: under ``min_share`` of the rows: its rate is reported, it takes no part in impact ratios
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class GroupingFairness(ToDict):
    """One attribute (or intersection of attributes): its groups and the disparity summary.

    Summary values are over the assessable groups (n ≥ min_group_size) only; ``too_small_groups``
    names the others, which are never counted as passing.
    """

    attributes: tuple[str, ...]
    groups: tuple[GroupFairness, ...]
    n_groups: int
    n_assessable: int
    too_small_groups: tuple[str, ...]
    most_selected_group: str | None
    least_selected_group: str | None
    min_impact_ratio: float | None
    demographic_parity_ratio: float | None
    demographic_parity_difference: float | None
    max_tpr_gap: float | None
    max_fpr_gap: float | None
    equalized_odds_difference: float | None
    reasons: tuple[str, ...] = ()
    excluded_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FairnessReport(ToDict):
    """Fairness of one set of predictions by every requested attribute and intersection."""

    mode: Mode
    n: int
    n_dropped: int
    overall_selection_rate: float | None
    score_median: float | None
    threshold: float | None
    min_group_size: int
    groupings: tuple[GroupingFairness, ...]
    min_share: float = 0.0

    def grouping(self, *attributes: str) -> GroupingFairness:
        """The result for exactly these attributes (order-insensitive)."""
        wanted = set(attributes)
        for item in self.groupings:
            if set(item.attributes) == wanted:
                return item
        raise KeyError(f"no grouping for {sorted(wanted)}")


# --------------------------------------------------------------------------- group codes


def _fmt(edge: float) -> str:
    return f"{edge:g}"


def band_labels(edges: Sequence[float]) -> list[str]:
    """``[0, 25, 35]`` → ``["[0,25)", "[25,35)"]``: half-open bands as auditors write them."""
    return [f"[{_fmt(lo)},{_fmt(hi)})" for lo, hi in zip(edges[:-1], edges[1:])]


def _banded_codes(values: pd.Series, edges: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """Continuous values → band codes; outside-band and missing values get their own groups."""
    edges_arr = np.asarray(edges, dtype=np.float64)
    if edges_arr.size < 2 or np.any(np.diff(edges_arr) <= 0):
        raise ValueError(f"bands must be at least two strictly increasing edges, got {list(edges)}")
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    labels = band_labels(list(edges_arr))
    k = len(labels)
    codes = np.searchsorted(edges_arr, x, side="right") - 1
    outside = (codes < 0) | (codes >= k)
    missing = np.isnan(x)
    codes = codes.astype(np.int64)
    if np.any(outside & ~missing):
        codes[outside] = len(labels)
        labels.append(OUTSIDE_BANDS)
    if np.any(missing):
        codes[missing] = len(labels)
        labels.append(MISSING)
    return codes, labels


def _attribute_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Values → dense codes 0..k-1 and canonical labels; declared categories are kept even when empty."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        labels = [category_label(c) for c in values.cat.categories]
    else:
        codes, labels = category_codes(values, sort=True)
    if np.any(codes < 0):
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    return codes, labels


# --------------------------------------------------------------------------- outcome arrays


@dataclass(frozen=True, slots=True)
class _Outcomes:
    selected: np.ndarray
    positive: np.ndarray | None
    keep: np.ndarray | None
    mode: Mode
    median: float | None
    threshold: float | None


def _outcomes(df: pd.DataFrame, y_pred: str | None, score: str | None, threshold: float | None,
              y_true: str | None, pos_label: Any) -> _Outcomes:
    keep = np.ones(len(df), dtype=bool)
    median = None
    if y_pred is not None:
        pred = df[y_pred]
        keep &= pred.notna().to_numpy()
        selected = (pred == pos_label).to_numpy(dtype=bool, na_value=False)
        mode: Mode = "predictions"
    elif score is not None:
        s = df[score].to_numpy(dtype=np.float64, na_value=np.nan)
        keep &= ~np.isnan(s)
        if threshold is not None:
            selected = s >= threshold
            mode = "threshold"
        else:
            # NYC LL144 "scoring rate": share of a group scoring above the full sample's median.
            median = float(np.median(s[keep])) if keep.any() else None
            selected = s > median if median is not None else np.zeros(len(df), dtype=bool)
            mode = "scoring_rate"
    else:
        raise ValueError("fairness needs y_pred, or score (with or without threshold)")
    positive = None
    if y_true is not None:
        truth = df[y_true]
        keep &= truth.notna().to_numpy()
        positive = (truth == pos_label).to_numpy(dtype=bool, na_value=False)
    all_kept = bool(keep.all())
    return _Outcomes(selected, positive, None if all_kept else keep, mode, median, threshold)


# --------------------------------------------------------------------------- report


def _ratio(num: int, den: int) -> float | None:
    return num / den if den > 0 else None


def _grouping(attrs: tuple[str, ...], codes: list[np.ndarray], labels: list[list[str]], outcomes: _Outcomes,
              min_group_size: int, include_empty: bool, weights: np.ndarray | None = None,
              min_share: float = 0.0) -> GroupingFairness:
    sizes = [len(lab) for lab in labels]
    combined = codes[0]
    for c, k in zip(codes[1:], sizes[1:]):
        combined = combined * k + c
    n_cells = int(np.prod(sizes, dtype=np.int64))
    # One bincount over (group, selected, positive) cells gives every count the rates need.
    cell = combined * 4 + outcomes.selected.astype(np.int64) * 2
    if outcomes.positive is not None:
        cell += outcomes.positive
    # ``weights``: rows that are an engine's cell counts (exact in float64 up to 2**53 rows)
    counts = np.bincount(cell, weights=weights, minlength=4 * n_cells).astype(np.int64).reshape(n_cells, 4)
    # columns: [not selected & negative, not selected & positive, selected & negative, selected & positive]
    tn, fn, fp, tp = (counts[:, j] for j in range(4))
    n = counts.sum(axis=1)
    present = np.flatnonzero(n > 0) if not include_empty else np.arange(n_cells)
    has_truth = outcomes.positive is not None

    n_total = int(n.sum())
    raw = []
    for g in present.tolist():
        idx = np.unravel_index(g, sizes) if len(sizes) > 1 else (g,)
        values = [labels[a][int(i)] for a, i in enumerate(idx)]
        n_g = int(n[g])
        n_sel = int(fp[g] + tp[g])
        pos = int(tp[g] + fn[g])
        neg = int(tn[g] + fp[g])
        reasons = []
        if n_g < min_group_size:
            reasons.append(f"{n_g} rows < min_group_size {min_group_size}: too small to assess")
        # 6 RCNY §5-301(d): a category under a share of the data may be left out of impact ratios
        # (still reported with its count and rate); an empty category is simply absent.
        excluded = 0 < n_g < min_share * n_total
        if excluded:
            reasons.append(f"{n_g} rows, {n_g / n_total:.2%} of the data < min_share {min_share:g}: excluded "
                           "from impact ratios")
        tpr = fpr = acc = None
        if has_truth:
            tpr, fpr, acc = _ratio(int(tp[g]), pos), _ratio(int(fp[g]), neg), _ratio(int(tp[g] + tn[g]), n_g)
            if n_g and pos == 0:
                reasons.append("no positives: TPR undefined")
            if n_g and neg == 0:
                reasons.append("no negatives: FPR undefined")
        raw.append((" & ".join(values), dict(zip(attrs, values)), n_g, n_sel, _ratio(n_sel, n_g), pos, neg,
                    tpr, fpr, acc, n_g < min_group_size, reasons, excluded))

    # A group whose attribute is unknown is reported but not compared: it is nobody's category,
    # and NYC LL144 audits leave unknown categories out of impact ratios.
    assessable = [r for r in raw if not r[10] and not r[12] and r[4] is not None and MISSING not in r[1].values()]
    rates = [r[4] for r in assessable]
    max_rate = max(rates) if rates else None
    summary_reasons = []
    comparable = len(assessable) >= 2
    if not assessable:
        summary_reasons.append("no group is large enough to assess")
    elif not comparable:
        # one group compared with itself would report a ratio of 1.0: a pass nobody measured
        summary_reasons.append(f"only one group ({assessable[0][0]}) is large enough to assess: nothing to compare")
    elif max_rate == 0:
        summary_reasons.append("no assessable group has any selection: impact ratios undefined")

    groups = []
    for (label, group, n_g, n_sel, rate, pos, neg, tpr, fpr, acc, small, reasons, excluded) in raw:
        unknown = MISSING in group.values()
        if unknown:
            reasons = reasons + ["attribute unknown: reported, not compared"]
        impact = rate / max_rate if rate is not None and max_rate and not unknown and not excluded else None
        groups.append(GroupFairness(label, group, n_g, n_sel, finite(rate), finite(impact),
                                    pos if has_truth else None, neg if has_truth else None,
                                    finite(tpr), finite(fpr), finite(acc), small, tuple(reasons), excluded))

    def spread(values: list[float | None]) -> float | None:
        defined = [v for v in values if v is not None]
        return max(defined) - min(defined) if len(defined) >= 1 else None

    most = max(assessable, key=lambda r: r[4])[0] if assessable else None
    least = min(assessable, key=lambda r: r[4])[0] if assessable else None
    tpr_gap = spread([r[7] for r in assessable]) if has_truth else None
    fpr_gap = spread([r[8] for r in assessable]) if has_truth else None
    eod = max(tpr_gap, fpr_gap) if tpr_gap is not None and fpr_gap is not None else None
    return GroupingFairness(
        attributes=attrs,
        groups=tuple(groups),
        n_groups=len(groups),
        n_assessable=len(assessable),
        too_small_groups=tuple(g.label for g in groups if g.too_small),
        most_selected_group=most,
        least_selected_group=least,
        min_impact_ratio=finite(min(rates) / max_rate) if comparable and max_rate else None,
        demographic_parity_ratio=finite(min(rates) / max_rate) if comparable and max_rate else None,
        demographic_parity_difference=finite(max(rates) - min(rates)) if comparable else None,
        max_tpr_gap=finite(tpr_gap) if comparable else None,
        max_fpr_gap=finite(fpr_gap) if comparable else None,
        equalized_odds_difference=finite(eod) if comparable else None,
        reasons=tuple(summary_reasons),
        excluded_groups=tuple(g.label for g in groups if g.excluded),
    )


def _intersection_sets(sensitive: list[str], intersections: bool | Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    if intersections is True:
        return [combo for size in range(2, len(sensitive) + 1) for combo in itertools.combinations(sensitive, size)]
    if intersections is False or intersections is None:
        return []
    result = []
    for combo in intersections:
        unknown = [a for a in combo if a not in sensitive]
        if unknown:
            raise ValueError(f"intersection {list(combo)} names attributes not in sensitive: {unknown}")
        result.append(tuple(combo))
    return result


def fairness_report(
    df: pd.DataFrame,
    *,
    y_pred: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    y_true: str | None = None,
    sensitive: list[str],
    intersections: bool | list[list[str]] = True,
    bands: Mapping[str, Sequence[float]] | None = None,
    min_group_size: int = 30,
    pos_label: Any = 1,
    min_share: float = 0.0,
) -> FairnessReport:
    """Selection rates, impact ratios (four-fifths rule), TPR/FPR gaps by attribute and intersection.

    The selection is ``y_pred == pos_label``; or ``score >= threshold``; or, with a score and
    no threshold, NYC LL144's scoring rate (score above the overall median). TPR, FPR and
    accuracy need ``y_true``. ``bands`` turns a continuous attribute (age) into declared
    half-open bands; ``intersections=True`` adds every combination of two or more attributes.
    Rows with a missing prediction, score or label are dropped and counted in ``n_dropped``.
    A category holding less than ``min_share`` of the rows is reported but left out of the
    impact ratios and the summary (the optional exclusion of 6 RCNY §5-301(d)).
    """
    if not 0.0 <= min_share < 1.0:
        raise ValueError(f"min_share must be a fraction in [0, 1), got {min_share}")
    if not sensitive:
        raise ValueError("fairness needs at least one sensitive attribute")
    outcomes = _outcomes(df, y_pred, score, threshold, y_true, pos_label)
    frame_keep = outcomes.keep
    n_dropped = 0 if frame_keep is None else int((~frame_keep).sum())
    if frame_keep is not None:
        outcomes = _Outcomes(outcomes.selected[frame_keep],
                             None if outcomes.positive is None else outcomes.positive[frame_keep],
                             None, outcomes.mode, outcomes.median, outcomes.threshold)
    columns = {a: df[a] if frame_keep is None else df[a][frame_keep] for a in sensitive}
    return _report(columns, outcomes, None, n_dropped, sensitive=sensitive, intersections=intersections,
                   bands=bands, min_group_size=min_group_size, threshold=threshold, min_share=min_share)


def _report(rows: Mapping[str, pd.Series] | pd.DataFrame, outcomes: _Outcomes, weights: np.ndarray | None, n_dropped: int, *,
            sensitive: list[str], intersections: bool | list[list[str]] | Sequence[Sequence[str]],
            bands: Mapping[str, Sequence[float]] | None, min_group_size: int, threshold: float | None,
            min_share: float = 0.0) -> FairnessReport:
    """Group codes → every grouping's counts and rates; ``rows`` are data rows or weighted cells."""
    bands = dict(bands or {})
    codes: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    for attr in sensitive:
        column = rows[attr]
        if attr in bands:
            codes[attr], labels[attr] = _banded_codes(column, bands[attr])
        else:
            codes[attr], labels[attr] = _attribute_codes(column)
    groupings = []
    for attr in sensitive:
        groupings.append(_grouping((attr,), [codes[attr]], [labels[attr]], outcomes, min_group_size,
                                   include_empty=True, weights=weights, min_share=min_share))
    for combo in _intersection_sets(list(sensitive), intersections):
        groupings.append(_grouping(combo, [codes[a] for a in combo], [labels[a] for a in combo], outcomes,
                                   min_group_size, include_empty=False, weights=weights, min_share=min_share))
    if weights is None:
        n = int(outcomes.selected.size)
        overall = float(outcomes.selected.sum()) / n if n else None
    else:
        n = int(weights.sum())
        overall = float(weights[outcomes.selected].sum()) / n if n else None
    return FairnessReport(
        mode=outcomes.mode,
        n=n,
        n_dropped=n_dropped,
        overall_selection_rate=finite(overall),
        score_median=finite(outcomes.median),
        threshold=finite(threshold) if threshold is not None else None,
        min_group_size=min_group_size,
        groupings=tuple(groupings),
        min_share=min_share,
    )


def engine_fairness(
    engine: "Engine[Any]",
    table: Any,
    *,
    y_pred: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    y_true: str | None = None,
    sensitive: list[str],
    intersections: bool | list[list[str]] = True,
    bands: Mapping[str, Sequence[float]] | None = None,
    min_group_size: int = 30,
    pos_label: Any = 1,
    min_share: float = 0.0,
) -> FairnessReport:
    """:func:`fairness_report` on any engine's table: the engine counts rows per (attributes, selected,
    positive) cell; every rate, ratio and gap is finished here from those counts.

    The scoring-rate median is exact: the engine returns the two middle order statistics and
    numpy averages them as ``np.median`` does.
    """
    from govern.stats.engines.base import Selection

    if engine.name == "pandas":  # rows in memory: one bincount per grouping, no cell table needed
        return fairness_report(table, y_pred=y_pred, score=score, threshold=threshold, y_true=y_true,
                               sensitive=sensitive, intersections=intersections, bands=bands,
                               min_group_size=min_group_size, pos_label=pos_label, min_share=min_share)
    if not 0.0 <= min_share < 1.0:
        raise ValueError(f"min_share must be a fraction in [0, 1), got {min_share}")
    if not sensitive:
        raise ValueError("fairness needs at least one sensitive attribute")
    median = None
    if y_pred is not None:
        selection, mode = Selection(decision=y_pred), "predictions"
    elif score is not None and threshold is not None:
        selection, mode = Selection(score=score, threshold=threshold), "threshold"
    elif score is not None:
        present = [y_true] if y_true is not None else []
        n, picked = engine.order_statistics(table, score, lambda n: sorted({(n - 1) // 2, n // 2}), present)
        if n:
            median = float(np.median(np.array([picked[(n - 1) // 2], picked[n // 2]], dtype=np.float64)))
        selection, mode = Selection(score=score, median=median if median is not None else math.inf), "scoring_rate"
    else:
        raise ValueError("fairness needs y_pred, or score (with or without threshold)")
    cells, n_dropped = engine.fairness_cells(table, sensitive, selection, y_true, pos_label)
    outcomes = _Outcomes(cells["selected"].to_numpy(dtype=bool),
                         cells["positive"].to_numpy(dtype=bool) if y_true is not None else None,
                         None, mode, median, threshold)  # type: ignore[arg-type]
    return _report(cells, outcomes, cells["count"].to_numpy(dtype=np.float64), n_dropped, sensitive=sensitive,
                   intersections=intersections, bands=bands, min_group_size=min_group_size, threshold=threshold,
                   min_share=min_share)
