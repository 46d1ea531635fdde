"""A recorded decision → the model registry: move the stage's alias only if the decision allows it.

``govern check --mlflow models:/NAME/VERSION --promote STAGE`` calls :func:`promote` after the
decision is recorded. Allowed: the version gets the ``govern.*`` tags and the alias ``STAGE``.
Blocked: no alias moves; the version gets ``govern.blocked_by`` (what blocks it) and the same
decision tags, and loses ``govern.allowed_stage``. Either way an audit event (kind
``registry``) records what was done, with the decision it followed.

Before an alias moves, the version is read again: if its model or evidence is no longer what was
decided on (a metric logged during the check), nothing moves and the check exits 2.

Order matters for the audit trail: the alias is moved first and the event appended after. If
the event cannot be written the alias is moved back; if even that fails, the registry holds an
alias no event accounts for, which is exactly what `govern verify-registry` reports -- the
failure is loud, never a silent promotion.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govern.errors import Diagnostic, Span
from govern.evidence.mlflow import MlflowError

if TYPE_CHECKING:
    from govern.evaluate.results import Decision
    from govern.evidence.mlflow import Pulled
    from govern.record.store import Store

#: MLflow caps tag values at 5000 characters (some stores fewer); what blocks is cut to fit.
MAX_TAG_VALUE = 4000
TAG_PREFIX = "govern."


@dataclass(frozen=True)
class Promotion:
    """What was done to the registry, as the audit event records it."""

    moved: bool
    alias: str
    name: str
    version: str
    previous_version: str | None
    tags: dict[str, str]
    event: int

    def lines(self) -> list[str]:
        where = f"{self.name} version {self.version}"
        if self.moved:
            before = f" (was version {self.previous_version})" if self.previous_version not in (None, self.version) \
                else ""
            head = f"registry: alias `{self.alias}` → {where}{before}"
        else:
            head = f"registry: alias `{self.alias}` not moved; {where} tagged govern.blocked_by"
        return [head, f"  recorded as audit event #{self.event}"]


def alias_problem(stage: str) -> str | None:
    """Why a stage name cannot be an MLflow alias, or None."""
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]{0,254}", stage) or re.fullmatch(r"[vV]\d+", stage) \
            or stage.lower() == "latest":
        return "MLflow aliases are letters, digits, `_` and `-`, and cannot be `latest` or look like a version (v1)"
    return None


def promote(pulled: "Pulled", decision: "Decision", evaluation_id: int, stage: str, store: "Store") -> Promotion:
    """Apply ``decision`` to the registry version ``pulled`` came from (see the module docstring)."""
    from govern.evidence.mlflow.connect import calling, connect, public_uri

    if pulled.name is None or pulled.version is None:
        raise MlflowError(Diagnostic("promote-needs-registry", f"{pulled.ref.uri} is a run, not a registry version",
                                     Span("--promote"), "name models:/NAME/VERSION (or @ALIAS) to promote"))
    conn = connect(pulled.tracking_uri)
    client, name, version = conn.client, pulled.name, pulled.version
    if decision.allowed:  # the version may have changed while it was checked: move nothing onto other evidence
        from govern.evidence.mlflow import digests_now

        model_now, evidence_now = digests_now(conn.uri, name, version)
        if (model_now, evidence_now) != (decision.model_digest, decision.evidence_digest):
            raise MlflowError(Diagnostic(
                "promote-evidence-changed", f"{name} version {version} changed while it was checked (evidence "
                f"now {evidence_now}, checked {decision.evidence_digest}): alias `{stage}` not moved",
                Span("--promote"), "run the check again on the version as it is now"))
    with calling(conn.uri, f"reading registered model {name}"):
        aliases = dict(client.get_registered_model(name).aliases or {})
        current_tags = dict(client.get_model_version(name, version).tags or {})
    previous = aliases.get(stage)
    tags = decision_tags(decision, stage)
    stale = [key for key in current_tags if key.startswith(TAG_PREFIX) and key not in tags]
    with calling(conn.uri, f"tagging {name} version {version}"):
        for key in stale:
            client.delete_model_version_tag(name, version, key)
        for key, value in tags.items():
            client.set_model_version_tag(name, version, key, value)
        if decision.allowed:
            client.set_registered_model_alias(name, stage, version)
    payload = {
        "action": "promote" if decision.allowed else "blocked", "registered_model": name, "version": version,
        "alias": stage, "previous_version": previous, "run_id": pulled.run_id,
        "tracking_uri": public_uri(conn.uri), "tags": tags, "evaluation": evaluation_id,
        "decision_digest": decision.digest, "model_digest": decision.model_digest,
        "evidence_digest": decision.evidence_digest, "policy_digest": decision.policy["digest"],
        "target": decision.target, "allowed": decision.allowed,
    }
    try:
        seq = store.record_registry(decision.use_case_id, payload)
    except Exception:
        if decision.allowed:
            with calling(conn.uri, f"moving alias `{stage}` of {name} back"):
                if previous is None:
                    client.delete_registered_model_alias(name, stage)
                else:
                    client.set_registered_model_alias(name, stage, previous)
        raise
    return Promotion(decision.allowed, stage, name, version, previous, tags, seq)


def decision_tags(decision: "Decision", stage: str) -> dict[str, str]:
    """The ``govern.*`` tags a decision puts on a version (a summary for people: the audit event is the record)."""
    tags = {
        "govern.decision_digest": decision.digest,
        "govern.tier": decision.tier,
        "govern.policy_digest": decision.policy["digest"],
        "govern.checked_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"),
    }
    if decision.allowed:
        tags["govern.allowed_stage"] = stage
    else:
        blocked = ", ".join(decision.determining) or decision.verdict
        tags["govern.blocked_by"] = blocked if len(blocked) <= MAX_TAG_VALUE else blocked[:MAX_TAG_VALUE - 1] + "…"
    return tags
