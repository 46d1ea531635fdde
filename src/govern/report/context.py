"""Decision + policy + plan + evidence bundle + audit store → the report's view-model.

The view-model is plain data (dicts, lists, strings, numbers) so the Jinja2 templates in
``reports/`` only *format*: a risk team can restyle or reorder the report without reading
Python. Everything numeric comes from ``Decision.to_dict()`` — the same record that is
embedded in the PDF — never from a second evaluation. The policy, plan and bundle add what
the decision does not carry: rule text, role titles, people, RACI, the lineage graph, the
raw data for drift plots and the evidence manifest. Each is optional (a report from the
audit store may have no evidence folder at hand); a section without its source says so.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.load.use_case import UseCase
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy

STATUS_ORDER = ("failed", "error", "pending", "blocked", "warned", "waived", "passed")
PASSING = ("passed", "warned", "waived")
EXPIRING_WITHIN_DAYS = 30
DRIFT_PLOTS = 4
AUDIT_EVENTS = 25


# --------------------------------------------------------------------------- small formatters

def short(digest: str | None, n: int = 12) -> str:
    """``sha256:abcdef…`` → ``abcdef123456`` (first n hex digits); '—' when absent."""
    if not digest:
        return "—"
    return str(digest).split(":", 1)[-1][:n]


def fmt(value: Any, digits: int = 3) -> str:
    """A measured value for a table cell: floats to `digits` significant decimals, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u2009") if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if value == 0:
            return "0"
        if abs(value) < 10 ** -digits or abs(value) >= 1e6:
            return f"{value:.{max(digits - 1, 1)}e}"
        if abs(value) >= 100:
            return f"{value:,.1f}".replace(",", "\u2009")
        return f"{value:.{digits}f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {fmt(v, digits)}" for k, v in value.items())
    return str(value)


def pct(value: Any, digits: int = 1) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def pvalue(value: Any) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    if value < 1e-4:
        return "< 0.0001"
    return f"{value:.4f}"


def _date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return _dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """An ISO timestamp as ``2026-05-20 14:30 UTC``."""
    if not value:
        return "—"
    text = str(value)
    if "T" in text:
        day, _, clock = text.partition("T")
        return f"{day} {clock[:5]} UTC"
    return text


# --------------------------------------------------------------------------- entry point

def build_context(decision: dict[str, Any], *, policy: "Policy | None" = None, plan: "Plan | None" = None,
                  use_case: "UseCase | None" = None, bundle: "EvidenceBundle | None" = None,
                  audit: dict[str, Any] | None = None, theme: dict[str, Any] | None = None,
                  source: str = "evaluated", charts: bool = True) -> dict[str, Any]:
    """The whole report as data. ``decision`` is ``Decision.to_dict()`` (or the store's copy of it)."""
    theme = theme or {}
    people = _people(policy)
    gates = [_gate(g, people) for g in decision.get("gates", [])]
    ctx: dict[str, Any] = {
        "source": source,
        "meta": _meta(decision, policy, use_case, bundle),
        "theme": theme,
    }
    ctx["stages"] = _stages(decision)
    ctx["summary"] = _summary(decision, gates, policy, people)
    ctx["classification"] = _classification(decision, policy)
    ctx["raci"] = _raci(decision, policy, plan)
    ctx["gates"] = gates
    edges = _gate_edges(decision, policy, plan)
    ctx["gate_edges"] = edges
    ctx["fairness"] = _fairness(decision)
    ctx["drift"] = _drift(decision, bundle)
    ctx["quality"] = _quality(decision)
    ctx["performance"] = _performance(decision)
    ctx["lineage"] = _lineage(decision, bundle)
    ctx["signoffs"] = _signoffs(decision, people, policy)
    ctx["waivers"] = ctx["summary"]["waivers"]
    ctx["reproducibility"] = _reproducibility(decision, bundle)
    ctx["audit"] = audit or {"recorded": False}
    ctx["appendix"] = _appendix(decision, policy)
    if charts:
        _draw(ctx, theme, decision, bundle)
    return ctx


# --------------------------------------------------------------------------- cover & summary

