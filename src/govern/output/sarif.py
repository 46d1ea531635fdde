"""Decision → SARIF 2.1.0, for code-scanning tools (GitHub code scanning, GitLab, IDE viewers).

One run; the driver `govern` lists one rule per check (and per required sign-off) of the plan,
so a rule's help carries its condition, enforcement and citation. One result per check that
failed, errored or warned (and per sign-off still missing), located at the policy template
line that required it (``uriBaseId: POLICY``) with the evidence files it read as related
locations (``uriBaseId: EVIDENCE``). Waived failures are results with an accepted external
suppression, so a viewer shows them as dismissed, with the waiver's justification.

Levels follow :func:`govern.output.common.findings`: ``error`` for each failed or errored
check and rejected sign-off in the decision's ``determining`` list (whether or not its gate is
reachable yet); ``warning`` for a sign-off the target still awaits (``properties.outcome:
pending``: it blocks, but waits for a person, not a fix) and for non-blocking problems (``warn``
checks); ``note`` for problems in gates that do not decide this target (later stages).

Paths are relative to the policy pack and the evidence bundle, which the decision knows
nothing about. In CI, set ``GOVERN_POLICY_PATH`` / ``GOVERN_EVIDENCE_PATH`` to those folders
relative to the repository root (the GitHub Action does) and the URIs become repository
paths under ``%SRCROOT%``, which is what GitHub code scanning resolves.

The classification of results (levels, scopes, measured values as text) lives in
:mod:`govern.output.common`, shared with the other CI formats.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import quote

from govern.output.common import (
    FINGERPRINT_KEY,
    NOTE,
    PENDING,
    WAIVED,
    Finding,
    check_summary,
    findings,
    fingerprint,
    headline,
    json_text,
    parse_location,
    printable,
    repo_root,
    signoff_id,
    signoff_summary,
)

#: SARIF's level for each finding level (SARIF has no "pending": a warning, told apart by
#: ``properties.outcome``)
LEVEL = {"error": "error", PENDING: "warning", "warning": "warning", NOTE: "note", WAIVED: "error"}

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/govern-dev/govern"

def _uri(path: str) -> str:
    return quote(path, safe="/")


def _physical(env_var: str, base: str, path: str, line: int | None = None, col: int | None = None) -> dict:
    root = repo_root(env_var)
    if root is not None:
        location: dict[str, Any] = {"uri": _uri(posixpath.join(root, path) if root else path),
                                    "uriBaseId": "%SRCROOT%"}
    else:
        location = {"uri": _uri(path), "uriBaseId": base}
    physical: dict[str, Any] = {"artifactLocation": location}
    if line:
        region: dict[str, int] = {"startLine": line}
        if col:
            region["startColumn"] = col
        physical["region"] = region
    return physical


def _policy_location(location: str) -> dict:
    path, line, col = parse_location(location)
    return {"physicalLocation": _physical("GOVERN_POLICY_PATH", "POLICY", path or "policy.yaml", line, col)}


def _rule(decision, gate, item, kind: str, enforcement: str) -> dict:
    is_signoff = kind == "signoff"
    qid = signoff_id(item) if is_signoff else item.qualified_id
    if is_signoff:
        short = f"{item.required} × {item.role} sign-off for gate {gate.id}"
        full = f"Gate `{gate.id}` ({gate.title}) needs {item.required} valid sign-off(s) by the role " \
               f"`{item.role}` for this model version."
        citation = None
    else:
        short = item.title or f"{kind} check `{item.id}` of gate {gate.id}"
        full = f"{kind} check of gate `{gate.id}` ({gate.title})" \
               + (f": {item.expected}" if item.expected else "") + "."
        citation = item.citation
    effect = "a failure stops the gate" if enforcement == "block" else "a failure is reported, the gate still passes"
    lines = [full, "", f"Enforcement: {enforcement} ({effect})."]
    if citation:
        lines.append(f"Citation: {citation}.")
    if item.location:
        lines.append(f"Required by the policy at {item.location}.")
    help_text = "\n".join(lines)
    tags = ["governance", "govern", f"gate:{gate.id}", f"kind:{kind}", f"enforcement:{enforcement}",
            f"tier:{decision.tier}"]
    rule: dict[str, Any] = {
        "id": qid,
        "name": re.sub(r"[^A-Za-z0-9]+", "_", qid).strip("_") or "check",
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_text.replace("\n", "  \n")},
        "defaultConfiguration": {"level": "error" if enforcement == "block" else "warning"},
        "properties": {"tags": tags, "kind": kind, "gate": gate.id, "enforcement": enforcement},
    }
    if citation:
        rule["properties"]["citation"] = citation
    return rule


def _result(decision, finding: Finding, rule_index: int) -> dict | None:
    if finding.level is None:
        return None
    item = finding.item
    text = signoff_summary(item) if finding.is_signoff else check_summary(item)
    if finding.context:
        text += f"\n({printable(finding.context)})"
    properties: dict[str, Any] = {"status": item.status, "outcome": finding.level, "gate": finding.gate.id}
    if finding.is_signoff:
        properties.update(required=item.required, approvals=len(item.approvals))
    else:
        properties.update(enforcement=item.enforcement, measured=item.to_dict()["measured"])
    result: dict[str, Any] = {
        "ruleId": finding.qualified_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.level],
        "message": {"text": text},
        "locations": [_policy_location(item.location)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(decision, finding.qualified_id)},
        "properties": properties,
    }
    if not finding.is_signoff and item.evidence:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical("GOVERN_EVIDENCE_PATH", "EVIDENCE", ref.path),
             "message": {"text": f"evidence read: {printable(ref.path)} (sha256:{ref.sha256})"}}
            for i, ref in enumerate(item.evidence, start=1)
        ]
    if finding.level == WAIVED:
        waiver = item.waiver or {}
        justification = f"waived by {waiver.get('approver', '?')} until {waiver.get('expires', '?')}: " \
                        f"{waiver.get('reason', '')}"
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": printable(justification.strip())}]
    return result


def _base_ids(decision) -> dict:
    policy = decision.policy
    bases: dict[str, Any] = {
        "POLICY": {"description": {"text": f"The policy pack folder given to `govern check --policy` "
                                           f"({policy['name']} {policy['version']}, {policy['digest']})."}},
        "EVIDENCE": {"description": {"text": f"The evidence bundle folder given to `govern check --evidence` "
                                             f"({decision.evidence_digest})."}},
    }
    if repo_root("GOVERN_POLICY_PATH") is not None or repo_root("GOVERN_EVIDENCE_PATH") is not None:
        bases["%SRCROOT%"] = {"description": {"text": "The repository root (GOVERN_POLICY_PATH and "
                                                      "GOVERN_EVIDENCE_PATH are relative to it)."}}
    return bases


def to_sarif(decision) -> dict[str, Any]:
    """The SARIF log as a dict (``render`` serialises it)."""
    rules: list[dict] = []
    results: list[dict] = []
    for finding in findings(decision):
        gate, item = finding.gate, finding.item
        if finding.is_signoff:
            rules.append(_rule(decision, gate, item, "signoff", "block"))
        else:
            rules.append(_rule(decision, gate, item, item.kind, item.enforcement))
        result = _result(decision, finding, len(rules) - 1)
        if result:
            results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "govern",
            "version": decision.govern_version,
            "semanticVersion": decision.govern_version,
            "informationUri": INFORMATION_URI,
            "rules": rules,
        }},
        "automationDetails": {"id": f"govern/{decision.use_case_id}/{decision.target}/"},
        "originalUriBaseIds": _base_ids(decision),
        "invocations": [{"executionSuccessful": True, "exitCode": decision.exit_code,
                         "exitCodeDescription": "allowed" if decision.allowed else "blocked"}],
        "results": results,
        "properties": {
            "verdict": headline(decision),
            "replay": decision.replay,
            "allowed": decision.allowed,
            "target": decision.target,
            "tier": decision.tier,
            "useCase": decision.use_case_id,
            "asOf": decision.as_of.isoformat(),
            "determining": list(decision.determining),
            "policy": dict(decision.policy),
            "evidenceDigest": decision.evidence_digest,
            "modelDigest": decision.model_digest,
            "decisionDigest": decision.digest,
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(decision) -> str:
    return json_text(to_sarif(decision))
