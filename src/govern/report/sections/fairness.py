"""Section 6, Fairness: selection rates and error-rate gaps per group, single attributes and intersections.

The raw groupings are kept (under ``_groupings``) until the figures are drawn, since the
chart needs the numbers and the tables need them formatted.
"""

from __future__ import annotations

from typing import Any

from govern.report.formatting import fmt, pct
from govern.report.sections.common import checks_of, default_condition, evidence_refs


def build_fairness(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g, c in checks_of(decision, "fairness"):
        m = c.get("measured") or {}
        groupings = []
        for gr in m.get("groupings") or []:
            groups = []
            for x in gr.get("groups", []):
                groups.append({"label": x["label"], "n": x["n"], "selected": x.get("n_selected"),
                               "rate": pct(x.get("selection_rate")), "rate_value": x.get("selection_rate"),
                               "impact": fmt(x.get("impact_ratio")), "impact_value": x.get("impact_ratio"),
                               "below": (x.get("impact_ratio") is not None and x["impact_ratio"] < 0.8
                                         and not x.get("too_small")),
                               "tpr": pct(x.get("tpr")), "fpr": pct(x.get("fpr")), "accuracy": pct(x.get("accuracy")),
                               "too_small": bool(x.get("too_small")), "reasons": list(x.get("reasons") or [])})
            groupings.append({
                "attributes": list(gr.get("attributes", [])), "name": " × ".join(gr.get("attributes", [])),
                "intersection": len(gr.get("attributes", [])) > 1, "groups": groups,
                "assessable": [x for x in groups if not x["too_small"]],
                "too_small": list(gr.get("too_small_groups") or []),
                "n_groups": gr.get("n_groups"), "n_assessable": gr.get("n_assessable"),
                "most": gr.get("most_selected_group"), "least": gr.get("least_selected_group"),
                "min_impact_ratio": fmt(gr.get("min_impact_ratio")),
                "min_impact_value": gr.get("min_impact_ratio"),
                "dp_difference": fmt(gr.get("demographic_parity_difference")),
                "tpr_gap": fmt(gr.get("max_tpr_gap")), "fpr_gap": fmt(gr.get("max_fpr_gap")),
                "eo_difference": fmt(gr.get("equalized_odds_difference")),
                "reasons": list(gr.get("reasons") or []),
            })
        out.append({
            "qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
            "message": c.get("message") or "", "condition": c.get("expected") or default_condition("fairness"),
            "citation": c.get("citation"), "evidence": evidence_refs(c.get("evidence", [])),
            "available": bool(groupings), "n": m.get("n"), "rate_kind": m.get("rate"),
            "summary": [("Lowest impact ratio", fmt(m.get("min_impact_ratio"))),
                        ("Demographic parity ratio", fmt(m.get("demographic_parity_ratio"))),
                        ("Largest TPR gap", fmt(m.get("max_tpr_gap"))),
                        ("Largest FPR gap", fmt(m.get("max_fpr_gap"))),
                        ("Equalised odds difference", fmt(m.get("equalized_odds_difference")))] if groupings else [],
            "single": [x for x in groupings if not x["intersection"]],
            "intersections": [x for x in groupings if x["intersection"]],
            "too_small": list(m.get("too_small") or []),
            "_groupings": m.get("groupings") or [],
        })
    return out
