"""Section 5, Gate graph and checks: one table per gate, what each check measured, and the graph's edges.

``measured_text`` is the one-line summary of a check by kind; the later sections give the
detail, so this stays short enough for a table cell. It is public because tests assert that
every check's summary appears in the PDF.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import fmt
from govern.report.sections.common import PASSING, default_condition, evidence_refs
from govern.report.sections.people import person_name

if TYPE_CHECKING:
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy


def measured_text(check: dict[str, Any]) -> str:
    """One or two lines saying what a check measured, by kind (the tables in later sections give the detail)."""
    m = check.get("measured") or {}
    kind = check.get("kind")
    if kind == "fairness" and m:
        parts = [f"min impact ratio {fmt(m.get('min_impact_ratio'))}", f"max TPR gap {fmt(m.get('max_tpr_gap'))}",
                 f"max FPR gap {fmt(m.get('max_fpr_gap'))}"]
        if m.get("too_small"):
            parts.append(f"{len(m['too_small'])} group(s) too small")
        return "; ".join(parts)
    if kind == "performance_by_group" and m:
        return (f"{str(m.get('metric', '')).upper()} overall {fmt(m.get('overall'))}; worst {fmt(m.get('worst'))} "
                f"({m.get('worst_group')}); gap {fmt(m.get('gap'))}")
    if kind == "drift" and m:
        text = f"{m.get('drifted_count')} of {m.get('n_features')} features drifted; max PSI {fmt(m.get('max_psi'))}"
        if m.get("unassessed_count"):
            text += f"; {m['unassessed_count']} not assessable"
        if m.get("domain_auc") is not None:
            text += f"; domain AUC {fmt(m['domain_auc'])}"
        return text
    if kind == "data_quality" and m:
        return f"{m.get('problem_count')} problem(s) in {fmt(m.get('n_rows'))} rows; {m.get('duplicates', 0)} duplicates"
    if kind == "tests" and m:
        text = f"{m.get('tests', 0)} tests, {m.get('failures', 0)} failures, {m.get('errors', 0)} errors"
        if m.get("missing"):
            text += f"; missing suites: {', '.join(m['missing'])}"
        return text
    if kind == "documentation" and m:
        return _problems(m, "missing", "trivial") or "all required sections present"
    if kind == "reproducibility" and m:
        return (f"{m.get('packages')} packages, {len(m.get('unpinned') or [])} unpinned; "
                f"{len(m.get('seeds') or {})} seeds; {m.get('data_references')} data digests, "
                f"{len(m.get('digest_mismatches') or [])} mismatched")
    if kind == "lineage" and m:
        v = m.get("violations") or []
        return f"{len(v)} violation(s) of {', '.join(m.get('rules') or [])}"
    if kind == "artifact" and m:
        return _problems(m, "missing", "mismatched") or "all artifacts present, digests match"
    if kind == "stability" and m:
        return (f"max change {fmt(m.get('max_change'), 4)}, mean {fmt(m.get('mean_change'), 4)} "
                f"(ε {fmt(m.get('epsilon'))}, {m.get('rows')} rows)")
    if kind == "document":
        return "present" if check.get("status") == "passed" else "missing or empty"
    scalars = [(k, v) for k, v in m.items() if isinstance(v, (int, float, str, bool)) or v is None]
    if scalars:
        return "; ".join(f"{k} = {fmt(v, 4)}" for k, v in scalars[:6])
    return "—"


def _problems(measured: dict[str, Any], *keys: str) -> str:
    """`missing: a, b; trivial: c` from the measured lists that are non-empty ('' when all are empty)."""
    return "; ".join(f"{key}: {', '.join(map(str, measured[key]))}" for key in keys if measured.get(key))


def build_gate(g: dict[str, Any], people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    checks = []
    counts: dict[str, int] = {}
    for c in g["checks"]:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
        checks.append({
            "qid": f"{g['id']}.{c['id']}", "id": c["id"], "title": c.get("title") or c["id"].replace("_", " "),
            "kind": c["kind"], "status": c["status"], "enforcement": c["enforcement"],
            "condition": c.get("expected") or default_condition(c["kind"]), "measured": measured_text(c),
            "message": c.get("message") or "", "evidence": evidence_refs(c.get("evidence", [])),
            "citation": c.get("citation"), "location": c.get("location"), "waiver": c.get("waiver"),
            "details": list(c.get("details") or [])[:8], "more_details": max(0, len(c.get("details") or []) - 8),
        })
    signoffs = []
    for s in g["signoffs"]:
        approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
        signoffs.append({"id": s.get("id"), "role": s["role"], "title": s.get("title"), "required": s["required"],
                         "approved": approved, "status": s["status"], "message": s.get("message") or "",
                         "signers": [person_name(people, a.get("signer")) for a in s.get("approvals", [])]})
    n_pass = sum(counts.get(k, 0) for k in PASSING)
    lines = [f"{n_pass}/{len(checks)} checks pass" if checks else "no checks"]
    if signoffs:
        lines.append(f"{sum(1 for s in signoffs if s['status'] == 'passed')}/{len(signoffs)} sign-offs done")
    return {"id": g["id"], "title": g["title"], "status": g["status"], "message": g.get("message") or "",
            "blocked_by": list(g.get("blocked_by") or []), "checks": checks, "signoffs": signoffs,
            "counts": counts, "counts_lines": lines}


def build_gate_edges(decision: dict[str, Any], policy: "Policy | None", plan: "Plan | None") -> list[tuple[str, str]]:
    ids = [g["id"] for g in decision.get("gates", [])]
    if plan is not None:
        return [(a, b) for a, b in plan.edges if a in ids and b in ids]
    if policy is not None and decision.get("tier") in getattr(policy, "templates", {}):
        from govern.policy.stages import stage_edges

        return [(a, b) for a, b in stage_edges(policy.templates[decision["tier"]]) if a in ids and b in ids]
    edges = set()
    for g in decision.get("gates", []):
        for b in g.get("blocked_by") or []:
            edges.add((b, g["id"]))
    return sorted(edges) if edges else list(zip(ids, ids[1:]))
