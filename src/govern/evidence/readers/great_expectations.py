"""A Great Expectations validation result → :class:`~govern.evidence.readers.suites.SuiteResult`.

This is what a checkpoint writes for each suite it validates (GX 1.x stores them under
``gx/uncommitted/validations/<suite>/…/<batch>.json``; ``ValidationResult.to_json_dict()``
gives the same document)::

    {"success": false, "suite_name": "credit_ranges",
     "statistics": {"evaluated_expectations": 4, "unsuccessful_expectations": 2, …},
     "results": [{"success": false, "expectation_config": {"type": "expect_column_values_to_be_between",
                  "kwargs": {"column": "age_in_years", "min_value": 18, "max_value": 70}},
                  "result": {"unexpected_count": 6, …}, "exception_info": {"raised_exception": false}}]}

GX 0.x names the suite in ``meta.expectation_suite_name`` and the type in
``expectation_config.expectation_type``; both are read. An expectation is named by its type and
column(s), e.g. ``expect_column_values_to_be_between(age_in_years)``; one that raised is an
``error``, not a failure of the data.
"""

from __future__ import annotations

from typing import Any

from govern.evidence.readers.suite_result import SuiteResult, TestOutcome, line_of, require
from govern.load.safe_yaml import YamlDocument


def read(doc: YamlDocument, default_name: str) -> SuiteResult:
    data = doc.data
    name = data.get("suite_name") or (data.get("meta") or {}).get("expectation_suite_name") or default_name
    success = data.get("success")
    result = SuiteResult(str(name), "great_expectations", doc.path,
                         tool_success=success if isinstance(success, bool) else None)
    for i, item in enumerate(require(doc, data["results"], list, ("results",), "results")):
        loc = ("results", i)
        item = require(doc, item, dict, loc, f"results[{i}]")
        config = require(doc, item.get("expectation_config") or {}, dict, loc + ("expectation_config",),
                         "expectation_config")
        kind = config.get("type") or config.get("expectation_type") or "expectation"
        kwargs = config.get("kwargs") if isinstance(config.get("kwargs"), dict) else {}
        label = f"{kind}({_columns(kwargs)})" if _columns(kwargs) else str(kind)
        exception = item.get("exception_info") if isinstance(item.get("exception_info"), dict) else {}
        if exception.get("raised_exception"):
            outcome, detail = "error", str(exception.get("exception_message") or "raised an exception")
        elif item.get("success") is True:
            outcome, detail = "passed", ""
        else:
            outcome, detail = "failed", _detail(kwargs, item.get("result"))
        result.tests.append(TestOutcome(label, outcome, detail, line_of(doc, loc)))
    return result


def _columns(kwargs: dict[str, Any]) -> str:
    if isinstance(kwargs.get("column"), str):
        return kwargs["column"]
    for key in ("column_list", "column_A"):
        if isinstance(kwargs.get(key), list):
            return ", ".join(str(c) for c in kwargs[key])
    if isinstance(kwargs.get("column_A"), str) and isinstance(kwargs.get("column_B"), str):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return ""


def _detail(kwargs: dict[str, Any], outcome: Any) -> str:
    """What was expected and what was found, from the fields GX reports for most expectations."""
    expected = ", ".join(f"{k}={kwargs[k]!r}" for k in ("min_value", "max_value", "value_set", "regex", "type_")
                         if k in kwargs)
    found = ""
    if isinstance(outcome, dict):
        if "unexpected_count" in outcome:
            found = f"{outcome['unexpected_count']} unexpected of {outcome.get('element_count', '?')}"
            sample = outcome.get("partial_unexpected_list")
            if isinstance(sample, list) and sample:
                found += " (e.g. " + ", ".join(repr(v) for v in sample[:3]) + ")"
        elif "observed_value" in outcome:
            found = f"observed {outcome['observed_value']!r}"
    return "; ".join(p for p in (f"expected {expected}" if expected else "", found) if p)
