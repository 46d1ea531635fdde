"""Bucket histograms of two samples → exact KS, Wasserstein area and reference quantiles, refining only where needed.

A SQL engine that orders every distinct value of a column (a window over the sorted union of
both samples) pays for a sort of the whole column. Almost all of that work is wasted: the KS
statistic is decided near one or two points, the Wasserstein area between the ECDFs can be
read off aggregates wherever the ECDFs do not cross, and PSI needs nine order statistics.
So the engines answer two cheap questions and this module, shared by every SQL engine,
finishes the statistics exactly:

- **buckets**: per equal-width value bucket and side, the count, min, max and Σ(x − anchor)
  (anchor = the bucket's lower bound, so the sum stays accurate when |x| ≫ bucket width);
- **exact**: for chosen buckets only, the classic window over their distinct values, with
  each bucket's cumulative counts offset by what precedes it.

With H = CA·n_cur − CB·n_ref (the exact integer n_ref·n_cur·(F_ref − F_cur)), H is known exactly
at every bucket's end; inside a bucket it stays between bounds given by the bucket's counts.
A bucket goes to the exact pass only if its bound could beat the best end value (KS), if H
might change sign inside it (the area of |H| is otherwise the exact signed area, from the
count, max and offset sum), or if it holds a wanted reference rank. A candidate bucket still
holding many rows is re-bucketed on its own [min, max] (a few levels at most), so skewed data
— one outlier stretching the range — costs another pass, not a sort. Nothing is sampled or
approximated: the result equals the full window's (and the pandas engine's) to rounding.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from govern.stats.ecdf import EcdfSummary, quantile_edges, quantile_positions

#: (B, {parent key: (lower bound, bucket width)}): one level of buckets. A row of parent ``p``
#: gets key ``p·B + min(B − 1, floor((x − lower) / width))``; level 1 has the single parent 0.
Level = tuple[int, dict[int, tuple[float, float]]]


@dataclass
class ExactPart:
    """What the window over some buckets' distinct values found (offsets already applied)."""

    h_max: tuple[int, float] | None = None
    h_min: tuple[int, float] | None = None
    area: float = 0.0  # Σ |H|·(next − x) over consecutive distinct values *within* each bucket
    values: dict[int, float] = field(default_factory=dict)  # reference rank → value


#: Columns of a bucket table: one entry per (bucket, side) row, as numpy arrays.
BUCKET_COLUMNS = ("key", "side", "count", "min", "max", "offset_sum", "anchor")


