"""Validation-suite results of Great Expectations, Evidently and Deepchecks → one :class:`SuiteResult`.

Each tool says "this suite passed" its own way. What the ``suite`` check needs from all of
them is the same: the suite's name, every test or expectation by name with its outcome, and
the tool's own verdict. :func:`load_suite_results` recognises the format by its keys (never by
the file name, which the pipeline chooses) and delegates to the tool's module.

Outcomes are ``passed``, ``failed``, ``warning``, ``error`` (the test could not be evaluated:
an exception, a missing column) and ``not_run`` (the tool skipped it as not applicable, e.g. a
Deepchecks date check on data without dates). Whether warnings and tests that did not run
fail the suite is the check's choice, not the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import YamlDocument

OUTCOMES = ("passed", "failed", "warning", "error", "not_run")
#: a suite with more tests than this is not a suite result
MAX_TESTS = 100_000


@dataclass(frozen=True)
class TestOutcome:
    name: str
    outcome: str
    detail: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "outcome": self.outcome, "detail": self.detail, "line": self.line}


@dataclass
class SuiteResult:
    """One suite run: its tests and the tool's own verdict (None where the format gives none)."""

    name: str
    tool: str
    file: str
    tests: list[TestOutcome] = field(default_factory=list)
    tool_success: bool | None = None

    def with_outcome(self, *outcomes: str) -> list[TestOutcome]:
        return [t for t in self.tests if t.outcome in outcomes]

    def counts(self) -> dict[str, int]:
        return {o: sum(1 for t in self.tests if t.outcome == o) for o in OUTCOMES}


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
    from govern.evidence.readers import deepchecks, evidently, great_expectations

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


# -- helpers the tool modules share --------------------------------------------------------------
def require(doc: YamlDocument, value: Any, kind: type | tuple[type, ...], loc: tuple, what: str) -> Any:
    """``value`` if it has the expected JSON type, else a positioned error naming the field."""
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
        expected = names.get(kind, "a value") if isinstance(kind, type) else "a value"
        raise InputError(doc.diagnostic("suite-results-invalid", f"`{what}` must be {expected}", loc))
    return value


def line_of(doc: YamlDocument, loc: tuple) -> int:
    return doc.span(loc).line or 0
