"""JUnit XML from several producers, suite lookup, and hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import InputError
from govern.evidence.junit import load_junit, load_junit_files, parse_junit, suite_key

from .conftest import FIXTURES


def test_pytest_report_and_suite_lookup_by_classname(fixture_bundle: Path) -> None:
    report = load_junit(fixture_bundle / "junit" / "pytest.xml")
    pytest_suite = report.suite("pytest")
    assert pytest_suite is not None and pytest_suite.matched_by == "name"
    assert (pytest_suite.tests, pytest_suite.failures, pytest_suite.errors, pytest_suite.skipped) == (5, 0, 0, 1)
    base = report.suite("base_case")
    assert base is not None and base.matched_by == "classname" and base.tests == 2 and base.passed == 2
    assert report.suite("missing-values").tests == 1
    extreme = report.suite("Extreme values")
    assert extreme.tests == 2 and extreme.skipped == 1
    assert extreme.cases[0].message == "slow"
    assert report.suite("fairness") is None and report.suite("tests") is None
    assert report.warnings == []


def test_maven_counts_are_recomputed_and_flaky_is_passed() -> None:
    report = load_junit(FIXTURES / "junit" / "maven.xml")
    suite = report.suite("com.bank.ScoringTest")
    assert (suite.tests, suite.failures, suite.passed) == (3, 1, 2)
    assert suite.cases[1].message == "expected: <0.5> but was: <0.7>"
    assert report.suite("scoring").matched_by == "normalised-name"  # ScoringTest → "scoring"
    assert suite.consistent


def test_jest_nested_suites() -> None:
    report = load_junit(FIXTURES / "junit" / "jest.xml")
    outer = report.suite("Score API")
    assert (outer.tests, outer.errors) == (3, 1)  # nested suite's case counted in the parent
    assert report.suite("Score API nested").tests == 1
    assert len(report.cases()) == 3
    assert [w.code for w in report.warnings] == ["junit-inconsistent-counts"]  # declared errors="0"


def test_counts_trust_cases_over_attributes() -> None:
    xml = b"""<testsuite name="s" tests="9" failures="0" errors="x">
      <testcase name="a"><failure message="boom"/></testcase>
      <testcase name="b"><error/><failure/></testcase>
      <testcase name="c" status="notrun"/>
    </testsuite>"""
    report = parse_junit(xml, "r.xml")
    suite = report.suites["s"]
    assert [c.status for c in suite.cases] == ["failed", "error", "skipped"]
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 1, 1, 1)
    assert suite.declared["errors"] is None and not suite.consistent
    assert report.warnings[0].severity == "warning"


def test_merging_files_merges_same_named_suites(tmp_path: Path) -> None:
    for i in range(2):
        (tmp_path / f"{i}.xml").write_text(f'<testsuite name="s"><testcase name="t{i}"/></testsuite>')
    report = load_junit_files([tmp_path / "0.xml", tmp_path / "1.xml"])
    assert report.suite("s").tests == 2 and len(report.files) == 2


@pytest.mark.parametrize("name,key", [("base_case", "basecase"), ("test_base_case", "basecase"),
                                      ("BaseCaseTest", "basecase"), ("Base case", "basecase"), ("tests", "")])
def test_suite_key(name: str, key: str) -> None:
    assert suite_key(name) == key


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuite name="&lol4;"><testcase name="a"/></testsuite>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="x"><testcase name="&xxe;"/></testsuite>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "http://example.invalid/junit.dtd">
<testsuite name="x"/>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "external-dtd"])
def test_entities_and_dtds_are_refused(tmp_path: Path, xml: bytes) -> None:
    (tmp_path / "evil.xml").write_bytes(xml)
    with pytest.raises(InputError) as exc:
        load_junit(tmp_path / "evil.xml")
    (d,) = exc.value.diagnostics
    assert d.code == "junit-xml-forbidden" and d.span.file.endswith("evil.xml")


@pytest.mark.parametrize("xml,code,line,col", [
    (b'<testsuite name="a">\n  <testcase name="b">\n</testsuite>', "junit-xml-syntax", 3, 3),
    (b"<testsuite", "junit-xml-syntax", 1, 1),
    (b"<html><body/></html>", "junit-bad-root", 1, 1),
    (b"", "evidence-empty", 0, 0),
])
def test_malformed_xml(tmp_path: Path, xml: bytes, code: str, line: int, col: int) -> None:
    (tmp_path / "bad.xml").write_bytes(xml)
    with pytest.raises(InputError) as exc:
        load_junit(tmp_path / "bad.xml")
    d = exc.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == (code, line, col)


def test_huge_and_deeply_nested(tmp_path: Path, small_limit: int) -> None:
    (tmp_path / "big.xml").write_text('<testsuite name="s">' + '<testcase name="x"/>' * 10 + "</testsuite>")
    with pytest.raises(InputError) as exc:
        load_junit(tmp_path / "big.xml")
    assert exc.value.diagnostics[0].code == "evidence-too-large"
    deep = b"<testsuites>" + b"<testsuite>" * 50 + b"</testsuite>" * 50 + b"</testsuites>"
    with pytest.raises(InputError) as exc:
        parse_junit(deep, "deep.xml")
    assert exc.value.diagnostics[0].code == "junit-too-deep"
