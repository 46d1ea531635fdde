"""Decision → GitHub Actions workflow commands: annotations on the run and on the policy files.

Levels come from :func:`govern.output.common.findings`, shared with every CI format:

- ``::notice`` first, with the verdict (GitHub keeps at most 10 annotations of each level per
  step, so the verdict comes before anything else);
- ``::error`` for each failed or errored blocking check and rejected sign-off in the decision's
  ``determining`` list, whether or not its gate is reachable yet, at the policy template line
  that required it;
- ``::warning`` titled ``sign-off pending`` for each sign-off the target still awaits (it
  blocks, but nothing is wrong with the model: someone has to sign), then ``::warning`` for
  checks that failed with ``enforcement: warn`` (or errored there);
- ``::notice`` last, for problems in gates that do not decide this target (later stages).

``file`` is the template path from the check's policy location. GitHub resolves it relative to
the repository root, so set ``GOVERN_POLICY_PATH`` to the pack folder relative to the root (the
govern GitHub Action does) to have annotations land on the policy file in pull requests.

Escaping: untrusted text (names, messages, evidence) is first made :func:`printable`, so a
newline in a use-case name can neither start a log line the runner would read as a command nor
add a line to an annotation; then values are escaped as the runner expects: in data ``%``,
``\\r``, ``\\n``; in properties also ``:`` and ``,``.
"""

from __future__ import annotations

from govern.output.common import (
    ERROR,
    NOTE,
    PENDING,
    WARNING,
    Finding,
    check_summary,
    findings,
    headline,
    in_repo,
    parse_location,
    printable,
    signoff_summary,
)

#: order of the annotations after the verdict, and the command each level is shown with
ORDER = (ERROR, PENDING, WARNING, NOTE)
COMMAND = {ERROR: "error", PENDING: "warning", WARNING: "warning", NOTE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """One workflow command. ``message`` may hold line breaks of its own (escaped as ``%0A``);
    property values are single-line by nature, so they are made printable here as well."""
    shown = ",".join(f"{key}={escape_property(printable(value))}" for key, value in props.items()
                     if value is not None and value != "")
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def _where(location: str) -> dict[str, str | int | None]:
    path, line, col = parse_location(location)
    if not path:
        return {}
    return {"file": in_repo("GOVERN_POLICY_PATH", path), "line": line, "col": col}


def _title(finding: Finding, target: str) -> str:
    item = finding.item
    if finding.is_signoff:
        what = f"sign-off {item.status}"
    else:
        what = f"{item.kind}, {item.status}" + (", enforcement warn" if item.enforcement != "block" else "")
    if finding.level == NOTE:
        what += f"; not required for {target}"
    return f"govern {finding.qualified_id} ({what})"


def _annotation(finding: Finding, target: str) -> str:
    message = signoff_summary(finding.item) if finding.is_signoff else check_summary(finding.item)
    if finding.context:
        message += f"\n({printable(finding.context)})"
    return command(COMMAND[finding.level], message, **_where(finding.item.location), title=_title(finding, target))


def render(decision) -> str:
    verdict = ("REPLAY " if decision.replay else "") + ("ALLOWED" if decision.allowed else "BLOCKED")
    lines = [command("notice", printable(headline(decision)),
                     title=f"govern: {verdict} ({decision.use_case_id} → {decision.target})")]
    found = findings(decision)
    for level in ORDER:
        lines += [_annotation(f, decision.target) for f in found if f.level == level]
    return "\n".join(lines) + "\n"
