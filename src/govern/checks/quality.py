"""`data_quality` check: schema, missing values, ranges against the training domain, duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.checks.data_params import as_list, data_file, setting, table

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.stats.quality import data_quality

    p = spec.params
    frame, ref = table(ctx, data_file(p, "data/current.csv"))
    evidence = [ref]
    reference = None
    reference_name = p.get("reference")
    if reference_name is None and ctx.optional_file("data/reference.csv") is not None and "ranges" not in p:
        reference_name = "data/reference.csv"  # the training domain is the model's domain of applicability
    if reference_name:
        reference, reference_ref = table(ctx, str(reference_name))
        evidence.append(reference_ref)
    columns = as_list(setting(p, ctx, "columns", "features")) or [c for c in frame.columns
                                                                   if not str(c).endswith("_id")]
    frame = frame[[c for c in frame.columns if c in columns]]  # identifiers are not part of the domain
    if reference is not None:
        reference = reference[[c for c in reference.columns if c in columns]]
    report = data_quality(frame, schema=p.get("schema"), max_missing=p.get("max_missing"),
                          ranges={k: tuple(v) for k, v in (p.get("ranges") or {}).items()} or None,
                          reference_df=reference, check_duplicates=bool(p.get("duplicates", True)))
    data = report.to_dict()
    measured = {
        "problem_count": len(report.issues), "issues": list(report.issues), "n_rows": report.n_rows,
        "duplicates": report.n_duplicate_rows, "columns": data.get("columns", []),
        "schema": data.get("schema"),
    }
    message = (f"{len(report.issues)} data-quality problem(s)" if report.issues
               else f"{report.n_rows} rows × {report.n_columns} columns: no problems")
    return Measurement(measured=measured, ok=None, message=message, evidence=evidence, details=list(report.issues))
