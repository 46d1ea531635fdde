"""The registry against the audit log: does every governed alias rest on a valid decision for that model?

For each version holding a governed alias (a stage name govern has checked or promoted to, or
one named with ``--alias``), ``govern verify-registry`` asks, in order:

1. did govern put the alias there? The newest ``registry`` event for (model, alias) on this
   server must have moved it to this very version. If not, the alias was moved outside govern;
2. does the decision that event followed allow the stage, as its own evaluation event recorded?
3. is the model in the registry today the one decided on? The version is pulled again and its
   model digest (and evidence digest) compared with the decision's: files replaced under a
   version, or metrics edited after the fact, are found here;
4. is the decision still valid: no approval or waiver it relied on has expired?

With ``policy_digests`` (`--expect-policy-digest`), the decision must also have been made under
one of those packs: whoever runs the promoting job chooses its `--policy`, so an alias resting on
a decision under another (weaker) copy of the pack is reported, not accepted.

Everything is read from the hash-checked events, never from tags on the version (anyone with
registry access can write those).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govern.evidence.mlflow.connect import Connection
    from govern.record.store import Store

#: statuses that make verify-registry exit 1
PROBLEMS = ("moved-outside-govern", "not-allowed", "other-policy", "model-changed", "evidence-changed", "expired")


@dataclass
class AliasFinding:
    registered_model: str
    alias: str
    version: str
    status: str  # ok, or one of PROBLEMS
    message: str
    event: int | None = None
    decision_digest: str | None = None
    valid_until: str | None = None
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def governed_aliases(store: "Store", events: list[dict[str, Any]], extra: tuple[str, ...]) -> set[str]:
    """Stage names govern has decided on or moved, and any the caller names."""
    names = {e["alias"] for e in events if isinstance(e.get("alias"), str)}
    names |= {s.target for s in store.evaluations()}
    return names | set(extra)


def verify_registry(store: "Store", conn: "Connection", *, registered_model: str | None = None,
                    aliases: tuple[str, ...] = (), today: _dt.date | None = None,
                    policy_digests: tuple[str, ...] = ()) -> list[AliasFinding]:
    from govern.evidence.mlflow.connect import calling, public_uri

    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    events = [e for e in store.registry_events() if e.get("tracking_uri") == public_uri(conn.uri)]
    governed = governed_aliases(store, events, aliases)
    with calling(conn.uri, "listing registered models",
                 missing=f"registered model `{registered_model}` does not exist"):
        if registered_model is not None:
            models = [conn.client.get_registered_model(registered_model)]
        else:
            models = list(_all_models(conn))
    findings: list[AliasFinding] = []
    for model in sorted(models, key=lambda m: m.name):
        for alias, version in sorted((model.aliases or {}).items()):
            if alias in governed:
                findings.append(_finding(store, conn, events, model.name, alias, str(version), today,
                                         policy_digests))
    return findings


def _all_models(conn: "Connection") -> Any:
    token = None
    while True:
        page = conn.client.search_registered_models(max_results=1000, page_token=token)
        yield from page
        token = getattr(page, "token", None)
        if not token:
            return


def _finding(store: "Store", conn: "Connection", events: list[dict[str, Any]], name: str, alias: str,
             version: str, today: _dt.date, policy_digests: tuple[str, ...] = ()) -> AliasFinding:
    moves = [e for e in events if e.get("registered_model") == name and e.get("alias") == alias
             and e.get("action") == "promote"]
    found = AliasFinding(name, alias, version, "ok", "")
    if not moves:
        found.status, found.message = "moved-outside-govern", f"version {version} holds `{alias}`, which govern never set"
        return found
    last = moves[-1]
    found.event, found.decision_digest = last["seq"], last.get("decision_digest")
    if str(last.get("version")) != version:
        found.status = "moved-outside-govern"
        found.message = (f"version {version} holds `{alias}`, but govern last moved it to version {last.get('version')} "
                         f"(audit event #{last['seq']})")
        return found
    view = store.evaluation_view(int(last.get("evaluation") or 0))
    evaluation = (view or {}).get("evaluation") or {}
    if not view or evaluation.get("decision_digest") != last.get("decision_digest") or not evaluation.get("allowed") \
            or evaluation.get("target") != alias:
        found.status = "not-allowed"
        found.message = (f"audit event #{last['seq']} names evaluation {last.get('evaluation')}, which does not "
                         f"record a decision allowing `{alias}`")
        return found
    if policy_digests:  # from the recorded decision itself (checked against its event), not the event's copy
        decided_under = store.decision(int(last["evaluation"]))["policy"]["digest"]
        if decided_under not in policy_digests:
            found.status = "other-policy"
            found.message = (f"the decision behind `{alias}` (audit event #{last['seq']}) was made under policy "
                             f"{decided_under}, not the expected {', '.join(policy_digests)}")
            return found
    from govern.evidence.mlflow import digests_now

    model_digest, evidence_digest = digests_now(conn.uri, name, version)
    if model_digest != last.get("model_digest") or view["model"]["digest"] != model_digest:
        found.status = "model-changed"
        found.message = (f"version {version}'s model files are not the ones decided on (now {model_digest}, "
                         f"decided {last.get('model_digest')})")
        return found
    if evidence_digest != last.get("evidence_digest"):
        found.status = "evidence-changed"
        found.message = (f"version {version}'s evidence changed after the decision (now {evidence_digest}, decided "
                         f"{last.get('evidence_digest')}): its approvals are stale; check it again")
        return found
    until, lapsed = _validity(store, int(last["evaluation"]), alias, view)
    found.valid_until = until.isoformat() if until else None
    if until is not None and until < today:
        found.status = "expired"
        found.message = f"the decision's approvals lapsed on {until.isoformat()}: " + "; ".join(lapsed)
        found.details = lapsed
        return found
    found.message = (f"allowed by decision {last.get('decision_digest')} (audit event #{last['seq']})"
                     + (f", valid until {until.isoformat()}" if until else ""))
    return found


def _validity(store: "Store", evaluation_id: int, stage: str, view: dict[str, Any]
              ) -> tuple[_dt.date | None, list[str]]:
    """The last day every approval and waiver of the gates up to ``stage`` still counts, and those lapsed."""
    gates = [g["id"] for g in store.decision(evaluation_id)["gates"]]
    upto = set(gates[:gates.index(stage) + 1]) if stage in gates else set(gates)
    dated: list[tuple[_dt.date, str]] = []
    for a in view.get("approvals", []):
        if a.get("gate") in upto and a.get("decision", "approve") == "approve" and a.get("expires"):
            dated.append((_dt.date.fromisoformat(str(a["expires"])[:10]),
                          f"{a['gate']} sign-off by {a['signer']} ({a['role']}) expired {str(a['expires'])[:10]}"))
    for w in view.get("waivers", []):
        if w.get("gate") in upto and w.get("expires"):
            dated.append((_dt.date.fromisoformat(str(w["expires"])[:10]),
                          f"waiver of {w['gate']}.{w['check_id']} by {w['approver']} expired {str(w['expires'])[:10]}"))
    if not dated:
        return None, []
    until = min(d for d, _ in dated)
    return until, [text for d, text in sorted(dated) if d == until]
