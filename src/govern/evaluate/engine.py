"""Gate graph + evidence → :class:`~govern.evaluate.results.Decision` for a target stage.

Gates are walked in topological order. A check's status comes from its condition (or its
kind's own verdict); an undetermined condition or unreadable evidence is ``error``, which
never passes (fail closed). A gate passes when every blocking check passed (or was
waived), every required sign-off is present and valid, every required document exists,
and every predecessor passed; otherwise it is ``failed``, ``error``, ``pending`` (only
sign-offs missing) or ``blocked`` (an upstream gate has not passed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern import __version__
from govern.checks.base import Measurement
from govern.collector import start_up_over
from govern.dsl import nodes as n
from govern.dsl.values import UNDETERMINED, EvalError, lookup
from govern.errors import GovernError
from govern.evaluate.registration import intake
from govern.evaluate.results import CheckResult, Decision, GateResult, SignoffResult
from govern.evaluate.signoffs import evaluate_signoff, find_waiver
from govern.policy.model import CheckSpec, DocumentSpec

if TYPE_CHECKING:
    from govern.classification import Classification
    from govern.checks.context import EvaluationContext
    from govern.plan.graph import Gate, Requirement


def evaluate(ctx: "EvaluationContext", classification: "Classification", target: str | None = None) -> Decision:
    start_up_over()  # from here on, data checks make garbage worth collecting (govern.collector)
    plan = ctx.plan
    if target is None:
        target = plan.order[-1]
    results: dict[str, GateResult] = {}
    entry = plan.order[0]
    registration, authors = intake(ctx, plan.tier, entry)  # before sign-offs: it says who built the model
    if authors is not None:
        ctx.registered_authors = authors
    for gate_id in plan.order:
        gate = plan.gates[gate_id]
        checks = [registration] if registration is not None and gate_id == entry else []
        checks += [run_check(ctx, gate_id, req) for req in gate.checks]
        checks += [check_document(ctx, gate_id, req) for req in gate.documents]
        signoffs = [evaluate_signoff(ctx, gate_id, req) for req in gate.signoffs]
        upstream = [p for p in plan.predecessors(gate_id) if not results[p].passing]
        results[gate_id] = _gate_result(gate, checks, signoffs, upstream)
    determining = _determining(plan, results, target)
    allowed = results[target].passing
    decision = Decision(
        use_case_id=ctx.use_case.id, use_case_name=ctx.use_case.name, tier=plan.tier, target=target,
        allowed=allowed, verdict=_verdict(ctx, results, target, determining, allowed),
        gates=tuple(results[g] for g in plan.order), determining=tuple(determining),
        policy={"name": ctx.policy.name, "version": ctx.policy.version, "digest": ctx.policy.digest},
        use_case_digest=ctx.use_case.digest, plan_digest=plan.digest, evidence_digest=ctx.evidence_digest,
        model_digest=ctx.model_digest, model=ctx.model_info(), as_of=ctx.as_of,
        classification=classification.to_dict(), govern_version=__version__,
    )
    object.__setattr__(decision, "digest", decision.compute_digest())
    return decision


# --- checks ------------------------------------------------------------------------------

def run_check(ctx: "EvaluationContext", gate_id: str, req: "Requirement") -> CheckResult:
    spec = req.spec
    assert isinstance(spec, CheckSpec)
    base = dict(id=spec.id, gate=gate_id, kind=spec.kind, enforcement=spec.enforcement, location=req.location,
                citation=spec.citation, title=spec.title)
    if spec.kind == "prohibited":
        return CheckResult(status="failed", message=spec.title or "deployment is prohibited for this tier",
                           expected="never", **base)
    from govern.checks.registry import DEFAULT_CONDITIONS, runner

    condition = ctx.policy.conditions.get((ctx.plan.tier, gate_id, "check", spec.id, "condition"))
    expected = spec.condition or DEFAULT_CONDITIONS.get(spec.kind)
    try:
        resolved = spec.model_copy(update={"params": ctx.policy.resolve(spec.params)})
        measurement = runner(spec.kind)(resolved, ctx) if spec.kind != "metric" else Measurement()
        if condition is None and expected is not None:
            condition = _default_condition(ctx, expected)
        status, message, measured = _judge(ctx, spec, measurement, condition)
    except GovernError as exc:
        first = exc.diagnostics[0]
        where = f" ({first.span})" if first.span is not None and first.span.file else ""
        return CheckResult(status="error", message=f"{first.message}{where}", expected=expected,
                           details=tuple(d.render() for d in exc.diagnostics[1:]), **base)
    except EvalError as exc:
        return CheckResult(status="error", message=f"condition could not be evaluated: {exc.message}",
                           expected=expected, **base)
    except ValueError as exc:  # parameters or data the statistics cannot use (e.g. unordered band edges)
        return CheckResult(status="error", message=f"`{spec.kind}` check could not run: {exc}",
                           expected=expected, **base)
    evidence = tuple(measurement.evidence) + _condition_evidence(ctx, condition)
    result = CheckResult(status=status, message=message, expected=expected, measured=measured,
                         evidence=_unique(evidence), details=tuple(measurement.details), **base)
    return _apply_enforcement(ctx, spec, result)


def _default_condition(ctx: "EvaluationContext", text: str):
    from govern.dsl.compiler import compile_expression
    from govern.dsl.parser import parse_expression
    from govern.policy.pack import Condition

    expr = parse_expression(text, "<default condition>")
    return Condition(text, expr, compile_expression(expr, ctx.policy.definitions), expr.span)


def _reads(condition) -> list[tuple[str, ...]]:
    out = []
    for node in n.walk(condition.expr):
        if isinstance(node, n.Path) and len(node.parts) > 1 and node.parts not in out:
            out.append(node.parts)
    return out


def _judge(ctx: "EvaluationContext", spec: CheckSpec, m: Measurement, condition) -> tuple[str, str, dict[str, Any]]:
    if condition is None:
        if m.ok is None:
            return "error", f"a `{spec.kind}` check needs a `condition`", m.measured
        return ("passed" if m.ok else "failed"), m.message, m.measured
    reads = _reads(condition)
    env = ctx.env({p[0] for p in reads}, m.measured)
    value = condition.fn(env)
    measured = dict(m.measured)
    missing = []
    for parts in reads:
        found = lookup(env, parts)
        dotted = n.dotted(parts)
        if found is UNDETERMINED:
            missing.append(dotted)
        elif parts[0] != "result" and not isinstance(found, dict):
            measured[dotted] = found
    if value is True:
        return "passed", m.message or f"{condition.text} holds", measured
    if value is False:
        detail = m.message or f"{condition.text} does not hold"
        return "failed", detail, measured
    if value is UNDETERMINED:
        what = ", ".join(f"`{x}`" for x in missing) or "a value it reads"
        why = f" — {m.message}" if m.message else ""
        return "error", f"cannot decide `{condition.text}`: {what} missing from the evidence{why}", measured
    raise EvalError(f"condition gave {value!r}, not true or false")


def _condition_evidence(ctx: "EvaluationContext", condition) -> tuple:
    if condition is None:
        return ()
    roles = {"metrics": "metrics", "champion": "champion_metrics", "model": "model_card"}
    refs = []
    for parts in _reads(condition):
        role = roles.get(parts[0])
        if role:
            found = ctx.metrics_file() if role == "metrics" else ctx.optional_file(role)
            if found is not None:
                refs.append(ctx.ref(found))
    return tuple(refs)


def _unique(refs: tuple) -> tuple:
    seen, out = set(), []
    for ref in refs:
        if ref.path not in seen:
            seen.add(ref.path)
            out.append(ref)
    return tuple(out)


def _apply_enforcement(ctx: "EvaluationContext", spec: CheckSpec, result: CheckResult) -> CheckResult:
    from dataclasses import replace

    if result.status != "failed":
        return result
    # a waiver is a signed acceptance of a known failure; it applies to warnings as well, so the
    # record says the risk was accepted rather than merely shown
    waiver, refused = find_waiver(ctx, result.gate, spec.id) if spec.waivable else (None, [])
    if waiver is not None:
        return replace(result, status="waived", waiver=waiver,
                       message=f"{result.message} — waived by {waiver['approver']} until {waiver['expires']}: "
                               f"{waiver['reason']}")
    if refused:
        result = replace(result, message=f"{result.message} — " + "; ".join(refused))
    if spec.enforcement == "warn":
        return replace(result, status="warned")
    return result


def check_document(ctx: "EvaluationContext", gate_id: str, req: "Requirement") -> CheckResult:
    spec = req.spec
    assert isinstance(spec, DocumentSpec)
    base = dict(id=spec.id, gate=gate_id, kind="document", enforcement="block", location=req.location,
                citation=spec.citation, title=spec.title)
    target = spec.path or spec.role
    assert target is not None
    expected = f"document `{target}` in the evidence"
    try:
        found = ctx.bundle.get(target)
    except GovernError as exc:
        return CheckResult(status="error", message=exc.diagnostics[0].message, expected=expected, **base)
    if found is None:
        return CheckResult(status="failed", message=f"required document `{target}` is missing from the evidence",
                           expected=expected, **base)
    if found.size == 0:
        return CheckResult(status="failed", message=f"required document `{found.path}` is empty",
                           expected=expected, evidence=(ctx.ref(found),), **base)
    return CheckResult(status="passed", message=f"{found.path} present", expected=expected,
                       evidence=(ctx.ref(found),), **base)


# --- gates ---------------------------------------------------------------------------------

def _gate_result(gate: "Gate", checks: list[CheckResult], signoffs: list[SignoffResult],
                 upstream: list[str]) -> GateResult:
    failed = [c for c in checks if c.enforcement == "block" and c.status == "failed"]
    errors = [c for c in checks if c.enforcement == "block" and c.status == "error"]
    rejected = [s for s in signoffs if s.status == "failed"]
    pending = [s for s in signoffs if s.status == "pending"]
    if upstream:
        status, message = "blocked", f"waiting for {', '.join(upstream)}"
    elif failed or rejected:
        status = "failed"
        message = "; ".join([f"{c.id} failed" for c in failed] + [f"{s.role} sign-off rejected" for s in rejected])
    elif errors:
        status, message = "error", "; ".join(
            f"{c.id}: {'not registered' if c.kind == 'registration' else 'evidence error'}" for c in errors)
    elif pending:
        status = "pending"
        message = "; ".join(s.message for s in pending)
    elif any(c.status == "waived" for c in checks):
        status, message = "waived", "passed with waivers"
    elif any(c.status in ("warned", "error") for c in checks):
        status, message = "warned", "passed with warnings"
    else:
        status, message = "passed", "all requirements met"
    return GateResult(gate.id, gate.title, status, tuple(checks), tuple(signoffs), tuple(upstream), message)


def _determining(plan, results: dict[str, GateResult], target: str) -> list[str]:
    """The qualified ids of what stands between the model and the target stage."""
    ancestors = plan.ancestors(target)
    gates = [g for g in plan.order if g in ancestors or g == target]
    out: list[str] = []
    for gate_id in gates:
        result = results[gate_id]
        if result.passing:
            continue  # a blocked gate's own failures stand in the way too, not only its upstream
        out += [c.qualified_id for c in result.checks if c.blocks]
        out += [f"{gate_id}.signoff:{s.id or s.role}" for s in result.signoffs if s.status != "passed"]
    return out


def _verdict(ctx: "EvaluationContext", results: dict[str, GateResult], target: str, determining: list[str],
             allowed: bool) -> str:
    name = ctx.use_case.id
    if allowed:
        ancestors = ctx.plan.ancestors(target)
        path = [g for g in results if g == target or g in ancestors]
        statuses = {results[g].status for g in path}
        suffix = " (with waivers in force)" if "waived" in statuses else (
            " (with warnings)" if "warned" in statuses else "")
        return f"ALLOWED: {name} may enter `{target}`{suffix}."
    if not determining:
        return f"BLOCKED: {name} may not enter `{target}`."
    shown = ", ".join(determining[:5]) + (f" and {len(determining) - 5} more" if len(determining) > 5 else "")
    return f"BLOCKED: {name} may not enter `{target}` — {shown}."
