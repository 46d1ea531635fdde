"""JUnit output, read back the way CI test reporters read it (junitparser)."""

from __future__ import annotations

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from govern.output import render


def parse(decision) -> JUnitXml:
    xml = JUnitXml.fromstring(render(decision, "junit").encode("utf-8"))
    assert isinstance(xml, JUnitXml)
    return xml


def cases(xml: JUnitXml) -> dict[str, object]:
    return {f"{case.classname}::{case.name}": case for suite in xml for case in suite}


def outcome(case) -> str:
    kinds = {type(r) for r in case.result}
    if Failure in kinds:
        return "failure"
    if Error in kinds:
        return "error"
    if Skipped in kinds:
        return "skipped"
    return "passed"


def test_one_suite_per_gate_one_case_per_check_and_signoff(decision):
    xml = parse(decision)
    assert xml.name == "govern"
    assert [s.name for s in xml] == [f"govern.{g.id}" for g in decision.gates]
    expected = {f"govern.{g.id}::{c.id}" for g in decision.gates for c in g.checks}
    expected |= {f"govern.{g.id}::signoff:{s.id or s.role}" for g in decision.gates for s in g.signoffs}
    assert set(cases(xml)) == expected


def test_counts_match_the_cases(decision):
    xml = parse(decision)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in xml:
        outcomes = [outcome(c) for c in suite]
        assert suite.tests == len(outcomes)
        assert suite.failures == outcomes.count("failure")
        assert suite.errors == outcomes.count("error")
        assert suite.skipped == outcomes.count("skipped")
        assert suite.time == 0
        totals["tests"] += len(outcomes)
        totals["failures"] += outcomes.count("failure")
        totals["errors"] += outcomes.count("error")
        totals["skipped"] += outcomes.count("skipped")
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (
        totals["tests"], totals["failures"], totals["errors"], totals["skipped"])


def test_blocked_decision(blocked):
    found = cases(parse(blocked))
    failing = {k for k, c in found.items() if outcome(c) == "failure"}
    assert failing == {"govern.production::validation_suites", "govern.production::fria",
                       "govern.production::signoff:validator", "govern.production::signoff:risk_officer"}
    pending = found["govern.production::signoff:validator"].result[0]
    assert pending.type == "pending" and pending.message.startswith("production.signoff:validator pending: ")
    suites = found["govern.production::validation_suites"]
    failure = suites.result[0]
    assert failure.message == "3 failures and 0 errors in missing_values"
    assert failure.type == "tests"
    assert "failures = 3" in failure.text and "junit/validation.xml" in failure.text
    assert "templates/high.yaml:23:11" in failure.text
    assert "test_row_with_every_feature_missing" in failure.text
    assert outcome(found["govern.validation::auc"]) == "passed"


def test_allowed_decision_reports_later_gates_as_skipped_not_failed(allowed):
    xml = parse(allowed)
    found = cases(xml)
    assert not any(outcome(c) in ("failure", "error") for c in found.values())
    fria = found["govern.production::fria"]
    assert outcome(fria) == "skipped"
    assert "not required for target `validation`" in fria.result[0].message
    assert "(result: failed)" in fria.result[0].message
    assert outcome(found["govern.production::validation_suites"]) == "passed"


def test_every_status(mixed):
    found = cases(parse(mixed))
    warned = found["govern.validation::no_drop"]
    assert outcome(warned) == "passed" and "WARNING" in warned.system_out
    waived = found["govern.validation::auc"]
    assert outcome(waived) == "passed" and "WAIVED" in waived.system_out
    assert "rita" in waived.system_out
    # an evidence error in a warn check does not block: a warning, as in SARIF and GitHub
    soft_error = found["govern.validation::model_card"]
    assert outcome(soft_error) == "passed" and "WARNING: evidence error" in soft_error.system_out
    hard_error = found["govern.production::validation_suites"]
    assert outcome(hard_error) == "error"
    assert "\x07" not in hard_error.result[0].message and "<b>bold</b>" in hard_error.result[0].message
    assert "\\x07bell" in hard_error.result[0].message and "\n" not in hard_error.result[0].message
    assert outcome(found["govern.production::signoff:validator"]) == "passed"
    rejected = found["govern.production::signoff:risk_officer"]
    assert outcome(rejected) == "failure" and "alice" in rejected.result[0].text
    for name in ("govern.monitoring::drift", "govern.monitoring::signoff:risk_officer"):
        assert outcome(found[name]) == "skipped"
        assert found[name].result[0].message.startswith("not required for target `production`")


@pytest.mark.parametrize("name", ["blocked", "allowed", "mixed"])
def test_deterministic(request, name):
    decision = request.getfixturevalue(name)
    assert render(decision, "junit") == render(decision, "junit")
    assert render(decision, "junit").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="govern"')
