"""Section 8, Performance by subpopulation: one block per distinct measurement and its checks.

Several gates often check the same metric on the same data with different floors; the
report shows the numbers once and every floor against them.
"""

from __future__ import annotations

from typing import Any

from govern.report.formatting import fmt
from govern.report.sections.common import checks_of, evidence_refs


def build_performance(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """One block per distinct (data, metric, grouping); checks that share it are listed together."""
    blocks: dict[str, dict[str, Any]] = {}
    for g, c in checks_of(decision, "performance_by_group"):
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
                 "evidence": evidence_refs(c.get("evidence", [])), "floor": None,
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
