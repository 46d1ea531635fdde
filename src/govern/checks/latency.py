"""`latency` check: mean and percentile latency from a sample file (or `metrics.latency.*`)."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), without importing numpy."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    source_name = spec.params.get("file") or spec.params.get("role")
    if not source_name:
        return Measurement(ok=None, message="latency read from metrics")
    from govern.evidence.reading import read_text

    source = ctx.file(str(source_name))
    text, name = read_text(source, "data")
    column = str(spec.params.get("column", "latency_ms"))
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise InputError(Diagnostic("latency-column", f"{name} has no column `{column}`", Span(name, 1, 1),
                                    f"columns: {', '.join(reader.fieldnames or [])}"))
    values: list[float] = []
    for line_no, row in enumerate(reader, start=2):
        raw = row.get(column)
        try:
            value = float(raw) if raw not in (None, "") else math.nan
        except ValueError:
            raise InputError(Diagnostic("latency-value", f"`{raw}` is not a number", Span(name, line_no, 1))) from None
        if not math.isfinite(value) or value < 0:
            raise InputError(Diagnostic("latency-value", f"latency `{raw}` must be a finite, non-negative number",
                                        Span(name, line_no, 1)))
        values.append(value)
    if not values:
        raise InputError(Diagnostic("latency-empty", f"{name} has no latency values", Span(name)))
    values.sort()
    over = float(spec.params.get("over_ms", 200))
    measured = {
        "n": len(values), "mean": sum(values) / len(values), "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95), "p99": percentile(values, 0.99), "max": values[-1],
        "share_over": sum(v > over for v in values) / len(values), "over_ms": over,
    }
    message = (f"mean {measured['mean']:.1f} ms, p95 {measured['p95']:.1f} ms, "
               f"{measured['share_over']:.1%} over {over:g} ms (n={len(values)})")
    return Measurement(measured=measured, ok=None, message=message, evidence=[ctx.ref(source)])
