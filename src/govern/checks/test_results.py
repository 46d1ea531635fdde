"""`tests` check: named JUnit suites exist in the evidence and have no failures or errors.

Passed, failed, errored and skipped tests are counted separately: a suite with one test run
and four skipped must not read as "5 tests passed" in a report a reviewer signs off on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement, param_list, plural
from govern.errors import Diagnostic, PolicyError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    suites = param_list(spec.params, "suites")
    if not suites:
        raise PolicyError(Diagnostic("check-params", f"`tests` check `{spec.id}` needs params.suites"))
    allow_skipped = bool(spec.params.get("allow_skipped", True))
    if spec.params.get("file"):
        from govern.evidence.junit import load_junit

        source = ctx.file(str(spec.params["file"]))
        report = ctx.cached(f"junit:{source.path}", lambda: load_junit(source))
        files = [source]
    else:
        report = ctx.junit()
        files = ctx.bundle.files_with_role("junit")
    missing, details = [], []
    passed = failures = errors = skipped = total = 0
    per_suite = {}
    for name in suites:
        suite = report.suite(name)
        if suite is None or suite.tests == 0 or suite.tests == suite.skipped:
            missing.append(name)  # a suite whose every test was skipped proves nothing
            continue
        total += suite.tests
        passed += suite.passed
        failures += suite.failures
        errors += suite.errors
        skipped += suite.skipped
        per_suite[name] = {"tests": suite.tests, "passed": suite.passed, "failures": suite.failures,
                           "errors": suite.errors, "skipped": suite.skipped}
        for case in suite.cases:
            if case.status in ("failed", "error") or (case.status == "skipped" and not allow_skipped):
                first = (case.message or "").strip().splitlines()[:1]
                details.append(f"{name}: {case.name} {case.status}" + (f" — {first[0]}" if first else ""))
    ok = not missing and failures == 0 and errors == 0 and (allow_skipped or skipped == 0)
    parts = []
    if missing:
        parts.append("missing suite" + ("s" if len(missing) > 1 else "") + ": " + ", ".join(missing))
    if failures or errors:
        parts.append(f"{plural(failures, 'failure')} and {plural(errors, 'error')} in "
                     + ", ".join(n for n, s in per_suite.items() if s["failures"] or s["errors"]))
    if skipped and not allow_skipped:
        parts.append(f"{plural(skipped, 'skipped test')} (not allowed)")
    # with no failure to report, say how many ran and passed: "5 tests passed" when 4 were skipped
    # would overstate what the evidence shows
    message = "; ".join(parts) if parts else (f"{plural(total, 'test')} in {', '.join(per_suite)}: {passed} passed"
                                              + (f", {skipped} skipped" if skipped else ""))
    return Measurement(
        measured={"suites": per_suite, "missing": missing, "passed": passed, "failures": failures,
                  "errors": errors, "skipped": skipped, "tests": total},
        ok=ok, message=message, evidence=[ctx.ref(f) for f in files], details=details)