class BucketSource(Protocol):
    """The two primitives an engine implements over the union of both samples' non-missing values."""

    def bucket_counts(self, levels: list[Level]) -> dict[str, np.ndarray]:
        """Per (bucket of the last level, side): :data:`BUCKET_COLUMNS` — count, min, max,
        Σ(x − anchor) and the anchor (lower bound) the engine computed for the bucket."""

    def exact(self, levels: list[Level], offsets: dict[int, tuple[int, int]], ranks: list[int],
              sizes: dict[int, int]) -> ExactPart:
        """The window over the distinct values of the last level's buckets ``offsets`` (key → rows of
        each side before the bucket); ``ranks`` are reference ranks inside them; ``sizes`` their rows."""

    def bins(self, edges: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Counts per PSI bin (−inf, e1], …, (ek, +inf) on each side."""


_OPEN, _SUMMARY, _SINGLE, _EXACT, _SPLIT = range(5)


@dataclass(frozen=True)
class Tuning:
    """How finely to bucket: the first level, later levels, when a bucket is small enough for the window.

    More first-level buckets make fewer of them ambiguous (H's bound inside a bucket grows with
    its rows, H's own excursions with √n), at the cost of a larger hash aggregate; candidates
    above ``exact_rows`` rows are split again into ``sub_buckets`` on their own [min, max].
    Up to ``window_rows`` values in both samples, one window over all of them is cheaper than
    several passes (and on Spark, several jobs), so small columns take it.
    """

    buckets: int = 1 << 16
    sub_buckets: int = 1 << 6
    exact_rows: int = 1 << 8
    max_depth: int = 3
    window_rows: int = 100_000


def bucketable(n: int, lo: float, hi: float, tuning: Tuning) -> bool:
    """Whether ``n`` values in [lo, hi] should be bucketed: more than ``window_rows``, finite, and
    a bucket width that is not 0 in doubles (±inf, a span beyond the double range or subnormal
    widths take the plain window instead)."""
    import math

    if n <= tuning.window_rows or not (math.isfinite(lo) and math.isfinite(hi)):
        return False
    return lo == hi or (math.isfinite(hi - lo) and (hi - lo) / tuning.buckets > 0)


class _Nodes:
    """The current partition of the value line into buckets (of any level), in value order."""

    def __init__(self, table: dict[str, np.ndarray], level: int) -> None:
        key = np.asarray(table["key"], dtype=np.int64)
        side = np.asarray(table["side"], dtype=np.int64)
        keys, where = np.unique(key, return_inverse=True)
        m = keys.size
        self.key, self.level = keys, np.full(m, level, dtype=np.int64)
        self.ca, self.cb = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
        self.sa, self.sb = np.zeros(m), np.zeros(m)
        self.lo, self.hi = np.full(m, np.inf), np.full(m, -np.inf)
        self.anchor = np.zeros(m)
        count = np.asarray(table["count"], dtype=np.int64)
        offset_sum = np.asarray(table["offset_sum"], dtype=np.float64)
        ref = side == 0
        self.ca[where[ref]], self.sa[where[ref]] = count[ref], offset_sum[ref]
        self.cb[where[~ref]], self.sb[where[~ref]] = count[~ref], offset_sum[~ref]
        np.minimum.at(self.lo, where, np.asarray(table["min"], dtype=np.float64))
        np.maximum.at(self.hi, where, np.asarray(table["max"], dtype=np.float64))
        self.anchor[where] = np.asarray(table["anchor"], dtype=np.float64)
        self.state = np.zeros(m, dtype=np.int64)
        # keys grow with x inside a level, but the partition mixes levels: order by value
        self._sort(np.argsort(self.lo, kind="stable"))

    _FIELDS = ("key", "level", "ca", "cb", "sa", "sb", "lo", "hi", "anchor", "state")

    def _sort(self, order: np.ndarray) -> None:
        for name in self._FIELDS:
            setattr(self, name, getattr(self, name)[order])

    def replace(self, parents: np.ndarray, children: "_Nodes") -> None:
        """Put ``children`` in place of the nodes masked by ``parents``."""
        keep = ~parents
        for name in self._FIELDS:
            setattr(self, name, np.concatenate((getattr(self, name)[keep], getattr(children, name))))
        self._sort(np.argsort(self.lo, kind="stable"))


def bucketed_summary(source: BucketSource, n1: int, n2: int, miss1: int, miss2: int, lo: float, hi: float,
                     bins: int, tuning: Tuning = Tuning(), trace: Counter | None = None) -> EcdfSummary:
    """The :class:`EcdfSummary` of one column from its bucket histograms and exact refinement.

    ``lo``/``hi`` are the union's finite min and max (the caller handles infinities and a
    range too wide for a double, by the plain window). ``trace`` counts what ran (levels,
    buckets split and refined, rows in the exact pass), so tests can prove which path ran.
    """
    trace = trace if trace is not None else Counter()
    # H fits int64 (with room for the bounds' sums) unless n1·n2 is huge; then Python ints
    itype: Any = np.int64 if n1 * n2 < 2**61 else object
    ranks = np.asarray(quantile_positions(n1, bins), dtype=np.int64)
    levels: list[Level] = [(tuning.buckets, {0: (lo, (hi - lo) / tuning.buckets)})]
    if hi == lo:  # one distinct value: every rank is it, H is 0 there, no area
        single = {"key": np.zeros(2, np.int64), "side": np.arange(2), "count": np.array([n1, n2]),
                  "min": np.full(2, lo), "max": np.full(2, lo), "offset_sum": np.zeros(2), "anchor": np.full(2, lo)}
        nodes = _Nodes(single, 1)
        levels_used: list[list[Level]] = [list(levels)]
    else:
        nodes = _Nodes(source.bucket_counts(levels), 1)
        levels_used = [list(levels)]
        trace["levels"] += 1
    depth = 1
    while True:
        start, end, start_a, _ = _heights(nodes, n1, n2, itype)
        best_hi, best_lo = max(0, end.max()), min(0, end.min())
        wanted = np.zeros(nodes.key.size, dtype=bool)
        wanted[np.searchsorted(start_a, ranks, side="right") - 1] = True
        open_ = nodes.state == _OPEN
        nodes.state[open_ & (nodes.lo == nodes.hi)] = _SINGLE
        open_ &= nodes.lo != nodes.hi
        ca, cb = nodes.ca.astype(itype), nodes.cb.astype(itype)
        upper = np.minimum(start + n2 * ca, end + n1 * cb)  # H inside the bucket lies in [lower, upper]
        lower = np.maximum(start - n1 * cb, end - n2 * ca)
        need = (wanted | ((lower < 0) & (upper > 0))
                | ((nodes.cb > 0) & ((upper > best_hi) | ((upper == best_hi) & (best_hi > 0))))
                | ((nodes.ca > 0) & ((lower < best_lo) | ((lower == best_lo) & (best_lo < 0)))))
        nodes.state[open_ & ~need] = _SUMMARY
        width = (nodes.hi - nodes.lo) / tuning.sub_buckets
        with np.errstate(invalid="ignore", over="ignore"):
            splittable = np.isfinite(nodes.hi - nodes.lo) & (width > 0)
        split = open_ & need & splittable & (nodes.ca + nodes.cb > tuning.exact_rows) & (depth < tuning.max_depth)
        nodes.state[open_ & need & ~split] = _EXACT
        if not split.any():
            break
        nodes.state[split] = _SPLIT
        parents = {int(k): (float(a), float(w)) for k, a, w in zip(nodes.key[split], nodes.lo[split], width[split])}
        levels = [*levels, (tuning.sub_buckets, parents)]
        depth += 1
        trace["levels"] += 1
        trace["split"] += len(parents)
        nodes.replace(split, _Nodes(source.bucket_counts(levels), depth))
        levels_used.append(list(levels))

    start, end, start_a, start_b = _heights(nodes, n1, n2, itype)
    values: dict[int, float] = {}
    h_max: tuple[int, float] = (0, 0.0)
    h_min: tuple[int, float] = (0, 0.0)
    area = 0.0
    for d in range(1, depth + 1):
        here = np.flatnonzero((nodes.state == _EXACT) & (nodes.level == d))
        if here.size == 0:
            continue
        chosen = {int(nodes.key[i]): (int(start_a[i]), int(start_b[i])) for i in here}
        sizes = {int(nodes.key[i]): int(nodes.ca[i] + nodes.cb[i]) for i in here}
        at = np.searchsorted(start_a, ranks, side="right") - 1
        inside = [int(r) for r, i in zip(ranks, at) if nodes.state[i] == _EXACT and nodes.level[i] == d]
        part = source.exact(levels_used[d - 1], chosen, inside, sizes)
        trace["exact_buckets"] += len(chosen)
        trace["exact_rows"] += sum(sizes.values())
        if part.h_max is not None:
            h_max = max(h_max, part.h_max)
        if part.h_min is not None:
            h_min = min(h_min, part.h_min)
        area += part.area
        values.update(part.values)
    # H at every bucket's last value, with scipy's float there
    f_end = (start_a + nodes.ca) / n1 - (start_b + nodes.cb) / n2
    top, bottom = end.max(), end.min()
    h_max = max(h_max, (int(top), float(f_end[end == top].max())))
    h_min = min(h_min, (int(bottom), float(f_end[end == bottom].min())))
    summary = nodes.state == _SUMMARY
    trace["summarised"] += int(summary.sum())
    if summary.any():
        area += float(np.abs(_signed_area(start[summary], nodes, summary, n1, n2)).sum())
    at = np.searchsorted(start_a, ranks, side="right") - 1
    for r, i in zip(ranks.tolist(), at.tolist()):
        if nodes.state[i] == _SINGLE:
            values[r] = float(nodes.lo[i])
    # H is constant from each bucket's last value to the next bucket's first
    with np.errstate(invalid="ignore", over="ignore"):
        gaps = np.abs(end[:-1]).astype(np.float64) * (nodes.lo[1:] - nodes.hi[:-1])
    area += float(gaps.sum())
    trace["buckets"] += int(nodes.key.size)
    edges = quantile_edges(lambda idx: np.array([values[int(i)] for i in idx], dtype=np.float64), n1, bins)
    ref_bins, cur_bins = source.bins(edges)
    return EcdfSummary(n1, n2, miss1, miss2, int(h_max[0]), float(h_max[1]), int(h_min[0]), float(h_min[1]),
                       area, tuple(edges.tolist()), ref_bins, cur_bins)


def _heights(nodes: _Nodes, n1: int, n2: int, itype: Any) -> tuple[np.ndarray, ...]:
    """H just before and at the end of each node (exact), and each side's rows before it."""
    start_a = np.cumsum(nodes.ca) - nodes.ca
    start_b = np.cumsum(nodes.cb) - nodes.cb
    start = start_a.astype(itype) * n2 - start_b.astype(itype) * n1
    end = start + nodes.ca.astype(itype) * n2 - nodes.cb.astype(itype) * n1
    return start, end, start_a, start_b


def _signed_area(start: np.ndarray, nodes: _Nodes, mask: np.ndarray, n1: int, n2: int) -> np.ndarray:
    """∫ H dx from each bucket's min to its max, for buckets where H keeps one sign inside.

    H(x) = start + n2·#ref(≤ x) − n1·#cur(≤ x) inside the bucket, and ∫ #ref(≤ x) dx over
    [min, max] is Σ (max − a) = count·(max − anchor) − Σ (a − anchor): offsets from a nearby
    anchor, so nothing cancels catastrophically when the values are large and close together.
    """
    hi, anchor = nodes.hi[mask], nodes.anchor[mask]
    ref = nodes.ca[mask] * (hi - anchor) - nodes.sa[mask]
    cur = nodes.cb[mask] * (hi - anchor) - nodes.sb[mask]
    return start.astype(np.float64) * (hi - nodes.lo[mask]) + float(n2) * ref - float(n1) * cur
