"""Two sorted samples → their ECDF summary: the aggregate every engine reports for a numeric column.

KS, Wasserstein and PSI are all functionals of the difference between two empirical CDFs, so
an engine never has to hand over a sample: it reports an :class:`EcdfSummary` (the extremes and
area of that difference, and counts per reference-quantile bin), and :mod:`govern.stats.drift`
finishes the statistics from it, once, whichever engine counted. This module holds that
vocabulary and the in-memory way of filling it (a blockwise merge of two sorted arrays); the
SQL engines fill it in :mod:`govern.stats.ecdf_buckets`. It sits below both drift and the
engines so that neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Values taken from each sorted sample per merge block: keeps a block's arrays in L2 cache.
_BLOCK = 1 << 15


@dataclass(frozen=True, slots=True)
class EcdfSummary:
    """All an engine reports about one numeric column pair: KS, Wasserstein and PSI follow from it.

    With h = F_ref − F_cur over the sorted union of both samples (at the last of each run of
    ties), ``h_max``/``h_min`` are the extremes of the exact integer n_ref·n_cur·h and
    ``h_max_float``/``h_min_float`` the float ``count_ref/n_ref − count_cur/n_cur`` at the
    positions attaining them (scipy's arithmetic); ``integral`` is Σ |n_ref·n_cur·h| · step
    width; the bin counts are over ``edges`` (reference quantiles, :func:`quantile_edges`).
    """

    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int
    h_max: int = 0
    h_max_float: float = 0.0
    h_min: int = 0
    h_min_float: float = 0.0
    integral: float = 0.0
    edges: tuple[float, ...] = ()
    reference_bins: tuple[int, ...] = ()
    current_bins: tuple[int, ...] = ()


def quantile_positions(n: int, bins: int) -> np.ndarray:
    """The 0-based ranks of the reference order statistics that the PSI bin edges need.

    An engine fetches exactly these values (at most ``2·(bins−1)``), never the sorted column.
    """
    q = np.arange(1, bins, dtype=np.float64) / bins
    lo = np.floor(q * (n - 1)).astype(np.int64)
    return np.unique(np.concatenate((lo, np.minimum(lo + 1, n - 1))))


def quantile_edges(take: Callable[[np.ndarray], np.ndarray], n: int, bins: int) -> np.ndarray:
    """Interior reference-quantile edges (numpy's default 'linear' rule), duplicates removed.

    ``take`` maps 0-based ranks of the sorted, NaN-free reference sample to their values, so
    the same arithmetic finishes the edges whether the sample is a sorted array here or a
    table in DuckDB or Spark. Ties make several quantiles coincide (e.g. 60 % zeros); merging
    the equal edges keeps the tied mass in one bin instead of producing empty, floor-dominated bins.
    """
    q = np.arange(1, bins, dtype=np.float64) / bins
    pos = q * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    below, above = take(lo), take(hi)
    with np.errstate(invalid="ignore", over="ignore"):
        edges = below + frac * (above - below)
    # Exact edges where interpolation is unnecessary or would overflow (1e300 - -1e300).
    plain_edge = (frac == 0) | (below == above) | ~np.isfinite(edges)
    edges = np.where(plain_edge, np.where(frac >= 0.5, above, below), edges)
    return np.unique(edges)


def binned_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in (-inf, e1], (e1, e2], …, (ek, +inf) from a sorted array: O(k log n)."""
    cumulative = np.searchsorted(sorted_values, edges, side="right")
    bounds = np.concatenate(([0], cumulative, [sorted_values.size]))
    return np.diff(bounds)


def _ks_wasserstein(ref: np.ndarray, cur: np.ndarray) -> tuple[int, float, int, float, float]:
    """The ECDF extremes and the area between the ECDFs of two sorted, NaN-free arrays.

    Both are functionals of h = F_ref − F_cur on the merged sample: KS = max |h| at the
    distinct values, W1 = ∫|h| dx. The merge runs block by block over value ranges (cut at
    values, so runs of ties never straddle two blocks), which keeps every temporary in cache:
    on large columns the work is bound by memory traffic, not arithmetic.

    h is carried as the exact integer n1·n2·h; the float reported for KS is recomputed the way
    scipy does (count/n1 − count/n2) at the positions attaining the extreme, so the statistic,
    and the p-value derived from it, are bit-identical to ``scipy.stats.ks_2samp``.

    Returns what :class:`EcdfSummary` holds: max n1·n2·h and its float, min and its float, ∫|n1·n2·h| dx.
    """
    n1, n2 = ref.size, cur.size
    cuts = np.unique(np.concatenate((ref[::_BLOCK], cur[::_BLOCK])))
    ref_at = np.append(np.searchsorted(ref, cuts, side="left"), n1)
    cur_at = np.append(np.searchsorted(cur, cuts, side="left"), n2)
    ref_at[0] = cur_at[0] = 0
    best_hi, best_hi_f = 0, 0.0  # max of h (scipy's maxS); h = 0 at the largest value
    best_lo, best_lo_f = 0, 0.0  # min of h (minus scipy's minS)
    integral = 0.0
    for i in range(cuts.size):
        r0, r1, c0, c1 = int(ref_at[i]), int(ref_at[i + 1]), int(cur_at[i]), int(cur_at[i + 1])
        block = np.concatenate((ref[r0:r1], cur[c0:c1]))
        order = np.argsort(block, kind="stable")
        from_ref = order < (r1 - r0)
        block = block[order]
        count_ref = np.cumsum(from_ref, dtype=np.int64)
        count_ref += r0
        count_cur = np.arange(r0 + c0 + 1, r0 + c0 + block.size + 1, dtype=np.int64)
        count_cur -= count_ref
        h = count_ref * n2 - count_cur * n1
        if i + 1 < cuts.size:
            following = np.append(block[1:], cuts[i + 1])
        else:
            following = block[1:]
        # h is the ECDF difference only at the last of a run of equal values.
        at_values = h[np.append(block[1:] != block[:-1], True)] if block.size > 1 else h
        hi, lo = int(at_values.max()), int(at_values.min())
        if hi >= best_hi:
            best_hi_f = max(best_hi_f if hi == best_hi else -np.inf, _scipy_float(h, hi, count_ref, count_cur, n1, n2))
            best_hi = hi
        if lo <= best_lo:
            best_lo_f = min(best_lo_f if lo == best_lo else np.inf, _scipy_float(h, lo, count_ref, count_cur, n1, n2))
            best_lo = lo
        m = following.size
        if m:
            # Inside a run of ties the step width is 0, so the partial h there contributes nothing.
            width = following - block[:m]
            weighted = np.abs(h[:m]).astype(np.float64)
            with np.errstate(invalid="ignore", over="ignore"):
                np.multiply(weighted, width, out=weighted)
            integral += float(weighted.sum())
    return best_hi, best_hi_f, best_lo, best_lo_f, integral


def _scipy_float(h: np.ndarray, target: int, count_ref: np.ndarray, count_cur: np.ndarray,
                 n1: int, n2: int) -> float:
    """F_ref − F_cur computed as scipy does, at the positions where n1·n2·h equals ``target``.

    Equal rationals can round differently (a/n1 − b/n2 vs c/n1 − d/n2), so all of them are
    evaluated and the extreme float kept, as scipy's max/min over its float array does.
    """
    where = h == target
    values = count_ref[where] / n1 - count_cur[where] / n2
    return float(values.max() if target >= 0 else values.min())


def summarise_sorted(ref: np.ndarray, cur: np.ndarray, miss_ref: int, miss_cur: int, bins: int) -> EcdfSummary:
    """The in-memory engine: an :class:`EcdfSummary` from two sorted, NaN-free arrays."""
    n1, n2 = ref.size, cur.size
    if n1 == 0 or n2 == 0:
        return EcdfSummary(n1, n2, miss_ref, miss_cur)
    edges = quantile_edges(lambda ranks: ref[ranks], n1, bins)
    h_max, h_max_f, h_min, h_min_f, integral = _ks_wasserstein(ref, cur)
    return EcdfSummary(n1, n2, miss_ref, miss_cur, h_max, h_max_f, h_min, h_min_f, integral,
                       tuple(edges.tolist()), tuple(binned_counts(ref, edges).tolist()),
                       tuple(binned_counts(cur, edges).tolist()))
