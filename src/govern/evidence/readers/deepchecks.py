"""A Deepchecks suite result → :class:`~govern.evidence.readers.suites.SuiteResult`.

``SuiteResult.to_json()`` writes ``{"name": "Data Integrity Suite", "type": "SuiteResult",
"results": […]}`` where each result is a ``CheckResult`` whose ``conditions_results`` hold
``{"Status": "PASS"|"FAIL"|"WARN"|"ERROR", "Condition": …, "More Info": …}``, or a
``CheckFailure`` (the check could not run, e.g. "Dataset does not contain a datetime").

Every condition is one test, named ``<check>: <condition>``; a check without conditions
asserts nothing and is left out. A ``CheckFailure`` is a test that did not run, as Deepchecks
itself treats it (``SuiteResult.passed(fail_if_check_not_run=False)``).
"""

from __future__ import annotations

from govern.evidence.readers.suite_result import SuiteResult, TestOutcome, line_of, require
from govern.load.safe_yaml import YamlDocument

_STATUS = {"PASS": "passed", "FAIL": "failed", "WARN": "warning", "ERROR": "error"}


def read(doc: YamlDocument, default_name: str) -> SuiteResult:
    data = doc.data
    name = data.get("name") if isinstance(data.get("name"), str) and data.get("name") else default_name
    result = SuiteResult(name, "deepchecks", doc.path)
    for i, item in enumerate(require(doc, data["results"], list, ("results",), "results")):
        loc = ("results", i)
        item = require(doc, item, dict, loc, f"results[{i}]")
        check = item.get("check") if isinstance(item.get("check"), dict) else {}
        check_name = str(check.get("name") or item.get("header") or f"check {i}")
        if item.get("type") == "CheckFailure":
            result.tests.append(TestOutcome(check_name, "not_run", str(item.get("exception") or ""),
                                            line_of(doc, loc)))
            continue
        conditions = item.get("conditions_results") or []
        for j, condition in enumerate(require(doc, conditions, list, loc + ("conditions_results",),
                                              f"results[{i}].conditions_results")):
            cloc = loc + ("conditions_results", j)
            condition = require(doc, condition, dict, cloc, "a condition result")
            status = str(condition.get("Status", "")).upper()
            outcome = _STATUS.get(status)
            if outcome is None:
                from govern.errors import InputError

                raise InputError(doc.diagnostic("suite-results-invalid", f"unknown Deepchecks status `{status}`",
                                                cloc, "expected one of " + ", ".join(_STATUS)))
            label = f"{check_name}: {condition.get('Condition') or 'condition'}"
            detail = "" if outcome == "passed" else str(condition.get("More Info") or "")
            result.tests.append(TestOutcome(label, outcome, detail, line_of(doc, cloc)))
    return result
