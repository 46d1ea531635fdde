"""The `tests` check through the engine: passed, failed, errored and skipped are counted apart."""

from __future__ import annotations

import datetime as dt

import pytest

import govern
from govern.evaluate.pipeline import check
from tests.checks.minipack import pack_with_checks

AS_OF = dt.date(2026, 6, 1)


def _junit(cases: list[tuple[str, str]]) -> str:
    """One suite `base_case` whose cases have the given (name, outcome) pairs."""
    body = []
    for name, outcome in cases:
        inner = {"passed": "", "skipped": '<skipped message="not on this platform"/>',
                 "failed": '<failure message="assert 0.61 == 0.62"/>', "error": '<error message="boom"/>'}[outcome]
        body.append(f'<testcase classname="base_case" name="{name}" time="0">{inner}</testcase>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="base_case">'
            + "".join(body) + "</testsuite></testsuites>\n")


@pytest.fixture()
def run(tmp_path):
    pack = pack_with_checks(tmp_path, [
        {"id": "suites", "kind": "tests", "params": {"suites": ["base_case"]}},
        {"id": "strict", "kind": "tests", "params": {"suites": ["base_case"], "allow_skipped": False}},
    ])
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    evidence = tmp_path / "evidence"
    (evidence / "junit").mkdir(parents=True)
    (evidence / "model_card.md").write_text("---\nname: synthetic\n---\n# Synthetic\n")

    def go(cases: list[tuple[str, str]]):
        (evidence / "junit" / "validation.xml").write_text(_junit(cases))
        decision = check(policy, use_case, evidence, target="validation", as_of=AS_OF)
        return {c.id: c for c in decision.checks}
    return go


def test_skipped_tests_are_not_reported_as_passed(run):
    got = run([("t1", "passed")] + [(f"t{i}", "skipped") for i in range(2, 6)])
    suites = got["suites"]
    assert suites.status == "passed"
    assert "5 tests passed" not in suites.message
    assert suites.message == "5 tests in base_case: 1 passed, 4 skipped"
    assert (suites.measured["tests"], suites.measured["passed"], suites.measured["failures"],
            suites.measured["errors"], suites.measured["skipped"]) == (5, 1, 0, 0, 4)
    assert suites.measured["suites"]["base_case"] == {"tests": 5, "passed": 1, "failures": 0, "errors": 0,
                                                      "skipped": 4}
    strict = got["strict"]
    assert strict.status == "failed" and "4 skipped tests (not allowed)" in strict.message


def test_every_outcome_is_counted_separately(run):
    got = run([("a", "passed"), ("b", "passed"), ("c", "failed"), ("d", "error"), ("e", "skipped")])
    suites = got["suites"]
    assert suites.status == "failed"
    assert (suites.measured["passed"], suites.measured["failures"], suites.measured["errors"],
            suites.measured["skipped"], suites.measured["tests"]) == (2, 1, 1, 1, 5)


def test_all_passing_suite_says_so(run):
    suites = run([("a", "passed"), ("b", "passed")])["suites"]
    assert suites.status == "passed" and suites.message == "2 tests in base_case: 2 passed"
