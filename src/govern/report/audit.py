"""The audit store, read for a report: this evaluation's record, the use case's events, chain verification.

Uses only the public store API (``Store.evaluations``, ``Store.decision``, ``Store.verify_chain``,
``Store.export_events``) and :func:`govern.record.views.inventory` for the portfolio view.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.record.store import Store

EXCERPT = 25


def store_exists(database: str | None) -> bool:
    """Whether a store is configured or present — a report never creates one just to say it is empty."""
    from govern.record.config import existing_store

    return existing_store(database) is not None


def _iso(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")


def _short(digest: Any, n: int = 12) -> str:
    return str(digest or "").split(":", 1)[-1][:n] or "—"


def describe(event: dict[str, Any]) -> str:
    """One line saying what an audit event recorded."""
    p = event.get("payload") or {}
    kind = event.get("kind")
    if kind == "evaluation":
        verdict = "allowed" if p.get("allowed") else "blocked"
        return (f"evaluation #{p.get('id')}: {p.get('target')} {verdict} (tier {p.get('tier')}, may enter "
                f"{p.get('furthest_stage') or 'no stage'}); decision {_short(p.get('decision_digest'))}, "
                f"model {_short(p.get('model_digest'))}, as of {p.get('as_of')}")
    if kind in ("signoff", "waiver"):
        rec = p.get("payload") or {}
        if kind == "signoff":
            return (f"sign-off {rec.get('gate')}/{rec.get('role')} by {rec.get('signer')}: {rec.get('decision')}, "
                    f"signed {str(rec.get('signed_at', ''))[:10]}")
        return (f"waiver {rec.get('check')} by {rec.get('approver')} until {rec.get('expires')}: "
                f"{str(rec.get('reason') or '')[:90]}")
    if kind == "policy":
        return f"policy {p.get('name')} {p.get('version')} registered ({_short(p.get('digest'))})"
    keys = ", ".join(f"{k}={v}" for k, v in list(p.items())[:4] if isinstance(v, (str, int, float, bool)))
    return f"{kind}: {keys}" if keys else str(kind)


def audit_section(store: "Store", decision: dict[str, Any], *, evaluation_id: int | None = None) -> dict[str, Any]:
    """What section 12 shows: the recorded evaluation matching this decision, the use case's events, the chain."""
    from govern.record.config import redact

    use_case = (decision.get("use_case") or {}).get("id")
    digest = decision.get("decision_digest")
    summaries = store.evaluations(use_case)
    match = None
    if evaluation_id is not None:
        match = next((s for s in summaries if s.id == evaluation_id), None)
    if match is None:
        match = next((s for s in reversed(summaries) if s.decision_digest == digest), None)
    events = [e for e in store.export_events() if e.get("subject") == use_case]
    this_seq = None
    if match is not None:
        for e in events:
            p = e.get("payload") or {}
            if e.get("kind") == "evaluation" and p.get("id") == match.id:
                this_seq = e["seq"]
        # the excerpt ends at this evaluation, so re-rendering it later gives the same page
        if this_seq is not None:
            events = [e for e in events if e["seq"] <= this_seq]
    total = len(events)
    excerpt = [{"seq": e["seq"], "kind": e["kind"], "recorded_at": _iso(e.get("recorded_at")), "summary": describe(e),
                "hash": e.get("hash"), "this": e["seq"] == this_seq} for e in events[-EXCERPT:]]
    chain = store.verify_chain().to_dict()
    return {
        "recorded": True, "from_store": evaluation_id is not None, "store": redact(store.url),
        "evaluation": None if match is None else {
            "id": match.id, "recorded_at": _iso(match.recorded_at), "decision_digest": match.decision_digest,
            "matches": match.decision_digest == digest},
        "events": excerpt, "total": total, "chain": chain,
    }


def inventory_items(store: "Store", *, today: _dt.date, expiring_within: int = 30) -> list[dict[str, Any]]:
    from govern.record.views import inventory

    items = []
    for item in inventory(store, today=today, expiring_within=expiring_within):
        data = item.to_dict()
        data["allowed"] = item.allowed
        data["target"] = item.target
        data["pending"] = data.pop("pending_signoffs")
        data["recorded_at"] = _iso(item.recorded_at)
        data["model_short"] = _short((item.model or {}).get("digest"))
        items.append(data)
    return items