def _meta(decision: dict[str, Any], policy: "Policy | None", use_case: "UseCase | None",
          bundle: "EvidenceBundle | None") -> dict[str, Any]:
    model = decision.get("model") or {}
    uc = decision.get("use_case") or {}
    tier = decision.get("tier")
    tier_def = None
    if policy is not None:
        tier_def = next((t for t in policy.manifest.tiers if t.id == tier), None)
    pol = decision.get("policy") or {}
    return {
        "title": "Model governance report",
        "use_case": {"id": uc.get("id"), "name": uc.get("name"), "digest": uc.get("digest"),
                     "owner": getattr(use_case, "owner", None), "description": getattr(use_case, "description", None)},
        "model": {"name": model.get("name"), "version": model.get("version"), "owner": model.get("owner"),
                  "algorithm": model.get("algorithm"), "digest": decision.get("model_digest"),
                  "extra": {k: v for k, v in model.items() if k not in ("name", "version", "owner", "algorithm")
                            and isinstance(v, (str, int, float)) and not isinstance(v, bool)}},
        "tier": tier, "tier_title": getattr(tier_def, "title", None) or tier,
        "tier_description": getattr(tier_def, "description", None),
        "target": decision.get("target"), "allowed": bool(decision.get("allowed")),
        "verdict_word": "ALLOWED" if decision.get("allowed") else "BLOCKED",
        "verdict": decision.get("verdict"),
        "as_of": decision.get("as_of"),
        "policy": {"name": pol.get("name"), "version": pol.get("version"), "digest": pol.get("digest"),
                   "title": getattr(getattr(policy, "manifest", None), "title", None)},
        "policy_available": policy is not None,
        "evidence_digest": decision.get("evidence_digest"),
        "evidence_name": bundle.name if bundle is not None else None,
        "evidence_available": bundle is not None,
        "plan_digest": decision.get("plan_digest"),
        "decision_digest": decision.get("decision_digest"),
        "decision_short": short(decision.get("decision_digest")),
        "govern_version": decision.get("govern_version"),
    }


