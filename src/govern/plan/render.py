"""Plan → human text and Graphviz DOT (no Graphviz needed to produce the DOT text)."""

from __future__ import annotations

from govern.plan.graph import Plan
from govern.policy.model import CheckSpec, DocumentSpec, SignoffSpec


def describe_signoff(spec: SignoffSpec) -> str:
    parts = [f"{spec.count} × {spec.role}" + (f" ({spec.title})" if spec.title else "")]
    if spec.not_author:
        parts.append("not the model's author")
    if spec.distinct_from:
        parts.append("distinct from " + ", ".join(spec.distinct_from))
    if spec.valid_for:
        parts.append(f"valid for {spec.valid_for}")
    return "; ".join(parts)


def describe_check(spec: CheckSpec) -> str:
    text = f"{spec.id} [{spec.kind}, {spec.enforcement}]"
    if spec.condition:
        text += f": {spec.condition}"
    elif spec.params:
        text += ": " + ", ".join(f"{k}={v}" for k, v in sorted(spec.params.items()))
    return text


def _note(req) -> str:
    """Why a requirement is there when it is conditional, and its citation."""
    parts = []
    when = getattr(req.spec, "when", None)
    if when:
        parts.append(f"when {when}" + (" — undetermined, kept (fail closed)" if req.applicability == "undetermined"
                                        else ""))
    citation = getattr(req.spec, "citation", None)
    if citation:
        parts.append(citation)
    return f"  [{'; '.join(parts)}]" if parts else ""


def to_text(plan: Plan) -> str:
    lines = [f"{plan.use_case_id}: tier {plan.tier} — {len(plan.order)} gates  (plan {plan.digest[:19]}…)"]
    for gate_id in plan.order:
        gate = plan.gates[gate_id]
        after = f" after {', '.join(gate.after)}" if gate.after else " (entry)"
        lines.append("")
        lines.append(f"▸ {gate.id}: {gate.title}{after}")
        if gate.raci:
            lines.append("    RACI: " + ", ".join(f"{role}={letter}" for role, letter in sorted(gate.raci.items())))
        for req in gate.checks:
            assert isinstance(req.spec, CheckSpec)
            lines.append(f"    check    {describe_check(req.spec)}{_note(req)}")
        for req in gate.signoffs:
            assert isinstance(req.spec, SignoffSpec)
            lines.append(f"    sign-off {describe_signoff(req.spec)}{_note(req)}")
        for req in gate.documents:
            assert isinstance(req.spec, DocumentSpec)
            target = req.spec.path or f"role {req.spec.role}"
            title = f" {req.spec.title}" if req.spec.title else ""
            lines.append(f"    document {req.spec.id}{title} ({target}){_note(req)}")
        if not (gate.checks or gate.signoffs or gate.documents):
            lines.append("    (no requirements)")
    return "\n".join(lines)


#: label lines longer than this wrap: a check's condition can run to 150 characters
LABEL_WIDTH = 48
#: more gates than this in a row do not fit a page left to right; such plans are laid out top to bottom
WIDE = 4


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrap(row: str) -> list[str]:
    import textwrap

    return textwrap.wrap(row, LABEL_WIDTH, subsequent_indent="    ", break_on_hyphens=False) or [row]


def longest_chain(plan: Plan) -> int:
    """How many gates a layered layout puts in a row: the gates on the longest path."""
    depth: dict[str, int] = {}
    for gate_id in plan.order:  # topological: every predecessor comes first
        depth[gate_id] = 1 + max((depth[a] for a in plan.gates[gate_id].after), default=0)
    return max(depth.values(), default=0)


def to_dot(plan: Plan) -> str:
    rankdir = "TB" if longest_chain(plan) > WIDE else "LR"
    out = [f"digraph {_quote(plan.use_case_id)} {{", f"  rankdir={rankdir};",
           '  node [shape=box, style="rounded", fontname="Helvetica"];']
    for gate_id in plan.order:
        gate = plan.gates[gate_id]
        rows = [gate.title]
        rows += [describe_check(r.spec) for r in gate.checks]  # type: ignore[arg-type]
        rows += ["sign-off: " + describe_signoff(r.spec) for r in gate.signoffs]  # type: ignore[arg-type]
        rows += [f"document: {r.id}" for r in gate.documents]
        lines = [line for row in rows for line in _wrap(row)]
        label = "\\l".join(x.replace("\\", "\\\\").replace('"', '\\"') for x in lines) + "\\l"
        out.append(f'  {_quote(gate_id)} [label="{label}"];')
    for a, b in plan.edges:
        out.append(f"  {_quote(a)} -> {_quote(b)};")
    out.append("}")
    return "\n".join(out)
