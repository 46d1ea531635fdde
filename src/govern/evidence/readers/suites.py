"""Validation-suite results of Great Expectations, Evidently and Deepchecks → one :class:`SuiteResult`.

Each tool says "this suite passed" its own way. What the ``suite`` check needs from all of
them is the same: the suite's name, every test or expectation by name with its outcome, and
the tool's own verdict. :func:`load_suite_results` recognises the format by its keys (never by
the file name, which the pipeline chooses) and delegates to the tool's module.

The result's vocabulary (outcomes, :class:`SuiteResult`) is in :mod:`suite_result`.
"""

from __future__ import annotations

from typing import Callable

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import Source, read_text
from govern.evidence.readers import deepchecks, evidently, great_expectations
from govern.evidence.readers.suite_result import MAX_TESTS, OUTCOMES, SuiteResult, TestOutcome
from govern.load.safe_yaml import YamlDocument

__all__ = ["MAX_TESTS", "OUTCOMES", "SuiteResult", "TestOutcome", "load_suite_results"]


def load_suite_results(source: Source, *, default_name: str | None = None) -> SuiteResult:
    """Parse one results file; ``default_name`` names suites whose format carries no name (Evidently)."""
    text, name = read_text(source, "suite_results")
    doc = load_json_text(text, name)
    reader = _detect(doc)
    if reader is None:
        raise InputError(doc.diagnostic(
            "suite-results-unknown", f"{name} is not a validation result govern reads",
            hint="expected a Great Expectations validation result (`suite_name`, `results`), an Evidently "
                 "report or test-suite JSON (`tests`), or a Deepchecks suite result (`type: SuiteResult`)"))
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    result = reader(doc, default_name or stem)
    if len(result.tests) > MAX_TESTS:
        raise InputError(Diagnostic("suite-results-too-large", f"{name} holds more than {MAX_TESTS} tests",
                                    Span(name)))
    return result


def _detect(doc: YamlDocument) -> Callable[[YamlDocument, str], SuiteResult] | None:
    data = doc.data
    if not isinstance(data, dict):
        return None
    if data.get("type") == "SuiteResult" and "results" in data:
        return deepchecks.read
    if "results" in data and ("suite_name" in data or "expectation_suite_name" in (data.get("meta") or {})):
        return great_expectations.read
    if isinstance(data.get("tests"), list):
        return evidently.read
    return None
