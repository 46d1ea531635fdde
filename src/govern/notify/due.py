"""What deserves a notification now, read from the audit store: each as a :class:`Notice` with a stable key.

The key names the *situation*, not the run that found it, so the delivery log can send each
one once: a request by its event; a blocked use case by its target, model and policy version
(every CI run of the same blocked model is one situation; a retrained model that is blocked
again is a new one); an expiring approval or waiver by who, what and the day it ends (a
renewal ends on another day); an audit failure by where the log first breaks and why.

Everything comes from the views that display what the log recorded (`status`, `requests`,
`audit verify`). The audit check runs first: if the log was altered, the views refuse to read
the altered events, and that refusal is reported as a warning beside the audit failure notice
rather than stopping the alarm that matters most.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    from govern.policy.pack import Policy
    from govern.record.store import Store
    from govern.record.views import InventoryItem


@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    use_case: str | None
    title: str
    text: str
    event: int | None = None  # the audit event it is about, if one
    details: dict[str, Any] = field(default_factory=dict)
    #: the people it is addressed to, by their email in the pack (email channels with `to_people`)
    people: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "use_case": self.use_case, "title": self.title, "text": self.text,
                "event": self.event, "details": self.details}


def due(store: "Store", kinds: Iterable[str], *, today: _dt.date, within_days: int,
        policies: Sequence["Policy"] = ()) -> tuple[list[Notice], list[str]]:
    """Every notice of the wanted ``kinds`` the store calls for today, and warnings about what could not be read."""
    from govern.record.chain import LogAltered

    wanted = set(kinds)
    notices: list[Notice] = []
    warnings: list[str] = []

    def gather(what: str, produce: Callable[[], Iterable[Notice]]) -> None:
        try:
            notices.extend(produce())
        except LogAltered as exc:
            warnings.append(f"{what} not read: the audit log was altered ({exc})")

    if "audit_failure" in wanted:
        gather("audit verification", lambda: audit_failure(store))
    if "request_opened" in wanted:
        gather("sign-off requests", lambda: requests_opened(store, policies))
    inventory_kinds = wanted & {"decision_blocked", "approval_expiring", "waiver_expiring"}
    if inventory_kinds:
        gather("the inventory", lambda: from_inventory(store, inventory_kinds, today, within_days))
    return notices, warnings


def audit_failure(store: "Store") -> list[Notice]:
    report = store.verify_chain()
    if report.ok:
        return []
    problem = report.problem or "verification failed"
    where = f"event {report.first_bad_seq}" if report.first_bad_seq is not None else "the log"
    if report.table:
        where += f", table {report.table} key {report.key}" + (f" column {report.column}" if report.column else "")
    digest = hashlib.sha256(problem.encode("utf-8")).hexdigest()[:16]
    return [Notice(f"audit_failure:{report.first_bad_seq}:{digest}", "audit_failure", None,
                   "Audit log verification FAILED", f"`govern audit verify` fails at {where}: {problem}. "
                   "Until it is explained, nothing the store shows can be relied on.",
                   report.first_bad_seq, {"verification": report.to_dict()})]


def requests_opened(store: "Store", policies: Sequence["Policy"]) -> list[Notice]:
    """Requests still open (answered ones are skipped when their pack is given to verify the answer)."""
    from govern.notify.requests import requests

    by_name = {p.name: p for p in policies}
    out = []
    for r in requests(store, policies):
        who = r.person or f"anyone holding {r.holds}"
        due_text = f", due {r.due}" if r.due else ""
        command = (f"govern sign <{r.use_case} descriptor> -p <{r.policy['name']} pack> -e <evidence> --gate {r.gate} "
                   f"--role {r.role} --decision approve --key <your key> --signer {r.person or '<you>'}")
        text = (f"{r.use_case} needs a {r.role} sign-off at {r.gate} from {who}{due_text} "
                f"(request #{r.id}, policy {r.policy['name']} {r.policy['version']}, tier {r.tier})."
                + (f" {r.message}" if r.message else "") + f" Sign with: {command}")
        out.append(Notice(f"request_opened:{r.id}", "request_opened", r.use_case,
                          f"Sign-off requested: {r.use_case} {r.gate} / {r.role}", text, r.id,
                          {"request": r.to_dict(), "command": command}, _emails(by_name.get(r.policy["name"]), r)))
    return out


def _emails(policy: "Policy | None", r: Any) -> tuple[str, ...]:
    """The named person's email, or every holder's of the role, as the pack lists them (none without the pack)."""
    if policy is None:
        return ()
    asked = [r.person] if r.person else policy.holders(r.holds)
    return tuple(p.email for p in policy.manifest.people if p.id in asked and p.email)


def from_inventory(store: "Store", kinds: set[str], today: _dt.date, within_days: int) -> list[Notice]:
    from govern.record.views import inventory

    out: list[Notice] = []
    for item in inventory(store, today=today, expiring_within=within_days):
        if "decision_blocked" in kinds and not item.allowed:
            out.append(_blocked(item))
        if "approval_expiring" in kinds:
            out += [_approval(item, a) for a in item.expiring_approvals]
        if "waiver_expiring" in kinds:
            out += [_waiver(item, w) for w in item.expiring_waivers]
    return out


def _model(item: "InventoryItem") -> str:
    m = item.model
    return " ".join(str(v) for v in (m.get("name"), m.get("version")) if v) or str(m.get("digest", ""))[:19]


def _blocked(item: "InventoryItem") -> Notice:
    stage = f"it may enter {item.furthest_stage}" if item.furthest_stage else "no stage is allowed"
    pending = "; ".join(f"{p['gate']} awaits {p['role']} ({p['approved']}/{p['required']})" for p in item.pending)
    text = (f"The latest decision for {item.use_case_id} ({item.name}) blocks {item.target}: {stage}. "
            f"Model {_model(item)}, policy {item.policy['name']} {item.policy['version']}, evaluation "
            f"{item.evaluation_id} recorded {item.recorded_at:%Y-%m-%d %H:%M} UTC."
            + (f" Pending sign-offs: {pending}." if pending else "")
            + f" See `govern explain` or `govern report --evaluation {item.evaluation_id}`.")
    key = f"decision_blocked:{item.use_case_id}:{item.target}:{item.model['digest']}:{item.policy['digest']}"
    return Notice(key, "decision_blocked", item.use_case_id, f"Blocked: {item.use_case_id} at {item.target}", text,
                  None, {"evaluation": item.evaluation_id, "target": item.target, "furthest_stage": item.furthest_stage,
                         "model": item.model, "policy": item.policy, "pending_signoffs": item.pending})


def _approval(item: "InventoryItem", a: dict[str, Any]) -> Notice:
    word = "expired on" if a["expired"] else "expires on"
    text = (f"The {a['role']} approval of {item.use_case_id} at {a['gate']} by {a['signer']} {word} {a['expires']}; "
            f"after that the gate needs a new sign-off (`govern request`, then `govern sign`).")
    key = f"approval_expiring:{item.use_case_id}:{a['gate']}:{a['role']}:{a['signer']}:{a['expires']}"
    return Notice(key, "approval_expiring", item.use_case_id,
                  f"Approval {'expired' if a['expired'] else 'expiring'}: {item.use_case_id} {a['gate']} "
                  f"({a['signer']}, {a['expires']})", text, None, {"approval": a, "evaluation": item.evaluation_id})


def _waiver(item: "InventoryItem", w: dict[str, Any]) -> Notice:
    word = "expired on" if w["expired"] else "expires on"
    text = (f"The waiver of {w['check']} for {item.use_case_id} (approved by {w['approver']}) {word} {w['expires']}; "
            "then the check blocks again unless it passes or a new waiver is signed (`govern waive`).")
    key = f"waiver_expiring:{item.use_case_id}:{w['check']}:{w['approver']}:{w['expires']}"
    return Notice(key, "waiver_expiring", item.use_case_id,
                  f"Waiver {'expired' if w['expired'] else 'expiring'}: {item.use_case_id} {w['check']} "
                  f"({w['expires']})", text, None, {"waiver": w, "evaluation": item.evaluation_id})
