"""Exact KS, Wasserstein and reference quantiles from bucket histograms, refined only where they must be.

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

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from govern.stats.drift import EcdfSummary, quantile_edges, quantile_positions

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


class BucketSource(Protocol):
    """The two primitives an engine implements over the union of both samples' non-missing values."""

    def bucket_counts(self, levels: list[Level]) -> list[tuple[int, int, int, float, float, float, float]]:
        """Rows (key, side, count, min x, max x, Σ(x − anchor), anchor) of the last level's buckets."""

    def exact(self, levels: list[Level], offsets: dict[int, tuple[int, int]], ranks: list[int],
              sizes: dict[int, int]) -> ExactPart:
        """The window over the distinct values of the last level's buckets ``offsets`` (key → rows of
        each side before the bucket); ``ranks`` are reference ranks inside them; ``sizes`` their rows."""

    def bins(self, edges: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Counts per PSI bin (−inf, e1], …, (ek, +inf) on each side."""


@dataclass
class _Node:
    key: int
    level: int
    ca: int
    cb: int
    lo: float  # smallest value in the bucket
    hi: float  # largest value in the bucket
    sa: float  # Σ (x − anchor) over the reference values
    sb: float
    anchor: float
    state: str = "open"  # open → summary | single | exact | split


@dataclass(frozen=True)
class Tuning:
    """How finely to bucket: the first level, later levels, when a bucket is small enough for the window."""

    buckets: int = 1 << 15
    sub_buckets: int = 1 << 10
    exact_rows: int = 1 << 14
    max_depth: int = 3


def bucketed_summary(source: BucketSource, n1: int, n2: int, miss1: int, miss2: int, lo: float, hi: float,
                     bins: int, tuning: Tuning = Tuning(), trace: Counter | None = None) -> EcdfSummary:
    """The :class:`EcdfSummary` of one column from its bucket histograms and exact refinement.

    ``lo``/``hi`` are the union's finite min and max (the caller handles infinities and a
    range too wide for a double, by the plain window). ``trace`` counts what ran (levels,
    buckets refined, rows in the exact pass), so tests can prove which path they exercised.
    """
    trace = trace if trace is not None else Counter()
    ranks = [int(r) for r in quantile_positions(n1, bins)]
    levels: list[Level] = [(tuning.buckets, {0: (lo, (hi - lo) / tuning.buckets)})]
    if hi == lo:  # one distinct value: every rank is it, H is 0 there, no area
        order = [_Node(0, 1, n1, n2, lo, hi, 0.0, 0.0, lo, "single")]
        levels_used: list[list[Level]] = []
    else:
        order = _nodes(source.bucket_counts(levels), 1)
        levels_used = [list(levels)]
        trace["levels"] += 1
    depth = 1
    while True:
        starts = _starts(order, n1, n2)
        ends = [s + n.ca * n2 - n.cb * n1 for s, n in zip(starts, order)]
        best_hi, best_lo = max([0, *ends]), min([0, *ends])
        cum_a = [s_a for s_a, _ in _cumulative(order)]
        wanted = {bisect.bisect_right(cum_a, r) - 1 for r in ranks}
        split: dict[int, tuple[float, float]] = {}
        for i, node in enumerate(order):
            if node.state != "open":
                continue
            if node.lo == node.hi:
                node.state = "single"
                continue
            start, end = starts[i], ends[i]
            upper = min(start + n2 * node.ca, end + n1 * node.cb)  # H inside the bucket lies in [lower, upper]
            lower = max(start - n1 * node.cb, end - n2 * node.ca)
            need = (i in wanted or (lower < 0 < upper)
                    or (node.cb > 0 and (upper > best_hi or upper == best_hi > 0))
                    or (node.ca > 0 and (lower < best_lo or lower == best_lo < 0)))
            if not need:
                node.state = "summary"
                continue
            width = (node.hi - node.lo) / tuning.sub_buckets
            if (node.ca + node.cb > tuning.exact_rows and depth < tuning.max_depth
                    and math.isfinite(node.hi - node.lo) and width > 0):
                node.state = "split"
                split[node.key] = (node.lo, width)
            else:
                node.state = "exact"
        if not split:
            break
        levels = [*levels, (tuning.sub_buckets, split)]
        depth += 1
        trace["levels"] += 1
        trace["split"] += len(split)
        children = _nodes(source.bucket_counts(levels), depth)
        levels_used.append(list(levels))
        by_parent: dict[int, list[_Node]] = {}
        for child in children:
            by_parent.setdefault(child.key // tuning.sub_buckets, []).append(child)
        order = [c for n in order for c in (by_parent.get(n.key, []) if n.state == "split" else [n])]

    starts_a = _cumulative(order)
    values: dict[int, float] = {}
    h_max: tuple[int, float] = (0, 0.0)
    h_min: tuple[int, float] = (0, 0.0)
    area = 0.0
    for d in range(1, depth + 1):
        here = [i for i, n in enumerate(order) if n.state == "exact" and n.level == d]
        if not here:
            continue
        chosen = {order[i].key: starts_a[i] for i in here}
        sizes = {order[i].key: order[i].ca + order[i].cb for i in here}
        inside = [r for r in ranks if any(starts_a[i][0] <= r < starts_a[i][0] + order[i].ca for i in here)]
        part = source.exact(levels_used[d - 1], chosen, inside, sizes)
        trace["exact_buckets"] += len(chosen)
        trace["exact_rows"] += sum(sizes.values())
        if part.h_max is not None:
            h_max = max(h_max, part.h_max)
        if part.h_min is not None:
            h_min = min(h_min, part.h_min)
        area += part.area
        values.update(part.values)
    starts = _starts(order, n1, n2)
    for i, node in enumerate(order):
        ca_end, cb_end = starts_a[i][0] + node.ca, starts_a[i][1] + node.cb
        end = ca_end * n2 - cb_end * n1
        at_end = (end, ca_end / n1 - cb_end / n2)  # scipy's float, as the window computes it
        h_max, h_min = max(h_max, at_end), min(h_min, at_end)
        if node.state == "summary":
            area += abs(_signed_area(starts[i], node, n1, n2))
        elif node.state == "single":
            for r in ranks:
                if starts_a[i][0] <= r < ca_end:
                    values[r] = node.lo
        if i + 1 < len(order):  # H is constant from this bucket's last value to the next one's first
            with np.errstate(invalid="ignore", over="ignore"):
                area += float(np.float64(abs(end)) * (np.float64(order[i + 1].lo) - np.float64(node.hi)))
    trace["buckets"] += len(order)
    edges = quantile_edges(lambda idx: np.array([values[int(i)] for i in idx], dtype=np.float64), n1, bins)
    ref_bins, cur_bins = source.bins(edges)
    return EcdfSummary(n1, n2, miss1, miss2, h_max[0], h_max[1], h_min[0], h_min[1], area,
                       tuple(edges.tolist()), ref_bins, cur_bins)


def _nodes(rows: list[tuple[int, int, int, float, float, float, float]], level: int) -> list[_Node]:
    """Per-side bucket rows → one node per non-empty bucket, in value order (keys grow with x)."""
    nodes: dict[int, _Node] = {}
    for key, side, count, lo, hi, offset_sum, anchor in rows:
        node = nodes.setdefault(int(key), _Node(int(key), level, 0, 0, math.inf, -math.inf, 0.0, 0.0, float(anchor)))
        if side == 0:
            node.ca, node.sa = int(count), float(offset_sum)
        else:
            node.cb, node.sb = int(count), float(offset_sum)
        node.lo, node.hi = min(node.lo, float(lo)), max(node.hi, float(hi))
    return [nodes[k] for k in sorted(nodes)]


def _cumulative(order: list[_Node]) -> list[tuple[int, int]]:
    """Rows of each side before each node."""
    out, a, b = [], 0, 0
    for node in order:
        out.append((a, b))
        a, b = a + node.ca, b + node.cb
    return out


def _starts(order: list[_Node], n1: int, n2: int) -> list[int]:
    """H just before each node (exact integers)."""
    return [a * n2 - b * n1 for a, b in _cumulative(order)]


def _signed_area(start: int, node: _Node, n1: int, n2: int) -> float:
    """∫ H dx from the bucket's min to its max, where H keeps one sign inside the bucket.

    H(x) = start + n2·#ref(≤ x) − n1·#cur(≤ x) inside the bucket, and ∫ #ref(≤ x) dx over
    [min, max] is Σ (max − a) = count·(max − anchor) − Σ (a − anchor): offsets from a nearby
    anchor, so nothing cancels catastrophically when the values are large and close together.
    """
    span = node.hi - node.lo
    ref = node.ca * (node.hi - node.anchor) - node.sa
    cur = node.cb * (node.hi - node.anchor) - node.sb
    return float(start) * span + float(n2) * ref - float(n1) * cur
