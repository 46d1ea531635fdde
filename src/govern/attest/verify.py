"""An attestation file + pack + model file → does a decision signed by the pack's people allow this model?

Checked in this order, each step only on what the previous one established:

1. the envelope verifies (DSSE PAE, Ed25519) with the public key of a person of the pack, the
   key id being only a hint; a key listed for two people identifies nobody. With a signer role,
   that person must hold it;
2. only then is the payload read: an in-toto Statement v1 with govern's decision predicate;
3. one subject's sha256 is the model file's;
4. the decision was made under this pack (its digest), is not a replay, allows the target stage
   (given, or else the last stage of the decision's plan, as ``govern check`` defaults) and, with a
   maximum age, was evaluated recently enough.

An envelope that fails a step is reported with the reason; a file may hold several (JSON Lines)
and passes if one of them passes. Bytes that are no envelope at all are an input error.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.attest.dsse import MAX_ENVELOPE_BYTES, Envelope, EnvelopeError, parse, verifies
from govern.attest.statement import PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE
from govern.errors import Diagnostic, GovernError, InputError, Span

if TYPE_CHECKING:
    from govern.policy.pack import Policy
    from govern.sign.verify import KeyEntry


@dataclass
class Verdict:
    """What one envelope of the file established, and why it does not allow the model (``problems``)."""

    line: int
    problems: list[str] = field(default_factory=list)
    signer: str | None = None
    keyid: str | None = None
    subject: str | None = None
    decision: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {"line": self.line, "ok": self.ok, "problems": self.problems, "signer": self.signer,
                "keyid": self.keyid, "subject": self.subject, "target": d.get("target"),
                "allowed": d.get("allowed"), "tier": d.get("tier"), "as_of": d.get("as_of"),
                "decision_digest": d.get("decision_digest"), "use_case": (d.get("use_case") or {}).get("id")}


@dataclass(frozen=True)
class Request:
    """What the verifier requires: the model's bytes (by digest), a stage, a signer role, a maximum age."""

    subject_sha256: str
    target: str | None = None
    signer_role: str | None = None
    max_age_days: int | None = None
    today: _dt.date | None = None


def read_envelopes(raw: bytes, name: str) -> list[tuple[int, Envelope]]:
    """Every non-empty line of a ``.intoto.jsonl`` file (a single pretty-printed envelope is accepted too)."""
    from govern.evidence.jsondoc import load_json_text
    from govern.load.safe_yaml import decode_utf8

    if len(raw) > MAX_ENVELOPE_BYTES:
        raise InputError(Diagnostic("attestation-too-large", f"{name} is larger than {MAX_ENVELOPE_BYTES} bytes",
                                    Span(name)))
    text = decode_utf8(raw, name)
    stripped = text.strip()
    if not stripped:
        raise InputError(Diagnostic("attestation-empty", f"{name} holds no envelope", Span(name)))
    chunks = ([(1, text)] if stripped.startswith("{") and "\n" in stripped and _one_document(stripped)
              else [(i + 1, line) for i, line in enumerate(text.split("\n")) if line.strip()])
    out: list[tuple[int, Envelope]] = []
    problems: list[Diagnostic] = []
    for line, chunk in chunks:
        try:
            doc = load_json_text(chunk, name, line_offset=line - 1)
            out.append((line, parse(doc.data)))
        except EnvelopeError as exc:
            problems.append(Diagnostic("attestation-not-dsse", f"line {line} is not a DSSE envelope: {exc}",
                                       Span(name, line, 1), "govern check --attest writes one envelope per line"))
        except GovernError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    return out


def _one_document(text: str) -> bool:
    import json

    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def verify_envelope(policy: "Policy", envelope: Envelope, line: int, request: Request) -> Verdict:
    from govern.sign.verify import Keyring

    verdict = Verdict(line)
    owner = _signer(Keyring(policy), envelope, verdict)
    if owner is None:
        return verdict
    verdict.signer, verdict.keyid = owner.person, owner.fingerprint
    if request.signer_role is not None:
        person = next((p for p in policy.manifest.people if p.id == owner.person), None)
        if person is None or request.signer_role not in person.roles:
            verdict.problems.append(f"signed by {owner.person}, who does not hold role `{request.signer_role}` in "
                                    f"policy {policy.name}")
            return verdict
    statement = _statement(envelope, verdict)
    if statement is None:
        return verdict
    subjects = statement.get("subject")
    matching = [s for s in subjects if isinstance(s, dict) and isinstance(s.get("digest"), dict)
                and str(s["digest"].get("sha256", "")).lower() == request.subject_sha256] \
        if isinstance(subjects, list) else []
    if not matching:
        names = [f"{s.get('name')} (sha256:{(s.get('digest') or {}).get('sha256')})" for s in subjects or []
                 if isinstance(s, dict)]
        verdict.problems.append(f"the model file (sha256:{request.subject_sha256}) is not the attested subject: "
                                + (", ".join(names) or "no subject"))
    else:
        verdict.subject = str(matching[0].get("name"))
    _judge(policy, statement.get("predicate"), request, verdict)
    return verdict


