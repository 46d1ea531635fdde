"""`reproducibility` check: locked environment, recorded seeds, data digests that match the files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.checks.base import Measurement
from govern.errors import GovernError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def _data_references(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, sha256) pairs the model card declares for its training/evaluation data."""
    out: list[tuple[str, str]] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            path, sha = value.get("path") or value.get("file"), value.get("sha256") or value.get("digest")
            if isinstance(path, str) and isinstance(sha, str):
                out.append((path, sha.removeprefix("sha256:").lower()))
            for child in value.values():
                visit(child)
        elif isinstance(value, list):
            for child in value:
                visit(child)
    for key in ("datasets", "training_data", "evaluation_data", "data"):
        visit(metadata.get(key))
    return out


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    params = spec.params
    problems: list[str] = []
    measured: dict[str, Any] = {}
    refs = []
    if params.get("require_lock", True):
        env = ctx.environment()
        refs += [ctx.ref(ctx.file("environment"))]
        measured["packages"] = len(env.packages)
        measured["unpinned"] = list(env.unpinned)
        if not env.packages:
            problems.append("the environment file lists no packages")
        if env.unpinned:
            problems.append("not pinned to exact versions: " + ", ".join(env.unpinned[:10]))
    if params.get("require_seeds", True):
        seeds = ctx.seeds()
        refs.append(ctx.ref(ctx.file("seeds")))
        measured["seeds"] = dict(seeds)
        if not seeds:
            problems.append("no seeds recorded")
    if params.get("verify_data_digests", True):
        mismatches = []
        card = ctx.model_card()
        references = _data_references(card.metadata)
        for path, sha in references:
            try:
                found = ctx.bundle.get(path)
            except GovernError as exc:
                mismatches.append(f"{path}: {exc.diagnostics[0].message}")
                continue
            if found is None:
                continue  # data kept outside the bundle: its digest is recorded, not checkable here
            refs.append(ctx.ref(found))
            if found.sha256 != sha:
                mismatches.append(f"{path}: model card says {sha[:12]}…, file is {found.sha256[:12]}…")
        measured["data_references"] = len(references)
        measured["digest_mismatches"] = mismatches
        problems += [f"data digest mismatch: {m}" for m in mismatches]
        if not references:  # nothing to verify is not verified
            problems.append("the model card names no training or evaluation data with sha256 digests "
                            "(metadata `training_data` / `evaluation_data` / `datasets`: path + sha256)")
    message = "; ".join(problems) if problems else "environment locked, seeds recorded, data digests match"
    return Measurement(measured=measured, ok=not problems, message=message, evidence=refs, details=problems)
