"""Section 9, Data lineage: lineage checks and the graph's nodes with their tags, from the evidence folder.

The graph is read again from the bundle (the decision keeps only violations); a report from
the store without the evidence says so instead of drawing nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.sections.common import checks_of, evidence_refs

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle


def build_lineage(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    checks = []
    for g, c in checks_of(decision, "lineage"):
        m = c.get("measured") or {}
        checks.append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"], "status": c["status"],
                       "message": c.get("message") or "", "rules": list(m.get("rules") or []),
                       "violations": [" → ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                                      for v in (m.get("violations") or [])],
                       "details": list(c.get("details") or []), "evidence": evidence_refs(c.get("evidence", []))})
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
