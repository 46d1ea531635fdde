"""What every validation-suite reader returns: a suite, its tests by name and outcome, the tool's verdict.

Kept apart from the dispatch in :mod:`suites` so the tool modules (Great Expectations,
Evidently, Deepchecks) depend on this vocabulary only, and the dispatcher on them.

Outcomes are ``passed``, ``failed``, ``warning``, ``error`` (the test could not be evaluated:
an exception, a missing column) and ``not_run`` (the tool skipped it as not applicable, e.g. a
Deepchecks date check on data without dates). Whether warnings and tests that did not run
fail the suite is the check's choice, not the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.errors import InputError
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


def require(doc: YamlDocument, value: Any, kind: type | tuple[type, ...], loc: tuple, what: str) -> Any:
    """``value`` if it has the expected JSON type, else a positioned error naming the field."""
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
        expected = names.get(kind, "a value") if isinstance(kind, type) else "a value"
        raise InputError(doc.diagnostic("suite-results-invalid", f"`{what}` must be {expected}", loc))
    return value


def line_of(doc: YamlDocument, loc: tuple) -> int:
    return doc.span(loc).line or 0
