"""`latency` check: mean and percentile latency from a sample table (or `metrics.latency.*`).

The sample may be a CSV/Parquet file or any data source (a DuckDB table, a Spark table): the
percentiles are exact order statistics on every engine (:mod:`govern.stats.latency`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.checks.base import Measurement
from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    source_name = spec.params.get("file") or spec.params.get("role")
    if not source_name:
        return Measurement(ok=None, message="latency read from metrics")
    from govern.checks.data_params import open_data
    from govern.stats.latency import LatencyDataError, engine_latency

    name = str(source_name)
    data = open_data(ctx, [name])
    engine, table = data.engine, data.tables[0]
    column = str(spec.params.get("column", "latency_ms"))
    available = engine.columns(table)
    if column not in available:
        raise InputError(Diagnostic("latency-column", f"{name} has no column `{column}`", Span(name, 1, 1),
                                    f"columns: {', '.join(available)}"))
    over = float(spec.params.get("over_ms", 200))
    try:
        summary = engine_latency(engine, table, column, over)
    except LatencyDataError as exc:
        line = _first_bad_line(table, column, name) if data.in_memory else 0
        raise InputError(Diagnostic("latency-value", str(exc), Span(name, line, 1 if line else 0))) from None
    measured: dict[str, Any] = summary.to_dict()
    if not data.in_memory:
        measured["engine"] = engine.name
    message = (f"mean {summary.mean:.1f} ms, p95 {summary.p95:.1f} ms, "
               f"{summary.share_over:.1%} over {over:g} ms (n={summary.n})")
    return Measurement(measured=measured, ok=None, message=message, evidence=data.refs)


def _first_bad_line(frame: Any, column: str, name: str) -> int:
    """The CSV line of the first value that is not a finite, non-negative number (0 for Parquet)."""
    if not name.lower().endswith((".csv", ".csv.gz")):
        return 0
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    return int(bad[0]) + 2 if bad.size else 0  # the header is line 1
