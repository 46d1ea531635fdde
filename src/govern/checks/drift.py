"""`drift` check: reference vs current data per feature, optionally a multivariate domain classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement
from govern.checks.data_params import as_list, open_data, setting
from govern.checks.progress import feature_progress

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec

#: The domain classifier's sample seed: a model is trained on a sample, so the sample is fixed.
DOMAIN_SEED = 0


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    from govern.stats.drift import engine_drift

    p = spec.params
    ref_name = str(p.get("reference") or "data/reference.csv")
    cur_name = str(p.get("current") or "data/current.csv")
    data = open_data(ctx, [ref_name, cur_name])
    engine, (reference, current) = data.engine, data.tables
    columns = as_list(setting(p, ctx, "columns", "features")) or None
    categorical = as_list(setting(p, ctx, "categorical")) or None
    ref_columns, cur_columns = engine.columns(reference), engine.columns(current)
    if columns is None:  # identifiers (`*_id`) are not features
        columns = [c for c in ref_columns if c in cur_columns and not str(c).endswith("_id")]
    segment_by = as_list(p.get("segment_by"))
    if segment_by:  # both tables need the segment columns; say so before computing anything
        data.require(0, segment_by, ref_name)
        data.require(1, segment_by, cur_name)
        columns = [c for c in columns if c not in segment_by]
    n_rows = engine.n_rows(reference) + engine.n_rows(current)
    result = engine_drift(
        engine, reference, current, columns=columns, categorical=categorical, segment_by=segment_by or None,
        bins=int(p.get("bins", 10)), psi_threshold=float(p.get("psi_threshold", 0.25)),
        pvalue_threshold=float(p.get("pvalue_threshold", 0.05)), min_effect=float(p.get("min_effect", 0.1)),
        progress=feature_progress(f"drift {spec.id}", len(columns), n_rows))
    features = [f.to_dict() for f in result.features]
    psis = [f.stats.psi for f in result.features if f.stats.psi is not None]
    measured = {
        "drifted_count": result.n_drifted, "drifted": list(result.drifted_features),
        "unassessed_count": len(result.undetermined_features) + len(result.missing_in_current),
        "unassessed": list(result.undetermined_features) + list(result.missing_in_current),
        "share_drifted": result.share_drifted, "max_psi": max(psis) if psis else None,
        "n_features": result.n_features, "features": features, "thresholds": dict(result.thresholds),
        "segments": [s.to_dict() for s in result.segments],
    }
    if not data.in_memory:
        measured["engine"] = engine.name
    details = [f"{f.name}: " + "; ".join(f.because) for f in result.features if f.drifted]
    details += [f"{name}: cannot be assessed" for name in measured["unassessed"]]
    if p.get("domain_classifier"):
        from govern.stats.domain_classifier import domain_classifier_drift

        max_rows = int(p.get("max_rows", 20000))
        if data.in_memory:
            ref_rows, cur_rows = reference, current
        else:
            # A model, not a statistic: it trains on a seeded sample the engine draws (the rows
            # with the smallest hash of content and seed), the same rows on every run.
            ref_rows = engine.sample(reference, [c for c in columns if c in ref_columns], max_rows, DOMAIN_SEED)
            cur_rows = engine.sample(current, [c for c in columns if c in cur_columns], max_rows, DOMAIN_SEED)
            measured["domain_sample"] = {"rows_per_side": max_rows, "seed": DOMAIN_SEED,
                                         "method": "smallest hash of (row, seed)"}
        dc = domain_classifier_drift(ref_rows, cur_rows, columns=columns, max_rows=max_rows)
        measured["domain_auc"] = dc.auc
        measured["domain_top_features"] = [list(t) for t in dc.top_features]
    message = (f"{result.n_drifted} of {result.n_features} features drifted"
               + (f" ({', '.join(result.drifted_features[:5])})" if result.drifted_features else "")
               + (f"; {measured['unassessed_count']} could not be assessed" if measured["unassessed_count"] else ""))
    if "domain_auc" in measured and measured["domain_auc"] is not None:
        message += f"; domain classifier AUC {measured['domain_auc']:.3f}"
    return Measurement(measured=measured, ok=None, message=message, evidence=data.refs, details=details)
