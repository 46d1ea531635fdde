"""What `govern sign` and `govern waive` share: the subject being signed, who may sign, and delivery.

Everything is checked *before* anything is signed, and every refusal is a
:class:`~govern.sign.keys.SigningError` (exit 2) that says what to do instead: an unknown gate,
role or check gets a did-you-mean; a signer who is not in the pack, does not hold the role, or
whose key is not the one the pack lists for them is refused -- a record the evaluator would
reject anyway is never produced.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from govern.errors import Diagnostic, did_you_mean
from govern.sign.keys import SigningError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govern.evidence.bundle import EvidenceBundle
    from govern.load.use_case import UseCase
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy
    from govern.sign.records import SignedRecord


def refuse(code: str, message: str, hint: str | None = None) -> SigningError:
    return SigningError(Diagnostic(code, message, hint=hint))


@dataclass
class Subject:
    """The exact things a record is bound to: policy, use case, its plan, and the evidence digests."""

    policy: "Policy"
    use_case: "UseCase"
    plan: "Plan"
    bundle: "EvidenceBundle"
    evidence_digest: str
    model_digest: str

    @classmethod
    def load(cls, policy_path: Path, use_case_path: Path, evidence: Path, as_of: _dt.date) -> "Subject":
        from govern.classification import classify
        from govern.evidence.bundle import EvidenceBundle
        from govern.evidence.identity import evidence_digest, model_digest
        from govern.load.answers import check_answers
        from govern.load.pack import load_policy
        from govern.load.use_case import load_use_case
        from govern.plan.graph import compile_plan

        policy = load_policy(policy_path)
        use_case = load_use_case(use_case_path, policy.facts)
        check_answers(policy, use_case)
        plan = compile_plan(policy, use_case, classify(policy, use_case, as_of))
        bundle = EvidenceBundle.open(Path(evidence))
        return cls(policy, use_case, plan, bundle, evidence_digest(bundle), model_digest(bundle))

    def authors(self, as_of: _dt.date, store: Any | None = None) -> frozenset[str]:
        """Who built the model, as evaluation will see it: the descriptor's authors plus those of
        the valid registration (bundle files, and the store when one is used)."""
        from govern.checks.context import EvaluationContext
        from govern.evaluate.registration import intake
        from govern.evidence.sources import FileRegistrationSource
        from govern.sign.sources import CombinedRegistrationSource, InMemorySignoffSource, InMemoryWaiverSource
        from govern.sign.verify import policy_verifier

        verifier = policy_verifier(self.policy)
        registrations: Any = FileRegistrationSource(self.bundle, verifier)
        if store is not None:
            from govern.record.sources import StoreRecords

            registrations = CombinedRegistrationSource(registrations,
                                                       StoreRecords(store).registration_source(verifier))
        ctx = EvaluationContext(self.policy, self.use_case, self.plan, self.bundle, as_of, InMemorySignoffSource(),
                                InMemoryWaiverSource(), registrations)
        _, registered = intake(ctx, self.plan.tier, self.plan.order[0])
        ctx.registered_authors = registered
        return ctx.authors

    # -- what may be signed -------------------------------------------------------------
    def gate_role(self, gate: str, role: str) -> Any:
        """The gate's sign-off requirement ``role`` names (see :func:`govern.plan.signoffs.gate_role`)."""
        from govern.plan.signoffs import gate_role

        return gate_role(self.plan, gate, role)

    def waivable_check(self, qualified: str) -> tuple[str, str]:
        """``GATE.CHECK`` → (gate, check), refusing unknown and non-waivable checks."""
        plan = self.plan
        known = {f"{g}.{r.spec.id}": r.spec for g in plan.order for r in plan.gates[g].checks}
        if qualified not in known:
            hint = did_you_mean(qualified, known)
            if hint is None and "." not in qualified:
                matches = [q for q in known if q.endswith("." + qualified)]
                hint = f"did you mean `{matches[0]}`? (write GATE.CHECK)" if matches else None
            raise refuse("waive-unknown-check", f"check `{qualified}` is not in the {plan.tier} plan of "
                         f"{self.use_case.id}", hint or ("checks: " + ", ".join(known) if known else None))
        spec = known[qualified]
        if spec.kind == "prohibited":  # type: ignore[union-attr]
            raise refuse("waive-not-waivable", f"`{qualified}` cannot be waived: tier {plan.tier} is prohibited",
                         "prohibited practices have no exceptions; change the use case, not the gate")
        if not getattr(spec, "waivable", True):
            raise refuse("waive-not-waivable", f"check `{qualified}` is marked `waivable: false` in policy "
                         f"{self.policy.name}", "fix what the check reports; the policy allows no exception")
        gate, _, check = qualified.partition(".")
        return gate, check


# -- who may sign ----------------------------------------------------------------------------