def _signer(keyring: Any, envelope: Envelope, verdict: Verdict) -> "KeyEntry | None":
    """The pack person whose key verifies a signature of the envelope (key ids only narrow the search)."""
    if envelope.payload_type != PAYLOAD_TYPE:
        verdict.problems.append(f"payloadType is `{envelope.payload_type}`, not `{PAYLOAD_TYPE}`")
        return None
    ambiguous = []
    for signature in envelope.signatures:
        candidates = keyring.owners(signature.keyid) if signature.keyid else []
        candidates = candidates or keyring.entries()
        for entry in candidates:
            if verifies(envelope, signature, entry.key):
                owners = {o.person for o in keyring.owners(entry.fingerprint)}
                if len(owners) > 1:
                    ambiguous.append(entry.fingerprint)
                    continue
                return entry
    if ambiguous:
        verdict.problems.append(f"key {ambiguous[0]} is listed for several people in policy "
                                f"{keyring.policy_name}; it identifies nobody")
    else:
        ids = ", ".join(s.keyid or "(no key id)" for s in envelope.signatures)
        verdict.problems.append(f"no signature verifies with a key of policy {keyring.policy_name} (key id {ids}): "
                                "signed by someone else, or altered after signing")
    return None


def _statement(envelope: Envelope, verdict: Verdict) -> dict[str, Any] | None:
    from govern.evidence.jsondoc import load_json_text

    try:
        data = load_json_text(envelope.payload.decode("utf-8"), "payload").data
    except (GovernError, UnicodeDecodeError):
        verdict.problems.append("the signed payload is not JSON")
        return None
    if not isinstance(data, dict) or data.get("_type") != STATEMENT_TYPE:
        verdict.problems.append(f"the payload is not an in-toto Statement v1 (`_type` {STATEMENT_TYPE})")
        return None
    if data.get("predicateType") != PREDICATE_TYPE:
        verdict.problems.append(f"predicateType is `{data.get('predicateType')}`, not `{PREDICATE_TYPE}`")
        return None
    return data


def _judge(policy: "Policy", predicate: Any, request: Request, verdict: Verdict) -> None:
    if not isinstance(predicate, dict):
        verdict.problems.append("the predicate is not a decision")
        return
    verdict.decision = predicate
    pack = predicate.get("policy") if isinstance(predicate.get("policy"), dict) else {}
    if pack.get("digest") != policy.digest:
        verdict.problems.append(f"decided under policy digest {pack.get('digest')}, not this pack's {policy.digest}")
    if predicate.get("replay") is not False:
        verdict.problems.append("a replay (--as-of) is not a decision")
    gates = predicate.get("gates") if isinstance(predicate.get("gates"), list) else []
    target = request.target or (gates[-1].get("id") if gates and isinstance(gates[-1], dict) else None)
    if predicate.get("target") != target:
        verdict.problems.append(f"the decision is about stage `{predicate.get('target')}`, not `{target}`")
    elif predicate.get("allowed") is not True:
        why = ", ".join(str(d) for d in predicate.get("determining") or []) or "see the decision"
        verdict.problems.append(f"the decision does not allow `{target}`: {why}")
    today = request.today or _dt.datetime.now(_dt.timezone.utc).date()
    verdict.problems += _lapsed(gates, target, today)
    if request.max_age_days is not None:
        try:
            as_of = _dt.date.fromisoformat(str(predicate.get("as_of")))
        except ValueError:
            verdict.problems.append("the decision has no evaluation date")
            return
        if (today - as_of).days > request.max_age_days:
            verdict.problems.append(f"evaluated {as_of}, more than {request.max_age_days} days ago")


def _lapsed(gates: list[Any], target: str | None, today: _dt.date) -> list[str]:
    """Approvals and waivers the decision counted for the gates up to ``target`` that have expired since.

    An attestation is kept and may be presented long after it was made: the decision it carries
    held on its day, but the policy stops allowing the stage once an approval's `valid_for` or a
    waiver's expiry has passed, so an old envelope must not open the stage after that.
    """
    problems: list[str] = []
    for gate in gates:
        if not isinstance(gate, dict):
            continue
        for signoff in gate.get("signoffs") or []:
            for approval in (signoff.get("approvals") or []) if isinstance(signoff, dict) else []:
                until = _date(approval.get("expires")) if isinstance(approval, dict) else None
                if until is not None and until < today:
                    problems.append(f"{gate.get('id')} sign-off by {approval.get('signer')} ({signoff.get('role')}) "
                                    f"lapsed on {until}: run `govern check` again")
        for check in gate.get("checks") or []:
            waiver = check.get("waiver") if isinstance(check, dict) else None
            until = _date(waiver.get("expires")) if isinstance(waiver, dict) else None
            if until is not None and until < today:
                problems.append(f"waiver of {gate.get('id')}.{check.get('id')} by {waiver.get('approver')} "
                                f"expired on {until}: run `govern check` again")
        if gate.get("id") == target:
            break
    return problems


def _date(value: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
