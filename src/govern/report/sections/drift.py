"""Section 7, Drift and data quality: per-feature drift statistics, segments, and column checks.

Drift rows are sorted drifted first, then by PSI, so the features the distribution plots
show (the first few) are the ones that matter. On paper: every drifted or unassessed
feature and the next few by PSI, and the data-quality columns with a problem; every row of
both is embedded as CSV (:mod:`govern.report.attachments`). The plots need the evidence
files and are drawn in :mod:`govern.report.figures`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import fmt, pct, pvalue
from govern.report.sections.common import checks_of, default_condition, evidence_refs

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle


#: drift rows on paper: every drifted or unassessed feature, then stable ones by PSI (largest first)
#: up to this many rows; every feature is in the report's drift-features.csv attachment
DRIFT_ROWS = 6


def build_drift(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> list[dict[str, Any]]:
    out = []
    for g, c in checks_of(decision, "drift"):
        m = c.get("measured") or {}
        rows = []
        for f in m.get("features") or []:
            s = f.get("stats") or {}
            numeric = f.get("kind") == "numeric"
            flag = "DRIFTED" if f.get("drifted") else ("NOT ASSESSED" if f.get("drifted") is None else "stable")
            rows.append({
                "name": f["name"], "kind": f.get("kind"), "drifted": f.get("drifted"), "flag": flag,
                "test": "KS" if numeric else "χ²",
                "statistic": fmt(s.get("ks_statistic") if numeric else s.get("chi2_statistic")),
                "pvalue": pvalue(s.get("ks_pvalue") if numeric else s.get("chi2_pvalue")),
                "psi": fmt(s.get("psi")), "psi_value": s.get("psi") if isinstance(s.get("psi"), (int, float)) else -1,
                "wasserstein": fmt(s.get("wasserstein")) if numeric else "—",
                "cramers_v": fmt(s.get("cramers_v")) if not numeric else "—",
                "n_ref": s.get("n_reference"), "n_cur": s.get("n_current"),
                "because": "; ".join(f.get("because") or []) or (s.get("reason") or ""),
            })
        rows.sort(key=lambda r: (0 if r["drifted"] else 1 if r["drifted"] is None else 2, -r["psi_value"], r["name"]))
        shown = [r for r in rows if r["drifted"] is not False]
        shown += [r for r in rows if r["drifted"] is False][:max(0, DRIFT_ROWS - len(shown))]
        rest = rows[len(shown):]
        thresholds = m.get("thresholds") or {}
        paths = [e["path"] for e in c.get("evidence", [])]
        out.append({
            "qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
            "message": c.get("message") or "", "condition": c.get("expected") or default_condition("drift"),
            "citation": c.get("citation"), "evidence": evidence_refs(c.get("evidence", [])), "waiver": c.get("waiver"),
            "available": bool(rows), "features": rows, "thresholds": thresholds, "shown": shown,
            "rest": len(rest), "rest_max_psi": fmt(max((r["psi_value"] for r in rest), default=None)) if rest else None,
            "thresholds_text": ", ".join(f"{k.replace('_', ' ')} {fmt(v)}" for k, v in thresholds.items()),
            "drifted_count": m.get("drifted_count"), "n_features": m.get("n_features"),
            "share": pct(m.get("share_drifted")), "max_psi": fmt(m.get("max_psi")),
            "unassessed": list(m.get("unassessed") or []),
            "domain_auc": fmt(m.get("domain_auc")) if m.get("domain_auc") is not None else None,
            "domain_top": [{"name": t[0], "importance": fmt(t[1]) if len(t) > 1 else "—"}
                           for t in (m.get("domain_top_features") or [])[:10]],
            "segments": [{"segment": ", ".join(f"{k}={v}" for k, v in (s.get("segment") or {}).items()),
                          "n_ref": s.get("n_reference"), "n_cur": s.get("n_current"), "n_drifted": s.get("n_drifted"),
                          "drifted": ", ".join(s.get("drifted_features") or []) or "none"}
                         for s in m.get("segments") or []],
            "reference_path": paths[0] if paths else None, "current_path": paths[1] if len(paths) > 1 else None,
            "plots_note": None,
        })
    return out


def build_quality(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g, c in checks_of(decision, "data_quality"):
        m = c.get("measured") or {}
        cols = []
        for col in m.get("columns") or []:
            problem = bool(col.get("missing_exceeded")) or bool(col.get("n_out_of_range")) or bool(
                col.get("n_unseen_categories"))
            rng = "—"
            if col.get("range_low") is not None or col.get("range_high") is not None:
                rng = f"[{fmt(col.get('range_low'))}, {fmt(col.get('range_high'))}]"
            cols.append({"name": col.get("name"), "type": col.get("type") or "—",
                         "missing": pct(col.get("missing_rate")), "max_missing": pct(col.get("max_missing")),
                         "range": rng, "range_source": col.get("range_source") or "",
                         "out_of_range": col.get("n_out_of_range") if col.get("n_out_of_range") is not None else "—",
                         "unseen": col.get("n_unseen_categories") if col.get("n_unseen_categories") is not None else "—",
                         "flag": "PROBLEM" if problem else "ok"})
        problems = [col for col in cols if col["flag"] == "PROBLEM"]  # on paper; every column in the CSV
        out.append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
                    "message": c.get("message") or "", "issues": list(m.get("issues") or []), "columns": cols,
                    "shown": problems, "rest": len(cols) - len(problems),
                    "n_rows": m.get("n_rows"), "duplicates": m.get("duplicates"),
                    "evidence": evidence_refs(c.get("evidence", []))})
    return out
