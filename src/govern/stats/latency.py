"""A column of latencies → count, mean, percentiles, maximum and the share over a limit.

Percentiles are exact on every engine: the engine returns the order statistics at the two
ranks each percentile interpolates between (no approximate quantile sketch), and the
interpolation — linear between closest ranks, numpy's default rule — is done here, once. The
mean is the engine's sum over the count (sums are added in a different order on each engine,
so means agree to ~1e-15 relative, not bit for bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.stats.values import ToDict

if TYPE_CHECKING:
    from govern.stats.engines.base import Engine

PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


class LatencyDataError(ValueError):
    """The column cannot be a sample of latencies (missing, negative or infinite values, text)."""


@dataclass(frozen=True, slots=True)
class LatencySummary(ToDict):
    n: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float
    share_over: float
    over_ms: float


def _position(n: int, q: float) -> tuple[int, int, float]:
    """The two 0-based ranks a percentile interpolates between, and the fraction of the way."""
    position = (n - 1) * q
    low = math.floor(position)
    return low, min(low + 1, n - 1), position - low


def percentile_from(values: dict[int, float], n: int, q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) from the order statistics it needs."""
    if n == 1:
        return values[0]
    low, high, fraction = _position(n, q)
    return values[low] + (values[high] - values[low]) * fraction


def engine_latency(engine: "Engine[Any]", table: Any, column: str, over_ms: float) -> LatencySummary:
    """Every statistic from aggregates: missing count, extremes and sum, a few order statistics, one count."""
    kind = engine.simple_type(table, column)
    missing = engine.missing_counts(table, [column])[column]
    if kind not in ("integer", "number"):
        raise LatencyDataError(f"column `{column}` holds {kind} values, not numbers of milliseconds")
    n, low, high, total = engine.numeric_summaries(table, [column])[column]
    if missing:
        raise LatencyDataError(f"column `{column}` has {missing} missing value(s): every latency must be a finite, "
                               "non-negative number")
    if n == 0:
        raise LatencyDataError(f"column `{column}` has no latency values")
    assert low is not None and high is not None
    if low < 0 or not math.isfinite(high):
        bad = low if low < 0 else high
        raise LatencyDataError(f"latency `{bad:g}` in column `{column}` must be a finite, non-negative number")
    ranks = sorted({r for q in PERCENTILES.values() for r in _position(n, q)[:2]})
    counted, values = engine.order_statistics(table, column, lambda _: ranks)
    assert counted == n
    over = engine.counts_outside(table, {column: (None, over_ms)})[column]
    return LatencySummary(n, total / n, *(percentile_from(values, n, q) for q in PERCENTILES.values()),
                          high, over / n, over_ms)
