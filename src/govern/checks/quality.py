"""`data_quality` check: schema, missing values, ranges against the training domain, duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.checks.data_params import as_list, data_file, open_data, setting

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.stats.quality import engine_quality

    p = spec.params
    reference_name = p.get("reference")
    if reference_name is None and ctx.optional_file("data/reference.csv") is not None and "ranges" not in p:
        reference_name = "data/reference.csv"  # the training domain is the model's domain of applicability
    names = [data_file(p, "data/current.csv")] + ([str(reference_name)] if reference_name else [])
    data = open_data(ctx, names)
    engine, table = data.engine, data.tables[0]
    # identifiers (`*_id`) are not part of the domain
    columns = as_list(setting(p, ctx, "columns", "features")) or [c for c in engine.columns(table)
                                                                   if not str(c).endswith("_id")]
    report = engine_quality(engine, table, columns=columns, schema=p.get("schema"), max_missing=p.get("max_missing"),
                            ranges={k: tuple(v) for k, v in (p.get("ranges") or {}).items()} or None,
                            reference=data.tables[1] if reference_name else None,
                            check_duplicates=bool(p.get("duplicates", True)))
    found = report.to_dict()
    measured = {
        "problem_count": len(report.issues), "issues": list(report.issues), "n_rows": report.n_rows,
        "duplicates": report.n_duplicate_rows, "columns": found.get("columns", []),
        "schema": found.get("schema"),
    }
    if not data.in_memory:
        measured["engine"] = engine.name
    message = (f"{len(report.issues)} data-quality problem(s)" if report.issues
               else f"{report.n_rows} rows × {report.n_columns} columns: no problems")
    return Measurement(measured=measured, ok=None, message=message, evidence=data.refs, details=list(report.issues))
