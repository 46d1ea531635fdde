"""A pack's test cases → pass/fail per case with a diff, and rule coverage.

Risk officers change rules; the pack's own tests say whether a change moved a use case to
another tier. A case names its facts (inline or a descriptor file) and what it expects:
the tier, optionally exactly which rules fire or are undetermined, and the gates and
checks of the compiled plan. Coverage counts rules that fired in at least one case.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.classification import classify
from govern.errors import DiagnosticSink, GovernError, PolicyError, did_you_mean
from govern.load.pack import _glob
from govern.load.safe_yaml import YamlDocument, load_yaml_file
from govern.load.use_case import UseCase, check_facts, load_use_case
from govern.load.validation import validate_document
from govern.plan.graph import compile_plan
from govern.policy.model import PackTestCase, PackTestFile
from govern.policy.pack import Policy

#: pack tests are reproducible: date rules are evaluated on this day unless a case says otherwise
DEFAULT_AS_OF = _dt.date(2026, 1, 1)


@dataclass
class CaseResult:
    name: str
    location: str
    passed: bool
    tier: str
    fired: list[str]
    differences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "location": self.location, "passed": self.passed, "tier": self.tier,
                "fired": self.fired, "differences": self.differences}


@dataclass
class TestRun:
    policy: Policy
    cases: list[CaseResult]
    fired_rules: set[str]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.cases)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    @property
    def coverage(self) -> float:
        total = len(self.policy.rules)
        return 100.0 if total == 0 else 100.0 * len(self.fired_rules) / total

    @property
    def uncovered(self) -> list[str]:
        return [r.id for r in self.policy.rules if r.id not in self.fired_rules]

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.summary(),
            "passed": self.passed, "failed": self.failed,
            "coverage": round(self.coverage, 2), "uncovered_rules": self.uncovered,
            "cases": [c.to_dict() for c in self.cases],
        }


def run_pack_tests(policy: Policy) -> TestRun:
    paths = _glob(policy.root, policy.manifest.tests)
    if not paths:
        raise PolicyError(_no_tests(policy))
    sink = DiagnosticSink()
    loaded: list[tuple[YamlDocument, int, PackTestCase, UseCase]] = []
    for path in paths:
        try:
            doc = load_yaml_file(path, display=_display(path))
        except GovernError as exc:
            sink.extend(exc.diagnostics)
            continue
        model, problems = validate_document(doc, PackTestFile)
        sink.extend(problems)
        if model is None:
            continue
        for i, case in enumerate(model.cases):
            use_case = _case_use_case(policy, path, doc, i, case, sink)
            _check_expectation_names(policy, doc, i, case, sink)
            if use_case is not None:
                loaded.append((doc, i, case, use_case))
    sink.raise_if_any(PolicyError)

    results, fired_rules = [], set()
    for doc, i, case, use_case in loaded:
        result = classify(policy, use_case, case.as_of or DEFAULT_AS_OF)
        fired = [o.rule_id for o in result.outcomes if o.status == "fired"]
        undetermined = [o.rule_id for o in result.outcomes if o.status in ("undetermined", "error")]
        fired_rules.update(fired)
        expect = case.expect
        diffs: list[str] = []
        if result.tier != expect.tier:
            diffs.append(f"tier: expected {expect.tier}, got {result.tier}")
        _compare_sets(diffs, "fired rules", expect.fired, fired)
        _compare_sets(diffs, "undetermined rules", expect.undetermined, undetermined)
        if any(x is not None for x in (expect.gates, expect.checks, expect.signoffs, expect.documents)):
            plan = compile_plan(policy, use_case, result)
            if expect.gates is not None and list(expect.gates) != plan.order:
                diffs.append(f"gates: expected {' → '.join(expect.gates)}, got {' → '.join(plan.order)}")
            for what, attr in (("checks", "checks"), ("sign-offs", "signoffs"), ("documents", "documents")):
                required = [f"{g}.{r.id}" for g in plan.order for r in getattr(plan.gates[g], attr)]
                _compare_sets(diffs, what, getattr(expect, attr), required)
        span = doc.span(("cases", i))
        results.append(CaseResult(case.name, str(span), not diffs, result.tier, fired, diffs))
    return TestRun(policy, results, fired_rules)


def _compare_sets(diffs: list[str], what: str, expected: list[str] | None, actual: list[str]) -> None:
    if expected is None:
        return
    missing = [x for x in expected if x not in actual]
    extra = [x for x in actual if x not in expected]
    if missing or extra:
        lines = [f"{what}:"] + [f"  - {x}   (expected, absent)" for x in missing] + \
                [f"  + {x}   (present, not expected)" for x in extra]
        diffs.append("\n".join(lines))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _no_tests(policy: Policy):
    from govern.errors import Diagnostic, Span

    return Diagnostic("no-tests", f"no test files match {policy.manifest.tests}", Span(str(policy.root)),
                      "pack tests live in tests/*.yaml: cases with facts and the expected tier")


def _case_use_case(policy: Policy, path: Path, doc: YamlDocument, i: int, case: PackTestCase,
                   sink: DiagnosticSink) -> UseCase | None:
    if case.use_case is not None:
        if case.facts:
            sink.add(doc.diagnostic("test-case", "give either `facts` or `use_case`, not both", ("cases", i)))
            return None
        target = (path.parent / case.use_case)
        try:
            return load_use_case(target, policy.facts) if target.is_file() else _missing(doc, i, case, sink)
        except GovernError as exc:
            sink.extend(exc.diagnostics)
            return None
    before = len(sink.items)
    values = check_facts(case.facts, policy.facts, sink, doc=doc, loc_prefix=("cases", i, "facts"))
    if len(sink.items) > before:
        return None
    slug = "".join(c if c.isalnum() else "-" for c in case.name.lower())[:60] or f"case-{i}"
    return UseCase(slug, case.name, "pack-test", values)


def _missing(doc: YamlDocument, i: int, case: PackTestCase, sink: DiagnosticSink) -> None:
    sink.add(doc.diagnostic("file-not-found", f"use case file not found: {case.use_case}", ("cases", i, "use_case")))
    return None


def _check_expectation_names(policy: Policy, doc: YamlDocument, i: int, case: PackTestCase,
                             sink: DiagnosticSink) -> None:
    tiers = policy.tier_ids
    if case.expect.tier not in tiers:
        sink.add(doc.diagnostic("unknown-tier", f"expected tier `{case.expect.tier}` is not a tier of the pack",
                                ("cases", i, "expect", "tier"), did_you_mean(case.expect.tier, tiers)))
    rule_ids = [r.id for r in policy.rules]
    for key in ("fired", "undetermined"):
        for j, rule_id in enumerate(getattr(case.expect, key) or []):
            if rule_id not in rule_ids:
                sink.add(doc.diagnostic("unknown-rule", f"no rule `{rule_id}` in the pack",
                                        ("cases", i, "expect", key, j), did_you_mean(rule_id, rule_ids)))
