"""Policy + use case + evidence folder → Decision: the whole `govern check` pipeline in one call."""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from govern.errors import Diagnostic, GovernError, did_you_mean

if TYPE_CHECKING:
    from govern.evaluate.results import Decision
    from govern.sign.sources import RecordSources, RegistrationSource, SignoffSource, WaiverSource
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy


class UsageError(GovernError):
    """A command-line value that does not fit the inputs (e.g. an unknown target stage)."""


def check(policy: "Policy", use_case: "UseCase", evidence: Path | str, *, target: str | None = None,
          as_of: _dt.date | None = None, signoffs: "SignoffSource | None" = None,
          waivers: "WaiverSource | None" = None, records: "RecordSources | None" = None,
          registrations: "RegistrationSource | None" = None) -> "Decision":
    """Classify, plan and evaluate, at today's date (UTC) unless ``as_of`` asks for a replay.

    Sign-offs, waivers and registrations come from the bundle's record files and, with
    ``records`` (the audit store, handed in by the front end), from there too; either way they
    count only if signed by a key the policy maps to the signer.
    """
    from govern.checks.registry import require_libraries
    from govern.classification import classify
    from govern.checks.context import EvaluationContext
    from govern.evaluate.engine import evaluate
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.sources import FileRegistrationSource, FileSignoffSource, FileWaiverSource
    from govern.plan.graph import compile_plan

    replay = as_of is not None
    as_of = as_of or _dt.datetime.now(_dt.timezone.utc).date()  # the honest clock: today in UTC, wherever CI runs
    classification = classify(policy, use_case, as_of)
    plan = compile_plan(policy, use_case, classification)
    if target is not None and target not in plan.gates:
        raise UsageError(Diagnostic(
            "unknown-target", f"stage `{target}` is not in the {plan.tier} plan of {use_case.id}",
            hint=did_you_mean(target, plan.gates) or "stages: " + ", ".join(plan.order)))
    require_libraries(policy, plan)  # a core install without the `stats` extra: exit 2, not a crash mid-way
    from govern.sign.verify import policy_verifier

    bundle = EvidenceBundle.open(Path(evidence))
    _check_evidence_pointers(use_case, bundle)
    verifier = policy_verifier(policy)  # record files count only if signed by a key in the pack
    if registrations is None:
        registrations = FileRegistrationSource(bundle, verifier)
    if records is not None:
        from govern.sign.sources import CombinedRegistrationSource, CombinedSignoffSource, CombinedWaiverSource

        if signoffs is None and waivers is None:
            signoffs = CombinedSignoffSource(FileSignoffSource(bundle, verifier), records.signoff_source(verifier))
            waivers = CombinedWaiverSource(FileWaiverSource(bundle, verifier), records.waiver_source(verifier))
        registrations = CombinedRegistrationSource(registrations, records.registration_source(verifier))
    ctx = EvaluationContext(policy, use_case, plan, bundle, as_of,
                            signoffs if signoffs is not None else FileSignoffSource(bundle, verifier),
                            waivers if waivers is not None else FileWaiverSource(bundle, verifier),
                            registrations)
    decision = evaluate(ctx, classification, target)
    return replace(decision, replay=replay, record_sources=("bundle", "store") if records is not None else ("bundle",))


def _check_evidence_pointers(use_case: "UseCase", bundle) -> None:
    """Every `evidence:` pointer of the descriptor names a file of this bundle, or the input is wrong (exit 2).

    The pointers back answers the pack marks `evidence_required` (checked present when the
    descriptor is loaded); only here, with the bundle, can they be resolved. The paths are
    confined like every evidence path, and the files are in the evidence digest like every file.
    """
    from govern.errors import UseCaseError

    doc = use_case.document
    problems = []
    for fact, path in sorted(use_case.evidence.items()):
        try:
            found = bundle.get(path)
            problem = None if found is not None else f"`{path}` is not a file of the evidence bundle {bundle.root}"
            hint = "add the document to the bundle, or point to the file that supports the answer"
        except GovernError as exc:
            found, problem, hint = None, exc.diagnostics[0].message, exc.diagnostics[0].hint
        if problem is None:
            continue
        message = f"the evidence for `{fact}`: {problem}"
        problems.append(doc.diagnostic("evidence-missing", message, ("evidence", fact), hint) if doc is not None
                        else Diagnostic("evidence-missing", message, hint=hint))
    if problems:
        raise UseCaseError(problems)
