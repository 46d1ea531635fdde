"""Decision → GitHub-flavoured Markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A heading with the verdict (an emoji *and* the word ALLOWED/BLOCKED, so it reads without colour
or emoji support), what blocks, a table of gates, a table of checks and sign-offs per gate, and
the digests in a collapsed block. "What blocks" lists the decision's ``determining`` items,
each marked failed, error, rejected or pending (:func:`govern.output.common.findings`, as in
every CI format).

Untrusted text is escaped: in table cells ``|``, HTML and control characters, with line breaks
in messages kept as ``<br>``; names and identifiers (use case, model, signers, ids) stay on one
line, a control character in them shown as ``\\n``, ``\\x1b``, … So neither evidence nor a
hostile name can break a table, start a new block or inject markup.
"""

from __future__ import annotations

import html

from govern.canonical import short
from govern.output.common import ERROR, NOTE, PENDING, Finding, findings, headline, measured_text, printable

ICON = {"passed": "✅", "warned": "⚠️", "waived": "🟦", "failed": "❌", "error": "🛑", "pending": "⏳",
        "blocked": "⛔"}


def cell(text: object) -> str:
    """A message made safe for one table cell: no HTML, no column breaks, its own line breaks as
    ``<br>``, any other control character as a visible escape."""
    value = html.escape(str(text), quote=False).replace("|", "\\|")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "<br>".join(printable(line) for line in value.split("\n"))


def name(text: object) -> str:
    """A name (use case, model, signer, title) as cell text on one line: a line break in it is
    shown, not followed."""
    return cell(printable(text))


def code(text: object) -> str:
    """An identifier in a code span (backticks removed, pipes escaped for tables, one line)."""
    return "`" + printable(text).replace("`", "'").replace("|", "\\|") + "`"


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


#: how a blocking item is named in "What blocks"
BLOCKS = {"failed": "❌ failed", "error": "🛑 evidence error", "pending": "⏳ sign-off pending"}


def _blocks(decision, found: list[Finding]) -> list[str]:
    blocking = {f.qualified_id: f for f in found if f.level in (ERROR, PENDING)}
    lines = []
    for qid in decision.determining:
        finding = blocking.get(qid)
        if finding is None:  # determining names something the gates do not hold: say so, never drop it
            lines.append(f"- {code(qid)}")
            continue
        item = finding.item
        word = "❌ sign-off rejected" if finding.is_signoff and item.status == "failed" else BLOCKS[item.status]
        wait = f" ({cell(finding.context)})" if finding.context else ""
        lines.append(f"- {code(qid)} **{word}**: {cell(item.message)}{wait}")
    return lines


def render(decision) -> str:
    found = findings(decision)
    deciding = {f.gate.id for f in found if f.level in (ERROR, PENDING)}
    outside = {f.gate.id for f in found if f.level == NOTE} - deciding
    word = ("REPLAY · " if decision.replay else "") + ("ALLOWED" if decision.allowed else "BLOCKED")
    icon = "✅" if decision.allowed else "❌"
    model = decision.model
    lines = [
        f"## {icon} {word}: {name(decision.use_case_id)} → {code(decision.target)}",
        "",
        cell(printable(headline(decision))),
        "",
        f"Use case **{name(decision.use_case_name)}** ({code(decision.use_case_id)}) · tier **{name(decision.tier)}**"
        f" · policy {name(decision.policy['name'])} {name(decision.policy['version'])}"
        f" · model {name(model.get('name', '?'))} {name(model.get('version', ''))}"
        f" · as of {decision.as_of.isoformat()}",
        "",
        "### What blocks",
        "",
    ]
    if decision.determining:
        lines += _blocks(decision, found)
    else:
        lines.append(f"Nothing blocks {code(decision.target)}.")
    lines += ["", "### Gates", ""]
    rows = []
    for gate in decision.gates:
        note = f" (not required for {code(decision.target)})" if gate.id in outside else ""
        target = " **(target)**" if gate.id == decision.target else ""
        rows.append([code(gate.id) + target, name(gate.title), status(gate.status), cell(gate.message) + note])
    lines += _table(["Gate", "Title", "Status", "Message"], rows)
    for gate in decision.gates:
        if not gate.checks and not gate.signoffs:
            continue
        lines += ["", f"#### {ICON.get(gate.status, '')} Gate {code(gate.id)}: {name(gate.title)} "
                      f"({gate.status.upper()})", ""]
        if gate.checks:
            rows = [[code(c.id), name(c.kind) + ("" if c.enforcement == "block" else " (warn)"), status(c.status),
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
                who = ", ".join(name(a.get("signer", "?")) for a in s.approvals) or "—"
                rejected = "<br>".join(f"{name(r.get('signer', 'record'))}: {name(r.get('problem', ''))}"
                                       for r in s.rejected)
                rows.append([code(s.id or s.role), str(s.required), status(s.status), cell(s.message),
                             who + (f"<br>not counted: {rejected}" if rejected else "")])
            lines += _table(["Sign-off", "Required", "Status", "Message", "Signed by"], rows)
    digests = [("policy", f"{decision.policy['name']} {decision.policy['version']}", decision.policy["digest"]),
               ("use case", decision.use_case_id, decision.use_case_digest),
               ("plan", decision.tier, decision.plan_digest),
               ("evidence", "bundle", decision.evidence_digest),
               ("model", f"{model.get('name', '?')} {model.get('version', '')}".strip(), decision.model_digest),
               ("decision", word.lower(), decision.digest)]
    lines += ["", "<details><summary>Digests (decision " + short(decision.digest) + ")</summary>", ""]
    lines += _table(["", "What", "Digest"], [[k, name(w), code(d)] for k, w, d in digests])
    lines += ["", f"govern {name(decision.govern_version)}", "", "</details>", ""]
    return "\n".join(lines)
