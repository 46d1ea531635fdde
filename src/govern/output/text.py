"""Decision → a readable table for terminals and CI logs, ending in one clear verdict line.

Every line is made :func:`~govern.output.common.printable` before it is coloured: a newline in
a use-case name or an evidence message must not start a line of its own (a CI runner reads a
line that starts with ``::`` as a workflow command), nor an ANSI escape repaint the terminal.
"""

from __future__ import annotations

from govern.canonical import short
from govern.output.common import headline, printable

SYMBOL = {"passed": "✓", "warned": "!", "waived": "~", "failed": "✗", "error": "E", "pending": "…",
          "blocked": "-"}
COLOUR = {"passed": "green", "warned": "yellow", "waived": "cyan", "failed": "red", "error": "red",
          "pending": "yellow", "blocked": "magenta"}


def _style(text: str, status: str | None = None, color: bool = False, bold: bool = False) -> str:
    """One output line: untrusted text inert, then coloured (our escapes only)."""
    text = printable(text)
    if not color or status is None:
        return text
    import click

    return click.style(text, fg=COLOUR.get(status), bold=bold)


def _measured(check: dict) -> str:
    """Numbers worth a glance, those the condition reads first (`result.p99` before `n`)."""
    import re

    read = re.findall(r"result\.([A-Za-z_]\w*)", check.get("expected") or "")
    items = sorted(check["measured"].items(), key=lambda kv: (kv[0] not in read and kv[0].split(".")[0] not in
                                                               ("metrics", "champion", "model", "params"), ))
    shown = []
    for key, value in items:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(shown[:4])


def render(decision, *, color: bool = False, explain: bool = False) -> str:
    data = decision.to_dict()
    lines = [
        _style(f"{data['use_case']['id']} · tier {data['tier']} · policy {data['policy']['name']} "
               f"{data['policy']['version']} ({short(data['policy']['digest'])}) · model "
               f"{data['model'].get('name', '?')} {data['model'].get('version', '')} · as of {data['as_of']}"),
        "",
    ]
    for gate in data["gates"]:
        status = gate["status"]
        head = f"{SYMBOL[status]} {gate['id']:<16} {status.upper():<8} {gate['message']}"
        lines.append(_style(head, status, color, bold=True))
        for check in gate["checks"]:
            mark = SYMBOL.get(check["status"], "?")
            text = f"    {mark} {check['id']:<24} {check['status']:<7} [{check['kind']}, {check['enforcement']}] " \
                   f"{check['message']}"
            measured = _measured(check)
            if measured and check["status"] != "passed":
                text += f"  ({measured})"
            lines.append(_style(text, check["status"], color))
            if check["status"] in ("failed", "error", "warned"):
                for detail in check.get("details", [])[:5]:
                    lines.append(_style(f"        · {detail}"))
        for signoff in gate["signoffs"]:
            mark = SYMBOL.get(signoff["status"], "?")
            lines.append(_style(f"    {mark} sign-off {signoff['role']:<15} {signoff['status']:<7} {signoff['message']}",
                                signoff["status"], color))
            for record in signoff["rejected"]:
                who = record.get("signer", "record")
                lines.append(_style(f"        · {who}: did not count — {record['problem']}"))
    if explain:
        from govern.output.explain import explain_lines

        lines += ["", *(_style(line) for line in explain_lines(decision))]
    lines += ["", f"decision {short(data['decision_digest'])} · evidence {short(data['evidence_digest'])}"]
    verdict = headline(decision)
    lines.append(_style(verdict, "passed" if data["allowed"] else "failed", color, bold=True))
    return "\n".join(lines) + "\n"
