"""Sign-off requests: asking a role (or one person) to sign a gate, and which requests are still open.

A request is an audit event (kind ``signoff_request``) with a canonical payload: use case,
gate, the sign-off it asks for, the person if one is named, a due date, and the pack and tier
it was checked against. There is no "closed" flag anywhere. A request is open while the log
holds no sign-off *recorded after it* that answers it -- same use case, gate and sign-off,
signed by the named person (or by anyone holding the role) -- and whose signature verifies
against the pack's public keys. The answer is re-derived on every read, from events each
checked against its own hash, so editing a table cannot close a request and an unverifiable
record cannot answer one. A rejection answers a request too: the person asked has decided.

Sign-offs recorded *before* the request do not answer it: a request is usually made because
an earlier approval went stale (a retrained model), and the old record must not close it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from govern.errors import Diagnostic, did_you_mean
from govern.sign.keys import SigningError

if TYPE_CHECKING:
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy
    from govern.record.store import Store

KIND = "signoff_request"
UTC = _dt.timezone.utc


@dataclass(frozen=True)
class Answer:
    """The verified sign-off that closed a request."""

    event: int
    signer: str
    decision: str
    signed_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "signer": self.signer, "decision": self.decision, "signed_at": self.signed_at}


@dataclass(frozen=True)
class SignoffRequest:
    id: int  # the seq of its audit event: `govern audit` and the console name it by that number
    use_case: str
    gate: str
    role: str  # the sign-off's id, which is what a sign-off record names as its role
    holds: str  # the role a signer must hold in the pack
    person: str | None
    due: _dt.date | None
    message: str | None
    tier: str
    policy: dict[str, str]  # name, version, digest of the pack it was checked against
    requested_at: _dt.datetime
    answer: Answer | None = None
    #: why closure could not be checked (no pack of that name given): the request stays open
    unverified: str | None = None
    #: sign-offs that would have answered it but do not count, and why
    not_counted: tuple[dict[str, Any], ...] = field(default=())

    @property
    def open(self) -> bool:
        return self.answer is None

    def overdue(self, today: _dt.date) -> bool:
        return self.open and self.due is not None and today > self.due

    def to_dict(self, today: _dt.date | None = None) -> dict[str, Any]:
        today = today or _dt.datetime.now(UTC).date()
        return {"id": self.id, "use_case": self.use_case, "gate": self.gate, "role": self.role, "holds": self.holds,
                "person": self.person, "due": self.due.isoformat() if self.due else None,
                "overdue": self.overdue(today), "message": self.message, "tier": self.tier, "policy": self.policy,
                "requested_at": self.requested_at.isoformat(), "open": self.open,
                "answered_by": self.answer.to_dict() if self.answer else None, "unverified": self.unverified,
                "not_counted": list(self.not_counted)}


def _refuse(code: str, message: str, hint: str | None = None) -> SigningError:
    return SigningError(Diagnostic(code, message, hint=hint))


def request_payload(policy: "Policy", use_case: "UseCase", *, gate: str, role: str, person: str | None = None,
                    due: _dt.date | None = None, message: str | None = None, as_of: _dt.date | None = None,
                    at: _dt.datetime | None = None) -> dict[str, Any]:
    """The request's event payload, checked before any store is touched (a refusal leaves nothing behind).

    The gate must be in the plan of the use case's tier and require the sign-off; a named person
    must be in the pack and hold its role -- a request nobody could answer is never recorded.
    """
    from govern.classification import classify
    from govern.plan.graph import compile_plan
    from govern.plan.signoffs import gate_role

    day = as_of or _dt.datetime.now(UTC).date()
    plan = compile_plan(policy, use_case, classify(policy, use_case, day))
    spec = gate_role(plan, gate, role)
    if person is not None:
        ids = [p.id for p in policy.manifest.people]
        if person not in ids:
            raise _refuse("request-unknown-person", f"person `{person}` is not in policy {policy.name}",
                          did_you_mean(person, ids) or ("people: " + ", ".join(ids) if ids else
                                                        "the pack lists no people"))
        if spec.role not in policy.roles_of(person):
            raise _refuse("request-role-not-held", f"{person} does not hold role `{spec.role}` in policy {policy.name}",
                          f"holders of {spec.role}: {', '.join(policy.holders(spec.role)) or 'nobody'}")
    elif not policy.holders(spec.role):
        raise _refuse("request-nobody-holds-role", f"nobody holds role `{spec.role}` in policy {policy.name}",
                      "add the person to the pack's `people:` first")
    moment = (at or _dt.datetime.now(UTC)).astimezone(UTC)
    return {"record": KIND, "use_case": use_case.id, "gate": gate, "role": spec.key, "holds": spec.role,
            "person": person, "due": due.isoformat() if due else None, "message": message, "tier": plan.tier,
            "policy": {"name": policy.name, "version": policy.version, "digest": policy.digest},
            "requested_at": moment.isoformat()}


def record_request(store: "Store", payload: dict[str, Any]) -> SignoffRequest:
    """Append a checked request (:func:`request_payload`) to the audit log."""
    seq = store.record_event(KIND, payload["use_case"], payload,
                             recorded_at=_dt.datetime.fromisoformat(payload["requested_at"]))
    assert seq is not None
    return _from_payload(seq, payload)


def _from_payload(seq: int, p: Mapping[str, Any]) -> SignoffRequest:
    """A request as its event recorded it; LogAltered if the payload is not what :func:`request_payload` makes."""
    try:
        return _parse(seq, p)
    except (TypeError, ValueError, AttributeError):
        from govern.record.chain import LogAltered

        raise LogAltered(f"event {seq} is not a well-formed sign-off request") from None


def _parse(seq: int, p: Mapping[str, Any]) -> SignoffRequest:
    due = p.get("due")
    policy = p.get("policy") if isinstance(p.get("policy"), dict) else {}
    return SignoffRequest(seq, str(p.get("use_case")), str(p.get("gate")), str(p.get("role")),
                          str(p.get("holds") or p.get("role")), p.get("person"),
                          _dt.date.fromisoformat(due) if isinstance(due, str) else None, p.get("message"),
                          str(p.get("tier")), {k: str(policy.get(k)) for k in ("name", "version", "digest")},
                          _dt.datetime.fromisoformat(str(p.get("requested_at"))))


def requests(store: "Store", policies: Sequence["Policy"] = (), *, use_case: str | None = None,
             person: str | None = None, role: str | None = None, include_closed: bool = False
             ) -> list[SignoffRequest]:
    """Sign-off requests, oldest first, each with the verified sign-off that answered it (if any).

    ``policies`` are the packs whose public keys verify the answers, matched by name to the pack
    a request was checked against; a request whose pack is not given stays open, marked
    ``unverified``. ``person`` keeps what that person may answer: requests naming them, and
    requests naming nobody for a role they hold. ``role`` matches the role or the sign-off id.
    """
    import dataclasses

    from govern.record.engine import read
    from govern.record.recorded import events
    from govern.record.tables import EVENT

    where = [EVENT.c.kind == KIND]
    if use_case is not None:
        where.append(EVENT.c.subject == use_case)
    from govern.sign.verify import Keyring

    by_name = {p.name: p for p in policies}
    keyrings = {name: Keyring(p) for name, p in by_name.items()}  # each pack's keys parsed once
    with read(store.engine) as conn:
        found = [_from_payload(r.seq, r.payload) for r in events(conn, *where)]
        subjects = sorted({r.use_case for r in found})
        answers = list(events(conn, EVENT.c.kind == "signoff", EVENT.c.subject.in_(subjects))) if subjects else []
    out = []
    for request in found:
        policy = by_name.get(request.policy["name"])
        if person is not None and not _for_person(request, person, policy):
            continue
        if role is not None and role not in (request.role, request.holds):
            continue
        if policy is None:
            request = dataclasses.replace(request, unverified=(
                f"pack `{request.policy['name']}` not given: its sign-offs cannot be verified"))
        else:
            answer, not_counted = _answer(request, policy, keyrings[policy.name],
                                          (a for a in answers if a.seq > request.id))
            request = dataclasses.replace(request, answer=answer, not_counted=tuple(not_counted))
        if include_closed or request.open:
            out.append(request)
    return out


def open_requests(store: "Store", policies: Sequence["Policy"] = (), **filters: Any) -> list[SignoffRequest]:
    """The open requests, oldest first (see :func:`requests` for ``policies`` and the filters)."""
    return requests(store, policies, include_closed=False, **filters)


def _for_person(request: SignoffRequest, person: str, policy: "Policy | None") -> bool:
    if request.person is not None:
        return request.person == person
    return policy is not None and request.holds in policy.roles_of(person)


def _answer(request: SignoffRequest, policy: "Policy", keyring: Any, candidates: Iterable[Any]
            ) -> tuple[Answer | None, list[dict[str, Any]]]:
    """The first sign-off event after the request that answers it, verified; and those that did not count."""
    from govern.sign.verify import verify_data

    not_counted = []
    for event in candidates:
        payload, signature = event.payload.get("payload"), event.payload.get("signature")
        if not isinstance(payload, dict):
            continue
        if (payload.get("use_case"), payload.get("gate"), payload.get("role")) != (
                request.use_case, request.gate, request.role):
            continue
        signer = payload.get("signer")
        if request.person is not None and signer != request.person:
            continue
        verdict = verify_data(keyring, {**payload, "signature": signature}, "signoff")
        problem = verdict.problem if not verdict.verified else None
        if problem is None and request.holds not in policy.roles_of(str(signer)):
            problem = f"{signer} does not hold role `{request.holds}` in policy {policy.name}"
        if problem is not None:
            not_counted.append({"event": event.seq, "signer": signer, "problem": problem})
            continue
        return Answer(event.seq, str(signer), str(payload.get("decision")), str(payload.get("signed_at"))), not_counted
    return None, not_counted
