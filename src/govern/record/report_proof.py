"""A report that proves itself: the files a PDF embeds, and checking them offline (`govern verify-report`).

Next to ``decision.json`` the report embeds three JSON attachments:

- ``govern-signed-records.json`` -- every sign-off that counted and every waiver applied in
  the decision, as signed: kind, source, payload, signature and the signer's public key
  (from the policy pack the report was rendered with);
- ``govern-inclusion-proof.json`` -- the inclusion proof of the evaluation's audit event
  (:mod:`govern.record.proof`), relative to the newest checkpoint that covers it;
- ``govern-checkpoint.json`` -- that checkpoint (absent when none covers the event yet: the
  proof then leads to an unsigned head, which verification reports).

:func:`verify` needs only those bytes: it recomputes the decision's digest from the decision
JSON, checks every signature (and, given the pack, that each key is the signer's), that every
counted approval and applied waiver has its signed record, and that the proven event is this
decision -- its digest, and the sha256 of its JSON as the evaluation row recorded it -- in a
tree the witness signed. No store, no network.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from govern.canonical import canonical_json, digest

if TYPE_CHECKING:
    from govern.policy.pack import Policy
    from govern.record.checkpoint import Checkpoint
    from govern.record.store import Store
    from govern.sign.records import SignedRecord

DECISION = "decision.json"  # the name govern.report.render embeds the decision under
SIGNED_RECORDS = "govern-signed-records.json"
INCLUSION_PROOF = "govern-inclusion-proof.json"
CHECKPOINT = "govern-checkpoint.json"
FORMAT = "govern-signed-records"


def decision_digest(decision: Mapping[str, Any]) -> str:
    """The decision digest recomputed from a decision's JSON (what :meth:`Decision.compute_digest` covers)."""
    return digest({
        "policy_digest": decision["policy"]["digest"], "use_case_digest": decision["use_case"]["digest"],
        "evidence_digest": decision["evidence_digest"], "model_digest": decision["model_digest"],
        "plan_digest": decision["plan_digest"], "tier": decision["tier"], "target": decision["target"],
        "as_of": decision["as_of"], "allowed": decision["allowed"], "gates": decision["gates"]})


