"""An Evidently report or test suite → :class:`~govern.evidence.readers.suites.SuiteResult`.

Two formats, both with a ``tests`` list whose entries have a ``name`` and a ``status``:

* a Report run with tests (Evidently ≥ 0.7, ``snapshot.save_json()``): ``{"metrics": […],
  "tests": [{"name": "Row count in dataset: Equal 700 ± 70", "description": …, "status": "FAIL",
  "test_config": {"is_critical": true, …}}]}``;
* a legacy ``TestSuite`` (``suite.json()``): ``{"tests": [{"name": "Number of Drifted Features",
  "description": …, "status": "FAIL", "group": …}], "summary": {"all_passed": false, …}}``.

Statuses SUCCESS, FAIL, WARNING, ERROR and SKIPPED become passed, failed, warning, error and
not_run. Neither format names the suite, so its name is the file's stem (``evidently/drift.json``
is suite ``drift``) unless the check names the file.
"""

from __future__ import annotations

from govern.evidence.readers.suite_result import SuiteResult, TestOutcome, line_of, require
from govern.load.safe_yaml import YamlDocument

_STATUS = {"SUCCESS": "passed", "FAIL": "failed", "WARNING": "warning", "ERROR": "error", "SKIPPED": "not_run"}


def read(doc: YamlDocument, default_name: str) -> SuiteResult:
    data = doc.data
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    verdict = summary.get("all_passed")
    result = SuiteResult(default_name, "evidently", doc.path,
                         tool_success=verdict if isinstance(verdict, bool) else None)
    for i, test in enumerate(data["tests"]):
        loc = ("tests", i)
        test = require(doc, test, dict, loc, f"tests[{i}]")
        name = require(doc, test.get("name"), str, loc + ("name",), f"tests[{i}].name")
        status = require(doc, test.get("status"), str, loc + ("status",), f"tests[{i}].status")
        outcome = _STATUS.get(status.upper())
        if outcome is None:
            from govern.errors import InputError

            raise InputError(doc.diagnostic("suite-results-invalid", f"unknown Evidently test status `{status}`",
                                            loc + ("status",), "expected one of " + ", ".join(_STATUS)))
        description = test.get("description") if isinstance(test.get("description"), str) else ""
        result.tests.append(TestOutcome(name, outcome, "" if outcome == "passed" else description,
                                        line_of(doc, loc)))
    return result
