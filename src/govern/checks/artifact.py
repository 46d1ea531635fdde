"""`artifact` check: required files exist in the evidence, with the digests the policy expects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.checks.base import Measurement, param_list
from govern.errors import GovernError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    missing, mismatched, refs = [], [], []
    wanted: list[dict[str, Any]] = []
    for item in spec.params.get("files") or []:
        wanted.append(item if isinstance(item, dict) else {"path": str(item)})
    wanted += [{"path": role} for role in param_list(spec.params, "roles")]
    for item in wanted:
        target = str(item.get("path"))
        try:
            found = ctx.bundle.get(target)
        except GovernError as exc:
            missing.append(f"{target} ({exc.diagnostics[0].message})")
            continue
        if found is None:
            missing.append(target)
            continue
        refs.append(ctx.ref(found))
        expected = item.get("sha256")
        if expected and str(expected).removeprefix("sha256:").lower() != found.sha256:
            mismatched.append(f"{found.path}: expected {str(expected)[:19]}…, found sha256:{found.sha256[:12]}…")
    parts = (["missing: " + ", ".join(missing)] if missing else []) + (
        ["digest mismatch: " + "; ".join(mismatched)] if mismatched else [])
    return Measurement(measured={"missing": missing, "mismatched": mismatched},
                       ok=not (missing or mismatched) and bool(wanted),
                       message="; ".join(parts) or (f"{len(wanted)} artifact(s) present" if wanted
                                                    else "no artifacts listed in params"),
                       evidence=refs)