def person_or_refuse(policy: "Policy", person_id: str, what: str) -> Any:
    for person in policy.manifest.people:
        if person.id == person_id:
            return person
    ids = [p.id for p in policy.manifest.people]
    raise refuse("sign-unknown-person", f"{what} `{person_id}` is not a person in policy {policy.name}",
                 did_you_mean(person_id, ids) or ("people: " + ", ".join(ids) if ids else
                                                  "the pack lists no people"))


def key_matches_person(policy: "Policy", person: Any, private_key: "Ed25519PrivateKey", key_path: Path) -> str:
    """The fingerprint of ``private_key`` if it is the key the pack lists for ``person``; else refuse."""
    from govern.sign.keys import fingerprint, parse_public_key

    fp = fingerprint(private_key.public_key())
    if not person.public_key:
        raise refuse("sign-no-public-key", f"{person.id} has no `public_key` in policy {policy.name}",
                     f"add `public_key:` (printed by `govern keys show {key_path}`) to their `people:` entry, "
                     "through the pack's review process")
    try:
        listed = fingerprint(parse_public_key(person.public_key))
    except ValueError as exc:
        raise refuse("sign-bad-public-key", f"the public_key of {person.id} in policy {policy.name} is "
                     f"unusable: {exc}") from None
    if listed != fp:
        others = [p.id for p in policy.manifest.people if p.public_key and p.id != person.id
                  and _fp_or_none(p.public_key) == fp]
        whose = f"; it is {others[0]}'s key" if others else ""
        raise refuse("sign-key-mismatch", f"key {key_path} ({fp}) is not {person.id}'s key in policy "
                     f"{policy.name} ({listed}){whose}", "sign with your own key; records are checked "
                     "against the pack's public keys and would not count")
    return fp


def _fp_or_none(text: str) -> str | None:
    from govern.sign.keys import fingerprint, parse_public_key

    try:
        return fingerprint(parse_public_key(text))
    except ValueError:
        return None


def load_signing_key(key: str) -> tuple["Ed25519PrivateKey", Path, str | None]:
    """``--key`` → (private key, its path, a warning about loose permissions or None)."""
    from govern.sign.keys import load_private_key, loose_permissions, resolve_key_path

    path = resolve_key_path(key)
    warning = (f"warning: {path} is readable by other users; `chmod 600 {path}`"
               if loose_permissions(path) else None)
    return load_private_key(path), path, warning


# -- delivery ----------------------------------------------------------------------------------

def store_class() -> Any:
    """The audit store's ``Store`` class, or a clear refusal when it is not installed."""
    try:
        from govern.record.store import Store
    except ImportError as exc:
        raise refuse("store-unavailable", f"the audit store (govern.record) cannot be loaded: {exc}",
                     "pass --no-store and keep the signed record as a file (--out FILE or --into-evidence); "
                     "`govern check` reads record files from the evidence bundle") from None
    return Store


def store_opener(database: str | None) -> Callable[[], Any]:
    """Opens the audit store named by --database (else GOVERN_DATABASE_URL, the config, the default);
    refused up front when the store cannot be loaded at all."""
    import functools

    return functools.partial(store_class().open, database)


def store(open_store: Callable[[], Any], record: "SignedRecord") -> Any:
    db = open_store()
    try:
        return db.add_signed(record)
    finally:
        close = getattr(db, "close", None)
        if callable(close):
            close()


def deliver(record: "SignedRecord", *, out: Path | None, into: Path | None,
            open_store: Callable[[], Any] | None, folder: str) -> list[str]:
    """Write the record file(s) and store it; returns what was done, one line each."""
    from govern.sign.payload import record_filename, record_text, write_atomic

    done: list[str] = []
    if out is not None:
        fmt = "json" if out.suffix.lower() == ".json" else "yaml"
        written = write_atomic(out, record_text(record, fmt), replace=True)
        done.append(f"written to {written}")
    if into is not None:
        written = write_atomic(into / folder / record_filename(record), record_text(record), replace=False)
        done.append(f"written to {written} (travels with the evidence)")
    if open_store is not None:
        ident = store(open_store, record)
        done.append(f"stored in the audit store as record {ident}")
    return done


def sign_and_deliver(policy: "Policy", private_key: "Ed25519PrivateKey", payload: dict[str, Any], *,
                     out: Path | None, into: Path | None, open_store: Callable[[], Any] | None, folder: str,
                     summary: list[str]) -> None:
    """Sign ``payload``, check the record verifies against the pack as evaluation will, deliver it and
    say so: ``summary`` first, then where it went (or the record itself when it goes nowhere)."""
    import click

    from govern.sign.payload import record_text, sign
    from govern.sign.verify import verify_record

    record = sign(private_key, payload)
    verdict = verify_record(policy, record)
    assert verdict.verified, verdict.problem  # the record just made must verify against the pack
    done = deliver(record, out=out, into=into, open_store=open_store, folder=folder)
    if not done:
        click.echo(record_text(record), nl=False)
        return
    for line in summary + [f"  {line}" for line in done]:
        click.echo(line)