def counted(decision: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, entry) for every approval that counted and every waiver applied in the decision."""
    out = []
    for gate in decision.get("gates", []):
        for s in gate.get("signoffs", []):
            out += [("signoff", {**a, "gate": s.get("gate"), "role": a.get("role", s.get("role"))})
                    for a in s.get("approvals", [])]
        for c in gate.get("checks", []):
            if c.get("waiver"):
                out.append(("waiver", {**c["waiver"], "check": f"{gate.get('id')}.{c.get('id')}"}))
    return out


# -- building (the report calls this; needs the store) ---------------------------------------------

def attachments(store: "Store", decision: Mapping[str, Any], *, policy: "Policy | None" = None,
                evaluation_id: int | None = None, records: Mapping[str, "SignedRecord"] | None = None
                ) -> list[tuple[str, str, str, str]]:
    """The attachments (name, text, description, PDF/A relationship) that let the report prove itself.

    ``evaluation_id`` names the recorded evaluation (default: the newest recorded one with this
    decision's digest); ``records`` maps a record's ``source`` (as the decision names it) to the
    signed record for records that are not in the store (the bundle's files); ``policy`` gives
    the signers' public keys. Evaluations that were never recorded get no proof.
    """
    out = [(SIGNED_RECORDS, signed_records_text(store, decision, policy=policy, records=records or {}),
            "Every sign-off that counted and waiver applied, as signed, with the signer's public key", "Supplement")]
    if evaluation_id is None:
        use_case = (decision.get("use_case") or {}).get("id")
        matches = [s.id for s in store.evaluations(use_case) if s.decision_digest == decision.get("decision_digest")]
        evaluation_id = matches[-1] if matches else None
    seq = store.event_of("evaluation", evaluation_id) if evaluation_id is not None else None
    if seq is None:
        return out
    cp = store.latest_checkpoint()
    if cp is not None and cp.tree_size <= seq:
        cp = None
    out.append((INCLUSION_PROOF, json.dumps(store.prove(seq, cp), indent=2, ensure_ascii=False) + "\n",
                "The inclusion proof of this decision's audit event (RFC 9162), for govern verify-report", "Supplement"))
    if cp is not None:
        out.append((CHECKPOINT, cp.to_json(), "The witness-signed tree head the proof leads to", "Supplement"))
    return out


def signed_records_text(store: "Store", decision: Mapping[str, Any], *, policy: "Policy | None" = None,
                        records: Mapping[str, "SignedRecord"]) -> str:
    keys = _public_keys(policy)
    entries = []
    for kind, entry in counted(decision):
        source = entry.get("source") or ""
        record = records.get(source) or _from_store(store, source)
        if record is None:
            continue  # verify-report says which counted record is missing
        fp = record.payload.get("key_fingerprint")
        entries.append({"kind": record.kind, "source": source, "payload": record.payload,
                        "signature": record.signature, "public_key": keys.get(fp) if isinstance(fp, str) else None})
    return json.dumps({"format": FORMAT, "version": 1, "records": entries}, indent=2, ensure_ascii=False) + "\n"


def _from_store(store: "Store", source: str) -> "SignedRecord | None":
    kind, _, number = source.removeprefix("store:").partition("/")
    if not source.startswith("store:") or kind not in ("signoff", "waiver") or not number.isdigit():
        return None
    return store.signed_record(kind, int(number))


def _public_keys(policy: "Policy | None") -> dict[str, str]:
    if policy is None:
        return {}
    from govern.sign.keys import fingerprint, parse_public_key, public_b64

    out = {}
    for person in policy.manifest.people:
        if person.public_key:
            try:
                key = parse_public_key(person.public_key)
            except ValueError:
                continue
            out[fingerprint(key)] = public_b64(key)
    return out


# -- verifying (offline: only the attachments) -----------------------------------------------------

@dataclass
class ReportCheck:
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "facts": self.facts}


def verify(files: Mapping[str, bytes], *, checkpoint: "Checkpoint | None" = None, witness: str | None = None,
           policy: "Policy | None" = None) -> ReportCheck:
    """Every check the attachments allow; problems are listed (never raised) so an auditor sees them all."""
    result = ReportCheck()
    decision = _json(files, DECISION, result)
    if isinstance(decision, dict):
        _check_decision(decision, result)
        records = _json(files, SIGNED_RECORDS, result)
        if isinstance(records, dict):
            _check_records(decision, records, policy, result)
        _check_proof(decision, files, checkpoint, witness, result)
    result.ok = not result.problems
    return result


def _json(files: Mapping[str, bytes], name: str, result: ReportCheck) -> Any:
    if name not in files:
        result.problems.append(f"the report embeds no {name}")
        return None
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(f"{name} is not JSON: {exc}")
        return None


def _check_decision(decision: dict[str, Any], result: ReportCheck) -> None:
    try:
        recomputed = decision_digest(decision)
    except (KeyError, TypeError) as exc:
        result.problems.append(f"decision.json lacks what its digest covers ({exc})")
        return
    if recomputed != decision.get("decision_digest"):
        result.problems.append(f"decision.json does not hash to its decision digest (it says "
                               f"{decision.get('decision_digest')}, its content gives {recomputed}): altered")
    else:
        result.facts.append(f"decision digest {recomputed} recomputed from decision.json")


def _check_records(decision: dict[str, Any], doc: dict[str, Any], policy: "Policy | None",
                   result: ReportCheck) -> None:
    from govern.sign.records import SignedRecord

    entries = doc.get("records") if (doc.get("format"), doc.get("version")) == (FORMAT, 1) else None
    if not isinstance(entries, list) or set(doc) != {"format", "version", "records"}:
        result.problems.append(f"{SIGNED_RECORDS} is not a govern-signed-records document")
        return
    by_source: dict[str, SignedRecord] = {}
    for i, entry in enumerate(entries):
        problem, record = _check_record(entry, policy)
        if problem is not None:
            result.problems.append(f"signed record {i + 1} ({_name(entry)}): {problem}")
        elif record is not None:
            by_source[str(entry.get("source"))] = record
    for kind, entry in counted(decision):
        record = by_source.get(entry.get("source") or "")
        who = entry.get("signer") or entry.get("approver")
        if record is None:
            result.problems.append(f"the {kind} by {who} that the decision counts has no verified signed record "
                                   "in the report")
            continue
        p = record.payload
        claims = ({"signer": who, "gate": entry.get("gate"), "role": entry.get("role"),
                   "decision": entry.get("decision")} if kind == "signoff"
                  else {"approver": who, "check": entry.get("check"), "role": entry.get("role"),
                        "expires": entry.get("expires")})
        differing = [k for k, v in claims.items() if v is not None and p.get(k) != v]
        if differing:
            result.problems.append(f"the {kind} by {who} does not say what the decision counts it for "
                                   f"({', '.join(differing)} differ)")
    if by_source:
        result.facts.append(f"{len(by_source)} signed record(s) verified"
                            + (" against the pack's keys" if policy is not None else " with the keys they carry"))


def _name(entry: Any) -> str:
    return str(entry.get("source") or entry.get("kind")) if isinstance(entry, dict) else "?"


def _check_record(entry: Any, policy: "Policy | None") -> tuple[str | None, "SignedRecord | None"]:
    from cryptography.exceptions import InvalidSignature

    from govern.sign.keys import fingerprint, parse_public_key
    from govern.sign.payload import MalformedRecord, decode_signature, payload_from_data
    from govern.sign.records import SignedRecord

    if (not isinstance(entry, dict) or set(entry) != {"kind", "source", "payload", "signature", "public_key"}
            or entry.get("kind") not in ("signoff", "waiver") or not isinstance(entry.get("payload"), dict)):
        return "malformed entry (kind, source, payload, signature, public_key)", None
    kind = entry["kind"]
    try:
        _, payload, signature_text = payload_from_data({**entry["payload"], "signature": entry.get("signature")},
                                                        kind)
        signature = decode_signature(signature_text)
    except MalformedRecord as exc:
        return str(exc), None
    if not isinstance(entry.get("public_key"), str):
        return "no public key embedded (render the report with the policy pack)", None
    from govern.record.checkpoint import canonical_b64

    if not (canonical_b64(entry["public_key"]) and canonical_b64(signature_text)):
        return "its public key or signature is not canonical base64 (altered?)", None
    try:
        key = parse_public_key(entry["public_key"])
    except ValueError as exc:
        return f"embedded public key: {exc}", None
    if fingerprint(key) != payload.get("key_fingerprint"):
        return f"the embedded key is {fingerprint(key)}, the record names {payload.get('key_fingerprint')}", None
    try:
        key.verify(signature, canonical_json(payload))
    except InvalidSignature:
        return "signature does not verify (record altered after signing?)", None
    record = SignedRecord(kind, payload, signature_text, source=entry.get("source"))
    if policy is not None:
        from govern.sign.verify import verify_record

        verdict = verify_record(policy, record)
        if not verdict.verified:
            return f"against policy {policy.name}: {verdict.problem}", None
    return None, record


def _check_proof(decision: dict[str, Any], files: Mapping[str, bytes], checkpoint: "Checkpoint | None",
                 witness: str | None, result: ReportCheck) -> None:
    from govern.errors import GovernError
    from govern.record.checkpoint import from_data
    from govern.record.proof import check

    doc = _json(files, INCLUSION_PROOF, result)
    if doc is None:
        return
    embedded = None
    if CHECKPOINT in files:
        try:
            embedded = from_data(json.loads(files[CHECKPOINT].decode("utf-8")))
        except (UnicodeDecodeError, ValueError, GovernError) as exc:
            result.problems.append(f"{CHECKPOINT}: {exc}")
            return
    held = checkpoint or embedded
    if embedded is not None and checkpoint is not None and embedded.problem() is not None:
        result.problems.append(f"{CHECKPOINT}: {embedded.problem()}")
    if checkpoint is not None and embedded is not None and (
            checkpoint.log_id, checkpoint.tree_size, checkpoint.root_hash) != (
            embedded.log_id, embedded.tree_size, embedded.root_hash):
        result.problems.append(
            f"the report proves its decision against {embedded.describe()}; your {checkpoint.describe()} is another "
            "head: check the store with `govern audit verify --checkpoint`, or ask for a report rendered against it")
        return
    try:
        proved = check(doc, held, witness=witness)
    except GovernError as exc:
        result.problems.append(f"{INCLUSION_PROOF}: {exc}")
        return
    result.problems += [f"inclusion proof: {p}" for p in proved.problems]
    event = proved.event
    payload = _loads(event.get("payload_json"))
    rows = _loads(event.get("rows_json"))
    if event.get("kind") != "evaluation" or payload.get("decision_digest") != decision.get("decision_digest"):
        result.problems.append("the proven audit event is not this decision's evaluation (its decision digest "
                               "differs)")
        return
    recorded = _evaluation_json_digest(rows, event.get("record_id"))
    mine = "sha256:" + hashlib.sha256(canonical_json(decision)).hexdigest()
    if recorded != mine:
        result.problems.append("decision.json is not the decision JSON the audit log recorded for this evaluation")
    if proved.ok and recorded == mine:
        cp = proved.checkpoint
        result.facts.append(f"evaluation #{event.get('record_id')} is event {event.get('seq')} of log "
                            f"{doc.get('log_id')}, in the first {cp.tree_size} leaves signed by "
                            f"{cp.key_fingerprint} at {cp.time}")


def _loads(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _evaluation_json_digest(rows: dict[str, Any], evaluation_id: Any) -> str | None:
    part = rows.get("evaluation") or {}
    columns, values = part.get("columns") or [], part.get("rows") or []
    for row in values:
        named = dict(zip(columns, row))
        if named.get("id") == evaluation_id:
            return named.get("decision_json")
    return None


def files_of(attachments: Iterable[tuple[str, str, str, str]]) -> dict[str, bytes]:
    """Attachments as :func:`attachments` returns them → the name → bytes map :func:`verify` reads."""
    return {name: text.encode("utf-8") for name, text, _, _ in attachments}
