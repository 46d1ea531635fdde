"""JUnit XML (pytest, Maven Surefire, Jest, Gradle …) → :class:`JUnitReport` of suites and cases.

The XML is untrusted: it is parsed with :mod:`defusedxml` with DTDs forbidden, so
entity bombs ("billion laughs") and external entities are refused instead of expanded
or fetched. Reporters disagree on structure and counts, so counts are recomputed from
the ``<testcase>`` elements (a suite claiming ``failures="0"`` while holding a failing
case is failing).

Suite lookup (:meth:`JUnitReport.suite`), in order:

1. a suite whose ``name`` equals the query;
2. a suite whose name, or whose last ``.``/``/``/``::``-separated component, *normalises*
   to the same key: case-folded, non-alphanumerics dropped, a leading or trailing
   ``test``/``tests`` removed (so ``"base case"``, ``base_case``, ``BaseCaseTest`` and
   ``test_base_case`` all have key ``basecase``);
3. the cases (from all suites) whose ``classname`` has a component, or whose ``file``
   attribute has a file stem, with that key -- pytest puts every case in one suite named
   ``pytest`` and encodes the module in ``classname`` (``tests.test_base_case``), so the
   query ``base_case`` finds them. They are returned as a synthetic suite named like the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Literal
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.reading import Source, read_bytes

Status = Literal["passed", "failed", "error", "skipped"]
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
MAX_SUITE_DEPTH = 32


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    status: Status
    message: str | None = None
    file: str | None = None
    time: float | None = None


@dataclass
class Suite:
    """A suite with counts derived from its cases (nested suites' cases included)."""

    name: str
    cases: list[Case] = field(default_factory=list)
    #: counts as written in the XML attributes (None where absent or not an integer)
    declared: dict[str, int | None] = field(default_factory=dict)
    #: how a lookup found it: "name", "normalised-name" or "classname"
    matched_by: str = "name"

    def _count(self, status: str) -> int:
        return sum(1 for c in self.cases if c.status == status)

    @property
    def tests(self) -> int:
        return len(self.cases)

    @property
    def failures(self) -> int:
        return self._count("failed")

    @property
    def errors(self) -> int:
        return self._count("error")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def passed(self) -> int:
        return self._count("passed")

    @property
    def consistent(self) -> bool:
        """Whether every declared count agrees with the cases."""
        actual = {"tests": self.tests, "failures": self.failures, "errors": self.errors, "skipped": self.skipped}
        return all(v is None or actual[k] == v for k, v in self.declared.items())

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "tests": self.tests, "failures": self.failures, "errors": self.errors,
                "skipped": self.skipped}


@dataclass
class JUnitReport:
    suites: dict[str, Suite]
    files: list[str] = field(default_factory=list)
    #: non-fatal findings, e.g. declared counts that disagree with the cases
    warnings: list[Diagnostic] = field(default_factory=list)

    def cases(self) -> list[Case]:
        seen: set[int] = set()
        out: list[Case] = []
        for suite in self.suites.values():
            for case in suite.cases:
                if id(case) not in seen:
                    seen.add(id(case))
                    out.append(case)
        return out

    def suite(self, name: str) -> Suite | None:
        """Find a suite by the rule in the module docstring; None if nothing matches."""
        if name in self.suites:
            return self.suites[name]
        key = suite_key(name)
        if not key:
            return None
        for suite_name, suite in self.suites.items():
            if suite_key(suite_name) == key or suite_key(_last_component(suite_name)) == key:
                return Suite(suite.name, suite.cases, suite.declared, "normalised-name")
        matched = [c for c in self.cases() if _case_matches(c, key)]
        if matched:
            return Suite(name, matched, {}, "classname")
        return None


def suite_key(name: str) -> str:
    key = re.sub(r"[\W_]+", "", name.casefold())
    key = re.sub(r"^tests?", "", key)
    return re.sub(r"tests?$", "", key)


def _last_component(name: str) -> str:
    return re.split(r"::|[./\\]", name)[-1]


def _case_matches(case: Case, key: str) -> bool:
    parts = [p for p in re.split(r"::|[./\\]", case.classname) if p]
    if case.file:
        stem = re.split(r"[/\\]", case.file)[-1]
        parts.append(stem.rsplit(".", 1)[0])
    return any(suite_key(p) == key for p in parts)


# -- parsing -------------------------------------------------------------------------------
def load_junit(source: Source) -> JUnitReport:
    """Parse one JUnit XML file."""
    raw, name = read_bytes(source, "junit")
    return parse_junit(raw, name)


