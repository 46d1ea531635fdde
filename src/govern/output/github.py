"""Decision → GitHub Actions workflow commands: annotations on the run and on the policy files.

- ``::notice`` first, with the verdict (GitHub keeps at most 10 annotations of each level per
  step, so the verdict comes before anything else);
- ``::error`` for each item in the decision's ``determining`` list (blocking failures, evidence
  errors, missing sign-offs), at the policy template line that required it;
- ``::warning`` for checks that failed with ``enforcement: warn`` (or errored there);
- ``::notice`` for blocking problems in gates that do not decide this target (blocked upstream,
  or beyond the target stage).

``file`` is the template path from the check's policy location. GitHub resolves it relative to
the repository root, so set ``GOVERN_POLICY_PATH`` to the pack folder relative to the root (the
govern GitHub Action does) to have annotations land on the policy file in pull requests.
Values are escaped as the runner expects: in data ``%``, ``\\r``, ``\\n``; in properties also
``:`` and ``,``.
"""

from __future__ import annotations

from govern.output.common import (
    check_level,
    check_summary,
    gate_scopes,
    in_repo,
    parse_location,
    scope_note,
    signoff_id,
    signoff_level,
)

COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    shown = ",".join(f"{key}={escape_property(str(value))}" for key, value in props.items()
                     if value is not None and value != "")
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def _where(location: str) -> dict[str, str | int | None]:
    path, line, col = parse_location(location)
    if not path:
        return {}
    return {"file": in_repo("GOVERN_POLICY_PATH", path), "line": line, "col": col}


def render(decision) -> str:
    scopes = gate_scopes(decision)
    lines = [command("notice", decision.verdict,
                     title=f"govern: {'ALLOWED' if decision.allowed else 'BLOCKED'} "
                           f"({decision.use_case_id} → {decision.target})")]
    later: list[str] = []  # notices go after errors and warnings
    for gate in decision.gates:
        scope = scopes[gate.id]
        for check in gate.checks:
            level = check_level(check, scope)
            if level is None:
                continue
            message = check_summary(check)
            if level == "note":
                message += f"\n({scope_note(decision, gate, scope)})"
            line = command(COMMAND[level], message, **_where(check.location),
                           title=f"govern {check.qualified_id} ({check.kind}, {check.status})")
            (later if level == "note" else lines).append(line)
        for signoff in gate.signoffs:
            level = signoff_level(signoff, scope)
            if level is None:
                continue
            message = f"sign-off {signoff.status}: {signoff.message}"
            for record in signoff.rejected:
                message += f"\n- {record.get('signer', 'record')}: did not count — {record.get('problem', '')}"
            if level == "note":
                message += f"\n({scope_note(decision, gate, scope)})"
            line = command(COMMAND[level], message, **_where(signoff.location),
                           title=f"govern {signoff_id(signoff)} ({signoff.status})")
            (later if level == "note" else lines).append(line)
    return "\n".join(lines + later) + "\n"