def _stages(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g in decision.get("gates", []):
        out.append({"id": g["id"], "title": g["title"], "status": g["status"],
                    "may_enter": g["status"] in PASSING, "message": g.get("message") or "",
                    "target": g["id"] == decision.get("target")})
    return out


def _find(decision: dict[str, Any], qualified: str) -> dict[str, Any] | None:
    gate_id, _, rest = qualified.partition(".")
    gate = next((g for g in decision.get("gates", []) if g["id"] == gate_id), None)
    if gate is None:
        return None
    if rest.startswith("signoff:"):
        key = rest.removeprefix("signoff:")
        s = next((s for s in gate["signoffs"] if s.get("id") == key or s["role"] == key), None)
        if s is None:
            return None
        return {"id": qualified, "kind": "sign-off", "title": s.get("title") or f"{s['role']} sign-off",
                "status": s["status"], "message": s.get("message") or "", "gate": gate_id}
    c = next((c for c in gate["checks"] if c["id"] == rest), None)
    if c is None:
        return {"id": qualified, "kind": "", "title": rest, "status": "", "message": "", "gate": gate_id}
    return {"id": qualified, "kind": c["kind"], "title": c.get("title") or c["id"], "status": c["status"],
            "message": c.get("message") or "", "gate": gate_id}


def _summary(decision: dict[str, Any], gates: list[dict[str, Any]], policy: "Policy | None",
             people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    as_of = _date(decision.get("as_of"))
    blocking = [b for b in (_find(decision, q) for q in decision.get("determining", [])) if b]
    counts: dict[str, int] = {s: 0 for s in STATUS_ORDER if s not in ("pending", "blocked")}
    for g in decision.get("gates", []):
        for c in g["checks"]:
            counts[c["status"]] = counts.get(c["status"], 0) + 1
    open_signoffs, waivers, expiring = [], [], []
    validity = _validity(policy, decision.get("tier"))
    for g in decision.get("gates", []):
        for s in g["signoffs"]:
            approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
            if s["status"] != "passed":
                open_signoffs.append({"gate": g["id"], "gate_title": g["title"], "role": s["role"],
                                      "role_title": _role_title(policy, s["role"]), "required": s["required"],
                                      "approved": approved, "status": s["status"],
                                      "holders": [people[p]["name"] for p in _holders(policy, s["role"])]})
            for a in s.get("approvals", []):
                expires = _expires(a, validity.get((g["id"], s.get("id") or s["role"])))
                if expires is not None and as_of is not None and (expires - as_of).days <= EXPIRING_WITHIN_DAYS:
                    expiring.append({"gate": g["id"], "role": s["role"], "signer": _name(people, a.get("signer")),
                                     "expires": expires.isoformat(), "days": (expires - as_of).days})
        for c in g["checks"]:
            w = c.get("waiver")
            if w:
                expires = _date(w.get("expires"))
                waivers.append({"check": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"],
                                "status": c["status"], "approver": _name(people, w.get("approver")),
                                "role": w.get("role"), "role_title": _role_title(policy, w.get("role")),
                                "reason": w.get("reason"), "expires": w.get("expires"),
                                "days": (expires - as_of).days if expires and as_of else None,
                                "source": w.get("source")})
    passing = [s for s in decision.get("gates", []) if s["status"] in PASSING]
    furthest = None
    for g in decision.get("gates", []):
        if g["status"] not in PASSING:
            break
        furthest = g
    total = sum(counts.values())
    return {
        "sentence": decision.get("verdict"),
        "blocking": blocking,
        "counts": counts, "total_checks": total,
        "gates_passing": len(passing), "gates_total": len(decision.get("gates", [])),
        "furthest": furthest["title"] if furthest else None,
        "open_signoffs": open_signoffs,
        "waivers": waivers,
        "expiring": sorted(expiring, key=lambda e: (e["expires"], e["gate"], e["role"])),
        "expiring_within": EXPIRING_WITHIN_DAYS,
    }


def _validity(policy: "Policy | None", tier: str | None) -> dict[tuple[str, str], _dt.timedelta]:
    if policy is None or tier not in getattr(policy, "templates", {}):
        return {}
    from govern.policy.model import parse_duration

    out: dict[tuple[str, str], _dt.timedelta] = {}
    for stage in policy.templates[tier].stages:
        for s in stage.gate.signoffs:
            if not s.valid_for:
                continue
            value = policy.resolve(s.valid_for)
            try:
                out[(stage.id, s.key)] = (_dt.timedelta(days=value) if isinstance(value, (int, float))
                                          else parse_duration(str(value)))
            except (ValueError, TypeError):
                continue
    return out


def _expires(approval: dict[str, Any], valid_for: _dt.timedelta | None) -> _dt.date | None:
    if approval.get("expires"):
        return _date(approval["expires"])
    signed = _date(approval.get("signed_at"))
    if signed is None or valid_for is None:
        return None
    return signed + valid_for


# --------------------------------------------------------------------------- people & roles

def _people(policy: "Policy | None") -> dict[str, dict[str, Any]]:
    if policy is None:
        return {}
    return {p.id: {"id": p.id, "name": p.name or p.id, "roles": list(p.roles), "email": getattr(p, "email", None),
                   "has_key": bool(getattr(p, "public_key", None))} for p in policy.manifest.people}


def _name(people: dict[str, dict[str, Any]], person: str | None) -> str:
    if not person:
        return "—"
    found = people.get(person)
    return f"{found['name']} ({person})" if found and found["name"] != person else person


def _holders(policy: "Policy | None", role: str) -> list[str]:
    return policy.holders(role) if policy is not None else []


def _role_title(policy: "Policy | None", role: str | None) -> str:
    if not role:
        return "—"
    if policy is not None:
        spec = policy.manifest.roles.get(role)
        if spec is not None and getattr(spec, "title", None):
            return spec.title
    return role.replace("_", " ")


def _raci(decision: dict[str, Any], policy: "Policy | None", plan: "Plan | None") -> dict[str, Any]:
    """Stages × roles with R/A/C/I, and who holds each role."""
    rows: list[tuple[str, str, dict[str, str]]] = []
    if plan is not None:
        rows = [(g, plan.gates[g].title, dict(plan.gates[g].raci)) for g in plan.order]
    elif policy is not None and decision.get("tier") in policy.templates:
        titles = {g["id"]: g["title"] for g in decision.get("gates", [])}
        rows = [(s.id, titles.get(s.id, s.title or s.id), {k: str(v) for k, v in s.raci.items()})
                for s in policy.templates[decision["tier"]].stages]
    if not rows:
        return {"available": False, "roles": [], "rows": [], "people": []}
    used = {r for _, _, raci in rows for r in raci}
    for g in decision.get("gates", []):
        used |= {s["role"] for s in g["signoffs"]}
    order = list(policy.manifest.roles) if policy is not None else []
    roles = [r for r in order if r in used] + sorted(used - set(order))
    role_rows = []
    for r in roles:
        spec = policy.manifest.roles.get(r) if policy is not None else None
        holders = _holders(policy, r)
        people = _people(policy)
        role_rows.append({"id": r, "title": _role_title(policy, r), "description": getattr(spec, "description", None),
                          "level": getattr(spec, "level", None),
                          "holders": [people[p]["name"] for p in holders if p in people]})
    signoff_roles = {(g["id"], s["role"]) for g in decision.get("gates", []) for s in g["signoffs"]}
    table = [{"gate": gid, "title": title,
              "cells": [{"value": str(raci.get(r, "")), "signs": (gid, r) in signoff_roles} for r in roles]}
             for gid, title, raci in rows]
    return {"available": True, "roles": role_rows, "rows": table}


# --------------------------------------------------------------------------- classification

def _classification(decision: dict[str, Any], policy: "Policy | None") -> dict[str, Any]:
    cls = decision.get("classification") or {}
    texts: dict[str, str] = {}
    questions: dict[str, str] = {}
    tiers: dict[str, str] = {}
    if policy is not None:
        texts = {r.id: r.text for r in policy.rules}
        questions = {name: (getattr(f, "question", None) or getattr(f, "title", None) or "")
                     for name, f in policy.facts.items()}
        tiers = {t.id: t.title or t.id for t in policy.manifest.tiers}
    rules = []
    for r in cls.get("rules", []):
        reads = []
        for path, value in (r.get("reads") or {}).items():
            fact = path.removeprefix("use_case.")
            reads.append({"path": path, "value": _shown(value), "question": questions.get(fact, "")})
        rules.append({"id": r["id"], "tier": r.get("tier"), "tier_title": tiers.get(r.get("tier"), r.get("tier")),
                      "status": r.get("status"), "effect": r.get("effect"), "citation": r.get("citation"),
                      "location": r.get("location"), "reads": reads, "message": r.get("message"),
                      "text": texts.get(r["id"])})
    return {"tier": cls.get("tier", decision.get("tier")), "default_tier_used": cls.get("default_tier_used"),
            "rules": rules, "not_fired": list(cls.get("not_fired", [])), "as_of": cls.get("as_of"),
            "policy_digest": cls.get("policy_digest")}


def _shown(value: Any) -> str:
    from govern.dsl.printer import value_text

    return value_text(value, fmt)


# --------------------------------------------------------------------------- gates & checks

def _evidence(refs: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    return [{"path": e["path"], "short": short(e.get("sha256"), 10), "sha256": e.get("sha256")} for e in refs]


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


def _gate(g: dict[str, Any], people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    checks = []
    counts: dict[str, int] = {}
    for c in g["checks"]:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
        checks.append({
            "qid": f"{g['id']}.{c['id']}", "id": c["id"], "title": c.get("title") or c["id"].replace("_", " "),
            "kind": c["kind"], "status": c["status"], "enforcement": c["enforcement"],
            "condition": c.get("expected") or _default_condition(c["kind"]), "measured": measured_text(c),
            "message": c.get("message") or "", "evidence": _evidence(c.get("evidence", [])),
            "citation": c.get("citation"), "location": c.get("location"), "waiver": c.get("waiver"),
            "details": list(c.get("details") or [])[:8], "more_details": max(0, len(c.get("details") or []) - 8),
        })
    signoffs = []
    for s in g["signoffs"]:
        approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
        signoffs.append({"id": s.get("id"), "role": s["role"], "title": s.get("title"), "required": s["required"],
                         "approved": approved, "status": s["status"], "message": s.get("message") or "",
                         "signers": [_name(people, a.get("signer")) for a in s.get("approvals", [])]})
    n_pass = sum(counts.get(k, 0) for k in PASSING)
    lines = [f"{n_pass}/{len(checks)} checks pass" if checks else "no checks"]
    if signoffs:
        lines.append(f"{sum(1 for s in signoffs if s['status'] == 'passed')}/{len(signoffs)} sign-offs done")
    return {"id": g["id"], "title": g["title"], "status": g["status"], "message": g.get("message") or "",
            "blocked_by": list(g.get("blocked_by") or []), "checks": checks, "signoffs": signoffs,
            "counts": counts, "counts_lines": lines}


def _default_condition(kind: str) -> str:
    return {
        "tests": "every suite present, no failures or errors", "documentation": "all sections present and non-trivial",
        "reproducibility": "environment locked, seeds recorded, data digests match",
        "lineage": "no lineage violations", "artifact": "all present, digests match",
        "fairness": "result.min_impact_ratio >= 0.8",
        "drift": "result.drifted_count == 0 and result.unassessed_count == 0",
        "data_quality": "result.problem_count == 0", "document": "document present and non-empty",
        "prohibited": "never passes",
    }.get(kind, "—")


def _gate_edges(decision: dict[str, Any], policy: "Policy | None", plan: "Plan | None") -> list[tuple[str, str]]:
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


# --------------------------------------------------------------------------- fairness

def _checks_of(decision: dict[str, Any], kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(g, c) for g in decision.get("gates", []) for c in g["checks"] if c["kind"] == kind]


def _fairness(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g, c in _checks_of(decision, "fairness"):
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
            "message": c.get("message") or "", "condition": c.get("expected") or _default_condition("fairness"),
            "citation": c.get("citation"), "evidence": _evidence(c.get("evidence", [])),
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


# --------------------------------------------------------------------------- drift & quality

def _drift(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> list[dict[str, Any]]:
    out = []
    for g, c in _checks_of(decision, "drift"):
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
        thresholds = m.get("thresholds") or {}
        paths = [e["path"] for e in c.get("evidence", [])]
        out.append({
            "qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
            "message": c.get("message") or "", "condition": c.get("expected") or _default_condition("drift"),
            "citation": c.get("citation"), "evidence": _evidence(c.get("evidence", [])), "waiver": c.get("waiver"),
            "available": bool(rows), "features": rows, "thresholds": thresholds,
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


def _quality(decision: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g, c in _checks_of(decision, "data_quality"):
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
        out.append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
                    "message": c.get("message") or "", "issues": list(m.get("issues") or []), "columns": cols,
                    "n_rows": m.get("n_rows"), "duplicates": m.get("duplicates"),
                    "evidence": _evidence(c.get("evidence", []))})
    return out


# --------------------------------------------------------------------------- performance

def _performance(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """One block per distinct (data, metric, grouping); checks that share it are listed together."""
    blocks: dict[str, dict[str, Any]] = {}
    for g, c in _checks_of(decision, "performance_by_group"):
        m = c.get("measured") or {}
        groups = m.get("groups") or []
        key = repr((m.get("metric"), [(x.get("label"), x.get("value"), x.get("n")) for x in groups],
                    [e["sha256"] for e in c.get("evidence", [])]))
        check = {"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
                 "condition": c.get("expected") or "—", "enforcement": c["enforcement"], "message": c.get("message") or ""}
        if key in blocks and groups:
            blocks[key]["checks"].append(check)
            _floor(blocks[key], m)
            continue
        overall = m.get("overall")
        rows = []
        for x in groups:
            value = x.get("value")
            gap = overall - value if isinstance(value, (int, float)) and isinstance(overall, (int, float)) else None
            flag = ("undefined" if value is None else "too small" if x.get("too_small")
                    else "worst" if x.get("label") == m.get("worst_group") else "")
            rows.append({"label": x.get("label"), "n": x.get("n"), "value": fmt(value), "gap": fmt(gap),
                         "flag": flag, "reason": x.get("reason") or ""})
        block = {"checks": [check], "metric": str(m.get("metric") or "").upper(), "overall": fmt(overall),
                 "worst": fmt(m.get("worst")), "worst_group": m.get("worst_group"), "gap": fmt(m.get("gap")),
                 "groups": rows, "available": bool(groups), "group_by": _group_by(groups),
                 "too_small": list(m.get("too_small") or []), "undefined": list(m.get("undefined") or []),
                 "evidence": _evidence(c.get("evidence", [])), "floor": None,
                 "_raw": {"groups": groups, "overall": overall, "metric": m.get("metric") or ""}}
        _floor(block, m)
        blocks[key] = block
    return list(blocks.values())


def _floor(block: dict[str, Any], measured: dict[str, Any]) -> None:
    for k, v in measured.items():
        if k.startswith("params.") and ("min" in k or "floor" in k) and isinstance(v, (int, float)):
            block["floor"] = v


def _group_by(groups: list[dict[str, Any]]) -> str:
    keys: list[str] = []
    for x in groups:
        for k in (x.get("group") or {}):
            if k not in keys:
                keys.append(k)
    return " × ".join(keys)


# --------------------------------------------------------------------------- lineage

def _lineage(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    checks = []
    for g, c in _checks_of(decision, "lineage"):
        m = c.get("measured") or {}
        checks.append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
                       "message": c.get("message") or "", "rules": list(m.get("rules") or []),
                       "violations": [" → ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                                      for v in (m.get("violations") or [])],
                       "details": list(c.get("details") or []), "evidence": _evidence(c.get("evidence", []))})
    info: dict[str, Any] = {"checks": checks, "available": False, "nodes": [], "graph": None, "note": None}
    if bundle is None:
        info["note"] = "The evidence folder was not available when this report was rendered."
        return info
    try:
        from govern.evidence.lineage import lineage_from_bundle

        graph = lineage_from_bundle(bundle)
    except Exception as exc:  # noqa: BLE001 -- a report must render even when lineage evidence is unusable
        from govern.errors import GovernError

        if isinstance(exc, GovernError):
            info["note"] = "; ".join(d.message for d in exc.diagnostics)
            return info
        raise
    nodes = []
    for node_id in graph.nodes:
        d = graph.nodes[node_id]
        tags = d.get("tags") or {}
        nodes.append({"id": node_id, "type": d.get("type"), "kind": d.get("kind") or "",
                      "name": d.get("name") or node_id.split(":", 1)[-1],
                      "pii": "yes" if tags.get("pii") else "no", "anonymised": "yes" if tags.get("anonymised") else "no",
                      "licence": tags.get("licence") or "—", "registered": "yes" if d.get("registered_source") else "no",
                      "origins": ", ".join(d.get("origins") or [])})
    type_rank = {"dataset": 0, "job": 1, "model": 2}
    info.update(available=True, nodes=sorted(nodes, key=lambda n: (type_rank.get(n["type"], 3), n["id"])),
                graph=graph, files=list(graph.graph.get("files", [])))
    return info


# --------------------------------------------------------------------------- sign-offs

def _signoffs(decision: dict[str, Any], people: dict[str, dict[str, Any]], policy: "Policy | None") -> dict[str, Any]:
    rows, approvals, rejected = [], [], []
    for g in decision.get("gates", []):
        for s in g["signoffs"]:
            approved = sum(1 for a in s.get("approvals", []) if a.get("decision") == "approve")
            rows.append({"gate": g["id"], "gate_title": g["title"], "role": s["role"],
                         "role_title": _role_title(policy, s["role"]), "required": s["required"], "approved": approved,
                         "status": s["status"], "message": s.get("message") or ""})
            for a in s.get("approvals", []):
                approvals.append(_record(g["id"], s, a, people, policy))
            for r in s.get("rejected", []):
                rejected.append({**_record(g["id"], s, r, people, policy), "problem": r.get("problem") or "—"})
    return {"requirements": rows, "approvals": approvals, "rejected": rejected}


def _record(gate: str, s: dict[str, Any], a: dict[str, Any], people: dict[str, dict[str, Any]],
            policy: "Policy | None") -> dict[str, Any]:
    return {"gate": gate, "role": a.get("role") or s["role"], "role_title": _role_title(policy, a.get("role") or s["role"]),
            "signer": _name(people, a.get("signer")), "decision": a.get("decision") or "—",
            "signed_at": when(a.get("signed_at")), "fingerprint": a.get("key_fingerprint") or "—",
            "verified": "yes" if a.get("verified") else "no", "comment": a.get("comment") or "",
            "source": a.get("source") or ""}


# --------------------------------------------------------------------------- reproducibility

def _reproducibility(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    info: dict[str, Any] = {"checks": [], "packages": [], "environment_file": None, "seeds": [], "data": [],
                            "manifest": [], "bundle_available": bundle is not None, "note": None,
                            "python": None}
    for g, c in _checks_of(decision, "reproducibility"):
        m = c.get("measured") or {}
        info["checks"].append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"],
                               "status": c["status"], "message": c.get("message") or "",
                               "unpinned": list(m.get("unpinned") or []),
                               "mismatches": list(m.get("digest_mismatches") or [])})
        if not info["seeds"] and isinstance(m.get("seeds"), dict):
            info["seeds"] = [{"name": k, "value": v} for k, v in m["seeds"].items()]
        for e in c.get("evidence", []):
            if e["path"].startswith("environment/"):
                continue
            if all(d["path"] != e["path"] for d in info["data"]):
                info["data"].append({"path": e["path"], "sha256": e.get("sha256")})
    if bundle is None:
        info["note"] = "The evidence folder was not available when this report was rendered."
        return info
    env_files = bundle.files_with_role("environment")
    if env_files:
        try:
            from govern.evidence.environment import load_environment

            env = load_environment(env_files[0], bundle)
            info["environment_file"] = env.file
            info["environment_format"] = env.format
            info["packages"] = [{"name": k, "version": v or "UNPINNED"} for k, v in sorted(env.packages.items())]
        except Exception as exc:  # noqa: BLE001
            from govern.errors import GovernError

            if not isinstance(exc, GovernError):
                raise
            info["note"] = "; ".join(d.message for d in exc.diagnostics)
        try:
            head = env_files[0].abs_path.read_text("utf-8", "replace")[:4000]
            for line in head.splitlines():
                if line.startswith("#") and "python" in line.lower() and "==" in line:
                    info["python"] = line.lstrip("# ").strip()
                    break
        except OSError:
            pass
    if not info["seeds"]:
        seed_files = bundle.files_with_role("seeds")
        if seed_files:
            try:
                from govern.evidence.environment import load_seeds

                info["seeds"] = [{"name": k, "value": v} for k, v in load_seeds(seed_files[0]).items()]
            except Exception:  # noqa: BLE001 -- shown as absent; the reproducibility check reports why
                pass
    for f in bundle.files():
        if f.role in ("signoff", "waiver"):
            continue
        info["manifest"].append({"path": f.path, "role": f.role, "size": _size(f.size), "sha256": f.sha256})
    return info


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def evidence_manifest(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    """The manifest embedded in the PDF: every evidence file (path, role, size, sha256) and the digests."""
    data: dict[str, Any] = {"evidence_digest": decision.get("evidence_digest"),
                            "model_digest": decision.get("model_digest")}
    if bundle is not None:
        data["bundle"] = bundle.name
        data["files"] = [{"path": f.path, "role": f.role, "size": f.size, "sha256": f.sha256} for f in bundle.files()]
    else:  # from the decision alone: the files checks read
        seen: dict[str, str] = {}
        for g in decision.get("gates", []):
            for c in g["checks"]:
                for e in c.get("evidence", []):
                    seen.setdefault(e["path"], e["sha256"])
        data["files"] = [{"path": p, "sha256": s} for p, s in sorted(seen.items())]
        data["note"] = "reconstructed from the files the checks read; the evidence folder was not available"
    return data


# --------------------------------------------------------------------------- appendix

def _appendix(decision: dict[str, Any], policy: "Policy | None") -> dict[str, Any]:
    if policy is None:
        return {"available": False}
    cls = decision.get("classification") or {}
    applied = {r["id"] for r in cls.get("rules", [])}
    rules = [{"id": r.id, "text": r.text, "location": policy.location(r.span), "applied": r.id in applied}
             for r in policy.rules if r.id in applied]
    template_file = policy.template_files.get(decision.get("tier"))
    template_text = None
    if template_file:
        try:
            template_text = (policy.root / template_file).read_text("utf-8").replace("\r\n", "\n").rstrip()
        except OSError:
            template_text = None
    params = [{"name": k, "value": _shown(v)} for k, v in sorted(policy.manifest.parameters.items())]
    return {"available": True, "rules": rules, "template_file": template_file, "template_text": template_text,
            "parameters": params, "files": [{"path": p, "sha256": s} for p, s in sorted(policy.files.items())]}


# --------------------------------------------------------------------------- figures

def _draw(ctx: dict[str, Any], theme: dict[str, Any], decision: dict[str, Any], bundle: "EvidenceBundle | None") -> None:
    from govern.report import charts, diagrams

    palette = theme.get("status", {})
    use_case = ctx["meta"]["use_case"]["name"] or ctx["meta"]["use_case"]["id"]
    statuses = ", ".join(f"{g['title']}: {g['status']}" for g in ctx["gates"])
    ctx["gate_diagram"] = diagrams.gate_graph(
        ctx["gates"], ctx["gate_edges"], palette,
        title=f"Gate graph of {use_case}, in stage order. {statuses}.") if ctx["gates"] else None
    lin = ctx["lineage"]
    if lin.get("graph") is not None:
        pii = [n["name"] for n in lin["nodes"] if n["pii"] == "yes" and n["anonymised"] == "no"]
        lin["diagram"] = diagrams.lineage_graph(
            lin["graph"], theme.get("lineage", {}),
            title=f"Lineage: {len(lin['nodes'])} nodes from sources through jobs to the model"
                  + (f"; personal data (PII) in {', '.join(pii)}" if pii else "") + ".")
    lin.pop("graph", None)
    for f in ctx["fairness"]:
        groupings = f.pop("_groupings")
        f["chart"] = charts.fairness_chart(
            groupings, theme, alt=f"Bar chart of selection rates per group for {f['title']}, with the four-fifths "
                                  f"line at 80% of the highest rate. Lowest impact ratio "
                                  f"{f['summary'][0][1] if f['summary'] else 'n/a'}.") if groupings else None
    for p in ctx["performance"]:
        raw = p.pop("_raw")
        p["chart"] = charts.performance_chart(
            raw["groups"], raw["overall"], p["floor"], raw["metric"], theme,
            alt=f"Bar chart of {p['metric']} by {p['group_by']}: overall {p['overall']}, worst {p['worst_group']} "
                f"{p['worst']}.") if raw["groups"] else None
    for d in ctx["drift"]:
        d["chart"] = None
        if not d["available"]:
            continue
        top = [r for r in d["features"] if r["drifted"]][:DRIFT_PLOTS] or d["features"][:DRIFT_PLOTS]
        if bundle is None:
            d["plots_note"] = "Distribution plots need the evidence folder, which was not available."
            continue
        panels = _drift_panels(bundle, d, top)
        if panels:
            d["chart"] = charts.drift_chart(
                panels, theme, alt="Reference versus current distributions of the most drifted features: "
                                   + ", ".join(p["name"] for p in panels) + ".")
            d["plotted"] = [p["name"] for p in panels]
        else:
            d["plots_note"] = "The reference and current data could not be read for plotting."


def _drift_panels(bundle: "EvidenceBundle", drift: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [r["name"] for r in rows]
    ref = _read_columns(bundle, drift.get("reference_path"), names)
    cur = _read_columns(bundle, drift.get("current_path"), names)
    if ref is None or cur is None:
        return []
    panels = []
    for r in rows:
        if r["name"] not in ref or r["name"] not in cur:
            continue
        numeric = r["kind"] == "numeric"
        rv, cv = _values(ref[r["name"]], numeric), _values(cur[r["name"]], numeric)
        caption = (f"{r['test']} {r['statistic']}, p {r['pvalue']}, PSI {r['psi']}"
                   + (f", Wasserstein {r['wasserstein']}" if numeric else "")
                   + f"  —  {r['flag']}")
        panels.append({"name": r["name"], "kind": "numeric" if numeric else "categorical", "reference": rv,
                       "current": cv, "caption": caption})
    return panels


def _values(raw: list[str], numeric: bool) -> list[Any]:
    out: list[Any] = []
    for v in raw:
        if v is None or v == "" or v.lower() in ("nan", "na", "null", "none"):
            continue
        if numeric:
            try:
                x = float(v)
            except ValueError:
                continue
            if math.isfinite(x):
                out.append(x)
        else:
            out.append(v)
    return out


def _read_columns(bundle: "EvidenceBundle", path: str | None, names: list[str]) -> dict[str, list[str]] | None:
    """Selected columns of a CSV (or Parquet, with pyarrow) evidence file, as strings."""
    if not path:
        return None
    try:
        ef = bundle.file(path)
    except Exception:  # noqa: BLE001
        return None
    if ef.path.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq

            table = pq.read_table(ef.abs_path, columns=[n for n in names])
            return {n: [None if v is None else str(v) for v in table.column(n).to_pylist()] for n in table.column_names}
        except Exception:  # noqa: BLE001
            return None
    import csv

    try:
        with ef.abs_path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            index = {n: header.index(n) for n in names if n in header}
            cols: dict[str, list[str]] = {n: [] for n in index}
            for row in reader:
                for n, i in index.items():
                    cols[n].append(row[i] if i < len(row) else "")
            return cols
    except (OSError, StopIteration, UnicodeDecodeError, csv.Error):
        return None


def _problems(measured: dict[str, Any], *keys: str) -> str:
    """`missing: a, b; trivial: c` from the measured lists that are non-empty ('' when all are empty)."""
    return "; ".join(f"{key}: {', '.join(map(str, measured[key]))}" for key in keys if measured.get(key))
