"""Decision → JUnit XML, for CI test reporters (GitLab merge-request widgets, Jenkins, test-report actions).

``<testsuites name="govern">`` holds one ``<testsuite name="govern.<gate>">`` per gate and, in
it, one ``<testcase classname="govern.<gate>">`` per check (named by the check id) and per
required sign-off (named ``signoff:<id>``, the id being the role unless two sign-offs of one
role are told apart). Outcomes follow :func:`govern.output.common.findings`, so the failing
and erroring cases are exactly the decision's ``determining`` items:

- passed → a passing test case (also in a gate that waits for an upstream gate: it was
  evaluated, and it passed);
- failed (blocking, in ``determining``) → ``<failure type="<kind>">`` with the message,
  condition, measured values and evidence files, whether or not the gate is reachable yet;
- error (blocking, in ``determining``) → ``<error>`` (evidence missing or malformed);
- a sign-off rejected → ``<failure type="signoff">``; a sign-off still awaited →
  ``<failure type="pending">``: it blocks (the exit code is 1, so the report must not be
  green), and its type tells a reporter it waits for a person rather than a broken model;
- warned, or an evidence error in a ``warn`` check → a passing test case with a ``WARNING``
  note in ``<system-out>``: the gate passes, and reporters show a skipped test as "not run",
  which a warned check is not;
- waived → a passing test case with the waiver (who, until when, why) in ``<system-out>``;
- a problem in a gate that does not decide the target (a later stage) →
  ``<skipped message="not required for target …">`` with the result in the message, so a
  report for an allowed target shows no failures.

Counts on each suite are computed from its cases; ``time`` is always ``0`` so the output is a
function of the decision only (same decision → same bytes).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from govern.output.common import (
    ERROR,
    NOTE,
    PENDING,
    WAIVED,
    WARNING,
    Finding,
    check_summary,
    findings,
    headline,
    printable,
)

# XML 1.0 cannot carry most control characters, even escaped; evidence text may contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text:
        element.text = _clean(text)
    return element


def _body(finding: Finding) -> str:
    item = finding.item
    if finding.is_signoff:
        lines = [printable(item.message), f"required: {item.required} × {item.role}"]
        lines += [f"approved by {printable(a.get('signer', '?'))}" for a in item.approvals]
        lines += [f"did not count: {printable(r.get('signer', 'record'))} — {printable(r.get('problem', ''))}"
                  for r in item.rejected]
    else:
        lines = [check_summary(item)]
    if item.location:
        lines.append(f"policy: {item.location}")
    if not finding.is_signoff:
        if item.citation:
            lines.append(f"citation: {printable(item.citation)}")
        lines.append(f"kind: {item.kind}, enforcement: {item.enforcement}")
    if finding.context and finding.level != NOTE:
        lines.append(printable(finding.context))
    return "\n".join(lines)


def _case(suite: ET.Element, finding: Finding) -> str:
    """Adds the test case; returns its outcome: passed | failure | error | skipped."""
    item, level = finding.item, finding.level
    name = f"signoff:{item.id or item.role}" if finding.is_signoff else item.id
    case = _sub(suite, "testcase", name=name, classname=f"govern.{finding.gate.id}", time="0")
    if level is None:
        return "passed"
    body = _body(finding)
    what = "sign-off" if finding.is_signoff else "result"
    if level == NOTE:
        _sub(case, "skipped", body, message=f"{finding.context} ({what}: {item.status})")
        return "skipped"
    if level == WARNING:
        prefix = "evidence error" if item.status == "error" else "failed"
        _sub(case, "system-out", f"WARNING: {prefix} (enforcement warn, the gate still passes): {body}")
        return "passed"
    if level == WAIVED:
        _sub(case, "system-out", f"WAIVED (counts as passed while the waiver is in force): {body}")
        return "passed"
    if level == PENDING:
        _sub(case, "failure", body, message=f"{finding.qualified_id} pending: {printable(item.message)}",
             type="pending")
        return "failure"
    assert level == ERROR
    if finding.is_signoff:
        _sub(case, "failure", body, message=f"{finding.qualified_id} {item.status}: {printable(item.message)}",
             type="signoff")
        return "failure"
    tag = "error" if item.status == "error" else "failure"
    _sub(case, tag, body, message=printable(item.message), type=item.kind)
    return tag


def to_element(decision) -> ET.Element:
    by_gate: dict[str, list[Finding]] = {}
    for finding in findings(decision):
        by_gate.setdefault(finding.gate.id, []).append(finding)
    root = ET.Element("testsuites", {"name": "govern"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for gate in decision.gates:
        suite = ET.SubElement(root, "testsuite", {"name": f"govern.{gate.id}"})
        props = ET.SubElement(suite, "properties")
        for name, value in (("gate", gate.id), ("title", gate.title), ("status", gate.status),
                            ("message", gate.message), ("use_case", decision.use_case_id),
                            ("target", decision.target), ("tier", decision.tier),
                            ("decision_digest", decision.digest), ("verdict", headline(decision)),
                            ("replay", str(decision.replay).lower())):
            _sub(props, "property", name=name, value=printable(value))
        outcomes = [_case(suite, f) for f in by_gate.get(gate.id, [])]
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
