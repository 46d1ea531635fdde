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
from govern.load.answers import contradictions
from govern.load.use_case import UseCase, check_facts, load_use_case
from govern.load.validation import validate_document
from govern.plan.graph import PROHIBITED_GATE, compile_plan
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
    def own_rules(self) -> list[str]:
        """The pack's own rules: coverage (and ``--min-coverage``) is about what this pack says."""
        return [r.id for r in self.policy.rules if r.id not in self.policy.imported_rules]

    @property
    def coverage(self) -> float:
        own = self.own_rules
        return 100.0 if not own else 100.0 * sum(r in self.fired_rules for r in own) / len(own)

    @property
    def uncovered(self) -> list[str]:
        return [r for r in self.own_rules if r not in self.fired_rules]

    def imported_coverage(self) -> list[dict[str, Any]]:
        """Per `imports:` source, how many of the rules taken from it the cases fire: reported
        apart, since the imported pack's own tests are what vouch for those rules."""
        by_source: dict[str, list[str]] = {}
        for rule_id, source in self.policy.imported_rules.items():
            by_source.setdefault(source, []).append(rule_id)
        out = []
        for source, rule_ids in sorted(by_source.items()):
            fired = [r for r in rule_ids if r in self.fired_rules]
            out.append({"source": source, "rules": len(rule_ids), "fired": len(fired),
                        "coverage": round(100.0 * len(fired) / len(rule_ids), 2),
                        "uncovered_rules": [r for r in rule_ids if r not in self.fired_rules]})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.summary(),
            "passed": self.passed, "failed": self.failed,
            "coverage": round(self.coverage, 2), "uncovered_rules": self.uncovered,
            "imported_coverage": self.imported_coverage(),
            "cases": [c.to_dict() for c in self.cases],
        }


@dataclass(frozen=True)
class LoadedCase:
    """A test case that parsed and names only things the pack has, ready to run."""

    doc: YamlDocument
    index: int
    case: PackTestCase
    use_case: UseCase


def load_pack_tests(policy: Policy, *, require: bool = True) -> list[LoadedCase]:
    """Every test case of the pack, statically checked against it.

    Shared by `govern test` and `govern validate`, so a test file that `test` would refuse
    never passes `validate` (the pre-commit hook) first. Raises :class:`PolicyError` with
    every problem of every file; with ``require`` a pack without test files is one of them.
    """
    paths = _glob(policy.root, policy.manifest.tests)
    if not paths and require:
        raise PolicyError(_no_tests(policy))
    sink = DiagnosticSink()
    names = expectation_names(policy)
    loaded: list[LoadedCase] = []
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
            _check_expectation_names(names, doc, i, case, sink)
            if use_case is not None:
                loaded.append(LoadedCase(doc, i, case, use_case))
    sink.raise_if_any(PolicyError)
    return loaded


def run_pack_tests(policy: Policy) -> TestRun:
    results, fired_rules = [], set()
    for loaded in load_pack_tests(policy):
        case, use_case = loaded.case, loaded.use_case
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
        # answers the pack's constraints call contradictory are a finding unless the case expects them
        _compare_sets(diffs, "violated constraints", expect.violates,
                      [c.constraint.id for c in contradictions(policy, use_case)])
        if any(x is not None for x in (expect.gates, expect.checks, expect.signoffs, expect.documents)):
            plan = compile_plan(policy, use_case, result)
            if expect.gates is not None and list(expect.gates) != plan.order:
                diffs.append(f"gates: expected {' → '.join(expect.gates)}, got {' → '.join(plan.order)}")
            for what, attr in (("checks", "checks"), ("sign-offs", "signoffs"), ("documents", "documents")):
                required = [f"{g}.{r.id}" for g in plan.order for r in getattr(plan.gates[g], attr)]
                _compare_sets(diffs, what, getattr(expect, attr), required)
        span = loaded.doc.span(("cases", loaded.index))
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


def expectation_names(policy: Policy) -> dict[str, list[str]]:
    """What a test case may name in `expect`: tiers, rule ids, and the gates and `gate.id`
    requirements any of the pack's templates can put into a plan.

    One list for the whole pack (not per tier): a name no template has is a typo, while a
    name of another tier's template is a real expectation that the case run will diff.
    Also the enums of `govern schema tests --policy`, so the editor and `validate` agree.
    """
    gates: dict[str, None] = {}
    required: dict[str, dict[str, None]] = {"checks": {}, "signoffs": {}, "documents": {}}
    for template in policy.templates.values():
        for stage in template.stages:
            gates[stage.id] = None
            required["checks"].update((f"{stage.id}.{c.id}", None) for c in stage.gate.checks)
            required["signoffs"].update((f"{stage.id}.{s.key}", None) for s in stage.gate.signoffs)
            required["documents"].update((f"{stage.id}.{d.id}", None) for d in stage.gate.documents)
    if any(t.blocks_deployment for t in policy.manifest.tiers):  # the gate compile_plan makes for them
        gates[PROHIBITED_GATE] = None
        required["checks"][f"{PROHIBITED_GATE}.tier_prohibited"] = None
    return {"tier": policy.tier_ids, "fired": [r.id for r in policy.rules], "undetermined": [r.id for r in policy.rules],
            "violates": [c.id for c in policy.constraints],
            "gates": sorted(gates), **{k: sorted(v) for k, v in required.items()}}


#: expectation key → (what it names, diagnostic code)
_WHAT = {"tier": ("tier", "unknown-tier"), "fired": ("rule", "unknown-rule"), "undetermined": ("rule", "unknown-rule"),
         "violates": ("constraint", "unknown-constraint"),
         "gates": ("gate", "unknown-stage"), "checks": ("check", "unknown-check"),
         "signoffs": ("sign-off", "unknown-signoff"), "documents": ("document", "unknown-document")}


def _check_expectation_names(names: dict[str, list[str]], doc: YamlDocument, i: int, case: PackTestCase,
                             sink: DiagnosticSink) -> None:
    expect = case.expect
    for key, (what, code) in _WHAT.items():
        given = getattr(expect, key)
        listed = [(given, ("cases", i, "expect", key))] if isinstance(given, str) else \
            [(name, ("cases", i, "expect", key, j)) for j, name in enumerate(given or [])]
        for name, loc in listed:
            if name not in names[key]:
                sink.add(doc.diagnostic(code, f"expected {what} `{name}` is not a {what} of the pack",
                                        loc, did_you_mean(name, names[key])))
