"""Every format tells the same story as the JSON decision.

For four real decisions (allowed, blocked by failures — some in a gate that is itself blocked
upstream —, blocked only by sign-offs awaited, allowed with a waiver) and the synthetic one with
every status, the expected outcome of each check and sign-off is derived here from the JSON
output alone, by the rule docs/ci.md states, and each format is parsed back and compared:

- in ``determining`` and failed / errored / rejected → GitHub ``::error``, SARIF ``error``,
  JUnit ``<failure>`` / ``<error>``, Markdown "What blocks" — whether or not the gate is reachable;
- in ``determining`` and a sign-off still awaited → GitHub ``::warning`` titled pending, SARIF
  ``warning`` with outcome ``pending``, JUnit ``<failure type="pending">``;
- a ``warn`` problem → warnings, a passing JUnit case; a waiver → suppressed / passing;
- a problem outside ``determining`` (a later stage) → notice / note / skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from govern.output import render
from tests.output.test_output_github import parse as parse_github

CASES = ["allowed", "blocked_failing", "blocked_pending", "waived", "mixed"]
BLOCKING = {"failed", "error", "rejected", "pending"}


def expected(data: dict) -> dict[str, str]:
    """qualified id → failed | error | rejected | pending | warning | waived | note | passed."""
    determining = set(data["determining"])
    out: dict[str, str] = {}
    for gate in data["gates"]:
        for check in gate["checks"]:
            qid, status = f"{gate['id']}.{check['id']}", check["status"]
            if status in ("passed", "waived"):
                out[qid] = status
            elif qid in determining:
                out[qid] = status  # failed | error
            elif status == "warned" or check["enforcement"] == "warn":
                out[qid] = "warning"
            else:
                out[qid] = "note"
        for signoff in gate["signoffs"]:
            qid, status = f"{gate['id']}.signoff:{signoff['id']}", signoff["status"]
            if status == "passed":
                out[qid] = "passed"
            elif qid in determining:
                out[qid] = "pending" if status == "pending" else "rejected"
            else:
                out[qid] = "note"
    return out


@pytest.fixture(params=CASES)
def case(request) -> tuple[object, dict, dict[str, str]]:
    decision = request.getfixturevalue(request.param)
    data = json.loads(render(decision, "json"))
    outcomes = expected(data)
    # what blocks, and only that, is what the decision says blocks
    assert {q for q, o in outcomes.items() if o in BLOCKING} == set(data["determining"])
    return decision, data, outcomes


def test_the_cases_cover_what_they_claim(blocked_failing, blocked_pending, waived, allowed):
    failing = expected(json.loads(render(blocked_failing, "json")))
    # production is blocked upstream by validation, and its own failures still count as failures
    assert blocked_failing.gate("production").blocked_by == ("validation",)
    assert failing["production.validation_suites"] == "failed" and failing["validation.auc"] == "failed"
    assert failing["production.signoff:validator"] == "pending"
    pending = expected(json.loads(render(blocked_pending, "json")))
    assert {o for o in pending.values() if o in BLOCKING} == {"pending"}
    assert "waived" in expected(json.loads(render(waived, "json"))).values()
    assert "note" in expected(json.loads(render(allowed, "json"))).values()


def test_github(case):
    decision, data, outcomes = case
    lines = parse_github(render(decision, "github"))
    assert lines[0][0] == "notice" and lines[0][2] == data["verdict"]
    shown = {props["title"].split()[1]: (cmd, props["title"]) for cmd, props, _ in lines[1:]}
    assert len(shown) == len(lines) - 1
    want = {"failed": "error", "error": "error", "rejected": "error", "pending": "warning", "warning": "warning",
            "note": "notice"}
    assert {q: c for q, (c, _) in shown.items()} == {q: want[o] for q, o in outcomes.items() if o in want}
    for qid, (_, title) in shown.items():
        assert title.endswith("(sign-off pending)") == (outcomes[qid] == "pending"), title
    # all errors, then what is pending, then warnings, then notes: GitHub caps each level at 10
    order = ["failed error rejected", "pending", "warning", "note"]
    ranks = [next(i for i, group in enumerate(order) if outcomes[q] in group.split()) for q in shown]
    assert ranks == sorted(ranks)


def test_sarif(case):
    decision, data, outcomes = case
    run = json.loads(render(decision, "sarif"))["runs"][0]
    assert run["properties"]["determining"] == data["determining"]
    results = {r["ruleId"]: r for r in run["results"]}
    want = {"failed": ("error", "error"), "error": ("error", "error"), "rejected": ("error", "error"),
            "pending": ("warning", "pending"), "warning": ("warning", "warning"), "note": ("note", "note"),
            "waived": ("error", "waived")}
    assert {q: (r["level"], r["properties"]["outcome"]) for q, r in results.items()} == \
        {q: want[o] for q, o in outcomes.items() if o in want}
    for qid, result in results.items():
        suppressed = [s["status"] for s in result.get("suppressions", [])]
        assert suppressed == (["accepted"] if outcomes[qid] == "waived" else [])
    assert run["invocations"][0]["exitCode"] == (0 if data["allowed"] else 1)


def junit_outcome(case) -> str:
    results = list(case.result)
    if not results:
        out = case.system_out or ""
        return "waived" if out.startswith("WAIVED") else "warning" if out.startswith("WARNING") else "passed"
    (result,) = results
    if isinstance(result, Skipped):
        return "note"
    if isinstance(result, Error):
        return "error"
    assert isinstance(result, Failure)
    return {"pending": "pending", "signoff": "rejected"}.get(result.type, "failed")


def test_junit(case):
    decision, data, outcomes = case
    xml = JUnitXml.fromstring(render(decision, "junit").encode("utf-8"))
    got = {f"{c.classname.removeprefix('govern.')}.{c.name}": junit_outcome(c) for suite in xml for c in suite}
    assert got == outcomes
    # the report is red exactly when the exit code is
    assert (xml.failures + xml.errors > 0) == (not data["allowed"])


WORDS = {"failed": "❌ failed", "error": "🛑 evidence error", "rejected": "❌ sign-off rejected",
         "pending": "⏳ sign-off pending"}


def test_markdown(case):
    decision, data, outcomes = case
    text = render(decision, "markdown")
    assert text.splitlines()[0].split()[2] == ("ALLOWED:" if data["allowed"] else "BLOCKED:")
    what = text.split("### What blocks\n", 1)[1].split("\n###", 1)[0]
    items = re.findall(r"^- `([^`]+)` \*\*([^*]+)\*\*:", what, re.M)
    assert items == [(q, WORDS[outcomes[q]]) for q in data["determining"]]
    if not data["determining"]:
        assert f"Nothing blocks `{data['target']}`." in what
    for gate in data["gates"]:
        for check in gate["checks"]:
            assert re.search(rf"^\| `{re.escape(check['id'])}` \| [^|]+ \| \S+ {check['status']} \|", text, re.M)


def test_text(case):
    decision, data, outcomes = case
    lines = render(decision, "text").splitlines()
    assert lines[-1] == data["verdict"]
    shown = {}
    gate = None
    for line in lines:
        head = re.match(r"^\S (\w+) +([A-Z]+) ", line)
        if head:
            gate = head[1]
            assert head[2] == next(g["status"] for g in data["gates"] if g["id"] == gate).upper()
        item = re.match(r"^    \S (sign-off )?(\S+) +(\w+) ", line)
        if item and gate:
            shown[f"{gate}.{'signoff:' if item[1] else ''}{item[2]}"] = item[3]
    statuses = {f"{g['id']}.{c['id']}": c["status"] for g in data["gates"] for c in g["checks"]}
    statuses |= {f"{g['id']}.signoff:{s['role']}": s["status"] for g in data["gates"] for s in g["signoffs"]}
    assert shown == statuses


def test_a_signoff_is_named_as_determining_names_it(blocked_pending):
    """Two sign-offs of one role are told apart by their template ids; every format must use
    the id ``determining`` uses, not the role, or it would point at the wrong requirement."""
    gate = blocked_pending.gate("production")
    signoffs = tuple(replace(s, id="second_line") if s.role == "validator" else s for s in gate.signoffs)
    determining = tuple(q.replace("signoff:validator", "signoff:second_line") for q in blocked_pending.determining)
    decision = replace(blocked_pending, determining=determining,
                       gates=tuple(replace(g, signoffs=signoffs) if g.id == "production" else g
                                   for g in blocked_pending.gates))
    assert "production.signoff:second_line" in determining
    data = json.loads(render(decision, "json"))
    outcomes = expected(data)
    assert outcomes["production.signoff:second_line"] == "pending"
    github = {p["title"].split()[1] for _, p, _ in parse_github(render(decision, "github"))[1:]}
    assert "production.signoff:second_line" in github
    sarif = {r["ruleId"] for r in json.loads(render(decision, "sarif"))["runs"][0]["results"]}
    assert sarif == set(determining)
    xml = JUnitXml.fromstring(render(decision, "junit").encode("utf-8"))
    assert "signoff:second_line" in {c.name for suite in xml for c in suite}
    assert "- `production.signoff:second_line` **⏳ sign-off pending**" in render(decision, "markdown")
    assert "production.signoff:second_line pending" in render(decision, "text", explain=True)


def test_replay_is_labelled_in_every_format(policy, use_case):
    """A decision at a chosen date (`--as-of`) never reads as today's: every format says REPLAY."""
    from govern.evaluate.pipeline import check
    from govern.output import render

    from tests.output.conftest import AS_OF, EVIDENCE

    replay = check(policy, use_case, EVIDENCE, target="validation", as_of=AS_OF)
    assert replay.replay
    label = f"REPLAY as of {AS_OF.isoformat()}"
    assert label in render(replay, "text").splitlines()[-1]
    assert render(replay, "github").startswith("::notice title=govern%3A REPLAY ALLOWED")
    assert label in render(replay, "github").splitlines()[0]
    assert render(replay, "markdown").startswith("## ✅ REPLAY · ALLOWED")
    assert json.loads(render(replay, "sarif"))["runs"][0]["properties"]["replay"] is True
    assert f'name="verdict" value="{label}' in render(replay, "junit")
    assert json.loads(render(replay, "json"))["replay"] is True
