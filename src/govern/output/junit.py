"""Decision → JUnit XML, for CI test reporters (GitLab merge-request widgets, Jenkins, test-report actions).

``<testsuites name="govern">`` holds one ``<testsuite name="govern.<gate>">`` per gate and, in
it, one ``<testcase classname="govern.<gate>">`` per check (named by the check id) and per
required sign-off (named ``signoff:<role>``). Mapping of statuses:

- passed → a passing test case;
- failed (blocking) → ``<failure>`` with the message, condition, measured values, evidence files;
  a sign-off still awaited or rejected → ``<failure>`` too (it blocks its gate);
- error → ``<error>`` (evidence missing or malformed: never reported as passed; a check whose
  enforcement is ``warn`` says so in the message);
- warned → a passing test case with a ``WARNING`` note in ``<system-out>``: the gate passes, and
  reporters show a skipped test as "not run", which a warned check is not;
- waived → a passing test case with the waiver (who, until when, why) in ``<system-out>``;
- every case of a gate that is blocked upstream → ``<skipped message="blocked by …">``, and
  every case of a failing gate that does not stand between the model and the target stage
  (a stage beyond the target) → ``<skipped message="not required for target …">``, so a
  report for an allowed target shows no failures; the result is still in the skip text.

Counts on each suite are computed from its cases; ``time`` is always ``0`` so the output is a
function of the decision only (same decision → same bytes).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from govern.output.common import check_summary, gate_scopes, scope_note, signoff_id

# XML 1.0 cannot carry most control characters, even escaped; evidence text may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text:
        element.text = _clean(text)
    return element


def _check_case(suite: ET.Element, decision, gate, check, scope: str) -> str:
    """Adds the test case; returns its outcome: passed | failure | error | skipped."""
    case = _sub(suite, "testcase", name=check.id, classname=f"govern.{gate.id}", time="0")
    summary = check_summary(check)
    where = f"\npolicy: {check.location}" if check.location else ""
    cite = f"\ncitation: {check.citation}" if check.citation else ""
    body = f"{summary}{where}{cite}\nkind: {check.kind}, enforcement: {check.enforcement}"
    if scope == "blocked" or (scope == "out" and check.status in ("failed", "error")):
        _sub(case, "skipped", body, message=f"{scope_note(decision, gate, scope)} (result: {check.status})")
        return "skipped"
    if check.status == "failed":
        _sub(case, "failure", body, message=check.message, type=check.kind)
        return "failure"
    if check.status == "error":
        message = check.message + ("" if check.enforcement == "block" else " (non-blocking: enforcement warn)")
        _sub(case, "error", body, message=message, type=check.kind)
        return "error"
    if check.status == "warned":
        _sub(case, "system-out", f"WARNING (enforcement warn, the gate still passes): {body}")
    elif check.status == "waived":
        _sub(case, "system-out", f"WAIVED (counts as passed while the waiver is in force): {body}")
    return "passed"


def _signoff_case(suite: ET.Element, decision, gate, signoff, scope: str) -> str:
    case = _sub(suite, "testcase", name=f"signoff:{signoff.role}", classname=f"govern.{gate.id}", time="0")
    lines = [signoff.message, f"required: {signoff.required} × {signoff.role}"]
    for approval in signoff.approvals:
        lines.append(f"approved by {approval.get('signer', '?')}")
    for record in signoff.rejected:
        lines.append(f"did not count: {record.get('signer', 'record')} — {record.get('problem', '')}")
    if signoff.location:
        lines.append(f"policy: {signoff.location}")
    body = "\n".join(lines)
    if scope == "blocked" or (scope == "out" and signoff.status != "passed"):
        _sub(case, "skipped", body, message=f"{scope_note(decision, gate, scope)} (sign-off: {signoff.status})")
        return "skipped"
    if signoff.status != "passed":
        _sub(case, "failure", body, message=f"{signoff_id(signoff)} {signoff.status}: {signoff.message}",
             type="signoff")
        return "failure"
    return "passed"


def to_element(decision) -> ET.Element:
    scopes = gate_scopes(decision)
    root = ET.Element("testsuites", {"name": "govern"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for gate in decision.gates:
        scope = scopes[gate.id]
        suite = ET.SubElement(root, "testsuite", {"name": f"govern.{gate.id}"})
        props = ET.SubElement(suite, "properties")
        for name, value in (("gate", gate.id), ("title", gate.title), ("status", gate.status),
                            ("message", gate.message), ("use_case", decision.use_case_id),
                            ("target", decision.target), ("tier", decision.tier),
                            ("decision_digest", decision.digest)):
            _sub(props, "property", name=name, value=value)
        outcomes = [_check_case(suite, decision, gate, c, scope) for c in gate.checks]
        outcomes += [_signoff_case(suite, decision, gate, s, scope) for s in gate.signoffs]
        counts = {"tests": len(outcomes), "failures": outcomes.count("failure"), "errors": outcomes.count("error"),
                  "skipped": outcomes.count("skipped")}
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    return root


def render(decision) -> str:
    root = to_element(decision)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
