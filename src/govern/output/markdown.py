"""Decision → GitHub-flavoured Markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A heading with the verdict (an emoji *and* the word ALLOWED/BLOCKED, so it reads without colour
or emoji support), what blocks, a table of gates, a table of checks and sign-offs per gate, and
the digests in a collapsed block. Table cells are escaped (``|``, newlines, HTML), so evidence
text cannot break the layout.
"""

from __future__ import annotations

import html

from govern.canonical import short
from govern.output.common import gate_scopes, measured_text, signoff_id

ICON = {"passed": "✅", "warned": "⚠️", "waived": "🟦", "failed": "❌", "error": "🛑", "pending": "⏳",
        "blocked": "⛔"}


def cell(text: object) -> str:
    """A value made safe for one table cell: no HTML, no column breaks, no line breaks."""
    value = html.escape(str(text), quote=False).replace("|", "\\|")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value.replace("\n", "<br>")


def code(text: str) -> str:
    """An identifier in a code span (backticks removed, pipes escaped for tables)."""
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


def status(value: str) -> str:
    return f"{ICON.get(value, '')} {value}".strip()


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _condition(check) -> str:
    data = check.to_dict()
    measured = measured_text(data["measured"])
    parts = []
    if measured:
        parts.append(cell(measured))
    if check.expected:
        parts.append("condition: " + cell(check.expected))
    return "<br>".join(parts) or "—"


def _evidence(check) -> str:
    return "<br>".join(f"{cell(e.path)} ({code(e.sha256[:12])})" for e in check.evidence) or "—"


def _item_message(decision, qualified_id: str) -> str:
    for gate in decision.gates:
        for check in gate.checks:
            if check.qualified_id == qualified_id:
                return check.message
        for signoff in gate.signoffs:
            if signoff_id(signoff) == qualified_id:
                return signoff.message
    return ""


def render(decision) -> str:
    scopes = gate_scopes(decision)
    word = "ALLOWED" if decision.allowed else "BLOCKED"
    icon = "✅" if decision.allowed else "❌"
    model = decision.model
    lines = [
        f"## {icon} {word}: {cell(decision.use_case_id)} → {code(decision.target)}",
        "",
        cell(decision.verdict),
        "",
        f"Use case **{cell(decision.use_case_name)}** ({code(decision.use_case_id)}) · tier **{cell(decision.tier)}**"
        f" · policy {cell(decision.policy['name'])} {cell(decision.policy['version'])}"
        f" · model {cell(model.get('name', '?'))} {cell(model.get('version', ''))}"
        f" · as of {decision.as_of.isoformat()}",
        "",
        "### What blocks",
        "",
    ]
    if decision.determining:
        for qid in decision.determining:
            lines.append(f"- {code(qid)}: {cell(_item_message(decision, qid))}")
    else:
        lines.append(f"Nothing blocks {code(decision.target)}.")
    lines += ["", "### Gates", ""]
    rows = []
    for gate in decision.gates:
        note = {"out": f" (not required for {code(decision.target)})", "blocked": ""}.get(scopes[gate.id], "")
        target = " **(target)**" if gate.id == decision.target else ""
        rows.append([code(gate.id) + target, cell(gate.title), status(gate.status), cell(gate.message) + note])
    lines += _table(["Gate", "Title", "Status", "Message"], rows)
    for gate in decision.gates:
        if not gate.checks and not gate.signoffs:
            continue
        lines += ["", f"#### {ICON.get(gate.status, '')} Gate {code(gate.id)}: {cell(gate.title)} "
                      f"({gate.status.upper()})", ""]
        if gate.checks:
            rows = [[code(c.id), cell(c.kind) + ("" if c.enforcement == "block" else " (warn)"), status(c.status),
                     cell(c.message), _condition(c), _evidence(c)] for c in gate.checks]
            lines += _table(["Check", "Kind", "Status", "Result", "Measured vs condition", "Evidence"], rows)
            details = [(c, d) for c in gate.checks if c.status in ("failed", "error", "warned") for d in c.details[:5]]
            if details:
                lines.append("")
                lines += [f"- {code(c.id)}: {cell(d)}" for c, d in details]
        if gate.signoffs:
            lines.append("")
            rows = []
            for s in gate.signoffs:
                who = ", ".join(str(a.get("signer", "?")) for a in s.approvals) or "—"
                rejected = "<br>".join(cell(f"{r.get('signer', 'record')}: {r.get('problem', '')}") for r in s.rejected)
                rows.append([code(s.role), str(s.required), status(s.status), cell(s.message),
                             cell(who) + (f"<br>not counted: {rejected}" if rejected else "")])
            lines += _table(["Sign-off", "Required", "Status", "Message", "Signed by"], rows)
    digests = [("policy", f"{decision.policy['name']} {decision.policy['version']}", decision.policy["digest"]),
               ("use case", decision.use_case_id, decision.use_case_digest),
               ("plan", decision.tier, decision.plan_digest),
               ("evidence", "bundle", decision.evidence_digest),
               ("model", f"{model.get('name', '?')} {model.get('version', '')}".strip(), decision.model_digest),
               ("decision", word.lower(), decision.digest)]
    lines += ["", "<details><summary>Digests (decision " + short(decision.digest) + ")</summary>", ""]
    lines += _table(["", "What", "Digest"], [[k, cell(w), code(d)] for k, w, d in digests])
    lines += ["", f"govern {cell(decision.govern_version)}", "", "</details>", ""]
    return "\n".join(lines)
