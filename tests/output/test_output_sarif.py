"""SARIF output, validated against the official SARIF 2.1.0 schema (vendored: SARIF_SCHEMA_SOURCE.md)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from govern.output import render

SCHEMA_PATH = Path(__file__).with_name("sarif-schema-2.1.0.json")
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif(decision) -> dict:
    return json.loads(render(decision, "sarif"))


def assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_vendored_schema_is_the_recorded_one():
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_validates_against_the_official_schema(validator, decision):
    log = sarif(decision)
    assert_valid(validator, log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_validator_rejects_a_broken_log(validator, blocked):
    log = sarif(blocked)
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(log))) >= 2


def test_driver_and_rules(blocked):
    driver = sarif(blocked)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "govern" and driver["version"] == blocked.govern_version
    ids = [r["id"] for r in driver["rules"]]
    expected = [c.qualified_id for g in blocked.gates for c in g.checks]
    expected += [f"{g.id}.signoff:{s.id or s.role}" for g in blocked.gates for s in g.signoffs]
    assert sorted(ids) == sorted(expected) and len(set(ids)) == len(ids)
    rule = next(r for r in driver["rules"] if r["id"] == "validation.auc")
    assert "metrics.test.auc >= params.min_auc" in rule["fullDescription"]["text"]
    assert "Annex IV 2(g)" in rule["help"]["text"] and "templates/high.yaml:9:11" in rule["help"]["text"]
    assert {"governance", "kind:metric", "gate:validation", "enforcement:block"} <= set(rule["properties"]["tags"])
    assert next(r for r in driver["rules"] if r["id"] == "validation.no_drop")["defaultConfiguration"] == \
        {"level": "warning"}


def test_blocked_results_point_at_policy_and_evidence(blocked):
    run = sarif(blocked)["runs"][0]
    results = run["results"]
    assert [r["ruleId"] for r in results] == list(blocked.determining)
    # failures are errors; sign-offs still awaited are warnings, told apart by their outcome
    assert [(r["level"], r["properties"]["outcome"]) for r in results] == [
        ("error", "error"), ("error", "error"), ("warning", "pending"), ("warning", "pending")]
    for result in results:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    suites = results[0]
    location = suites["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "templates/high.yaml", "uriBaseId": "POLICY"}
    assert location["region"] == {"startLine": 23, "startColumn": 11}
    related = suites["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related == {"uri": "junit/validation.xml", "uriBaseId": "EVIDENCE"}
    assert "3 failures" in suites["message"]["text"]
    assert set(run["originalUriBaseIds"]) == {"POLICY", "EVIDENCE"}
    assert run["invocations"][0]["exitCode"] == 1
    assert run["properties"]["decisionDigest"] == blocked.digest


def test_allowed_run_has_no_error_level_results(allowed):
    results = sarif(allowed)["runs"][0]["results"]
    assert results, "failures beyond the target are still reported"
    assert {r["level"] for r in results} == {"note"}
    assert all("not required for target `validation`" in r["message"]["text"] for r in results)


def test_every_status(validator, mixed):
    log = sarif(mixed)
    assert_valid(validator, log)
    by_id = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert by_id["validation.no_drop"]["level"] == "warning"
    assert by_id["validation.model_card"]["level"] == "warning"  # error in a warn check
    waived = by_id["validation.auc"]
    assert waived["suppressions"][0]["kind"] == "external" and waived["suppressions"][0]["status"] == "accepted"
    assert "rita" in waived["suppressions"][0]["justification"]
    error = by_id["production.validation_suites"]
    assert error["level"] == "error" and error["message"]["text"].startswith("evidence error: ")
    evidence = error["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert evidence == "junit/with%20space%7Cpipe.xml"
    assert "production.signoff:validator" not in by_id  # signed
    assert by_id["production.signoff:risk_officer"]["level"] == "error"
    assert by_id["monitoring.drift"]["level"] == "note"
    assert "not required for target `production`" in by_id["monitoring.drift"]["message"]["text"]


def test_fingerprints_are_stable_across_runs_and_evidence(blocked, allowed):
    def prints(decision):
        return {r["ruleId"]: r["partialFingerprints"] for r in sarif(decision)["runs"][0]["results"]}

    first, second = prints(blocked), prints(allowed)
    # production.fria fails in both runs, on different evidence and messages: same alert
    assert first["production.fria"] == second["production.fria"]
    assert len({json.dumps(p) for p in first.values()}) == len(first)


def test_repository_paths_for_ci(validator, blocked, monkeypatch):
    monkeypatch.setenv("GOVERN_POLICY_PATH", "./tests/golden/mini/")
    monkeypatch.setenv("GOVERN_EVIDENCE_PATH", "/ws/repo/examples/credit-risk/evidence-blocked")
    monkeypatch.setenv("GITHUB_WORKSPACE", "/ws/repo")
    log = sarif(blocked)
    assert_valid(validator, log)
    result = log["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == \
        {"uri": "tests/golden/mini/templates/high.yaml", "uriBaseId": "%SRCROOT%"}
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == \
        {"uri": "examples/credit-risk/evidence-blocked/junit/validation.xml", "uriBaseId": "%SRCROOT%"}
    assert "%SRCROOT%" in log["runs"][0]["originalUriBaseIds"]


@pytest.mark.parametrize("value", ["../elsewhere", "/not/in/workspace"])
def test_paths_outside_the_repository_are_ignored(blocked, monkeypatch, value):
    monkeypatch.setenv("GOVERN_POLICY_PATH", value)
    location = sarif(blocked)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "templates/high.yaml", "uriBaseId": "POLICY"}


@pytest.mark.parametrize("name", ["blocked", "allowed", "mixed"])
def test_deterministic(request, name):
    decision = request.getfixturevalue(name)
    assert render(decision, "sarif") == render(decision, "sarif")