def load_junit_files(sources: Iterable[Source]) -> JUnitReport:
    """Parse several files into one report; suites with the same name are merged."""
    return merge_reports([load_junit(s) for s in sources])


def merge_reports(reports: Iterable[JUnitReport]) -> JUnitReport:
    out = JUnitReport({})
    for report in reports:
        out.files.extend(report.files)
        out.warnings.extend(report.warnings)
        for name, suite in report.suites.items():
            _merge_suite(out.suites, name, suite)
    return out


def parse_junit(raw: bytes, name: str) -> JUnitReport:
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, -1))
        message = str(exc).split(":", 1)[0] if ":" in str(exc) else str(exc)
        raise InputError(Diagnostic("junit-xml-syntax", f"invalid XML: {message}", Span(name, line, col + 1),
                                    source_line=_line(raw, line))) from None
    except DefusedXmlException as exc:
        raise InputError(Diagnostic(
            "junit-xml-forbidden", f"{name} uses a forbidden XML feature ({type(exc).__name__}: {exc})",
            Span(name, 1, 1), "JUnit files need no DTD or entities; these are refused to stop entity bombs "
            "and external-entity reads")) from None
    tag = _local(root.tag)
    if tag not in ("testsuites", "testsuite"):
        raise InputError(Diagnostic("junit-bad-root", f"root element is <{tag}>, expected <testsuites> or <testsuite>",
                                    Span(name, 1, 1)))
    report = JUnitReport({}, [name])
    if tag == "testsuite":
        _suite(root, report, name, 0)
    else:
        for child in root:
            if _local(child.tag) == "testsuite":
                _suite(child, report, name, 0)
            elif _local(child.tag) == "testcase":  # some tools put cases straight under <testsuites>
                _merge_suite(report.suites, root.get("name") or "testsuites",
                             Suite(root.get("name") or "testsuites", [_case(child, "")]))
    return report


def _suite(elem: Element, report: JUnitReport, file: str, depth: int) -> list[Case]:
    """Register ``elem`` (and nested suites); returns all cases beneath it."""
    if depth > MAX_SUITE_DEPTH:
        raise InputError(Diagnostic("junit-too-deep", f"test suites nest deeper than {MAX_SUITE_DEPTH} levels",
                                    Span(file)))
    name = elem.get("name") or elem.get("package") or "(unnamed suite)"
    cases: list[Case] = []
    for child in elem:
        kind = _local(child.tag)
        if kind == "testcase":
            cases.append(_case(child, name))
        elif kind == "testsuite":
            cases.extend(_suite(child, report, file, depth + 1))
    declared = {k: _int(elem.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    if elem.get("skipped") is None and elem.get("skips") is not None:
        declared["skipped"] = _int(elem.get("skips"))
    suite = Suite(name, cases, declared)
    if not suite.consistent:
        report.warnings.append(Diagnostic(
            "junit-inconsistent-counts",
            f"suite `{name}` declares {_fmt(declared)} but its cases give tests={suite.tests} "
            f"failures={suite.failures} errors={suite.errors} skipped={suite.skipped}; using the cases",
            Span(file), severity="warning"))
    _merge_suite(report.suites, name, suite)
    return cases


def _merge_suite(suites: dict[str, Suite], name: str, suite: Suite) -> None:
    if name in suites:
        old = suites[name]
        suites[name] = Suite(name, old.cases + suite.cases, {})
    else:
        suites[name] = suite


def _case(elem: Element, suite_name: str) -> Case:
    status: Status = "passed"
    message: str | None = None
    for child in elem:
        kind = _local(child.tag)
        mapped: Status | None = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(kind)
        # Surefire's flakyFailure/rerunFailure describe retries; the outcome is in failure/error.
        if mapped is not None and _RANK[mapped] > _RANK[status]:
            status = mapped
            message = child.get("message") or (child.text or "").strip()[:2000] or None
    if status == "passed" and (elem.get("status") or "").lower() in ("skipped", "notrun", "disabled"):
        status = "skipped"
    return Case(name=elem.get("name") or "(unnamed case)", classname=elem.get("classname") or suite_name,
                status=status, message=message, file=elem.get("file"), time=_float(elem.get("time")))


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value.replace(",", "")) if value is not None else None
    except ValueError:
        return None


def _fmt(declared: dict[str, int | None]) -> str:
    return " ".join(f"{k}={v}" for k, v in declared.items() if v is not None)


def _line(raw: bytes, line: int) -> str | None:
    lines = raw.decode("utf-8", "replace").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else None
