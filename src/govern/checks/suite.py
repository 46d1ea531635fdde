"""`suite` check: a named validation suite (Great Expectations, Evidently, Deepchecks) succeeded.

The suite is found by name among the bundle's ``suite_results`` files, or read from the file
the check names. It passes when every test passed: a failure or an error fails it, a warning
too unless ``allow_warnings``, a test that did not run only with ``allow_not_run: false``. The
tool's own verdict must agree (a file claiming success over failed tests is not believed), and
a suite that evaluated nothing proves nothing. Every failed test is reported by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.checks.base import Measurement, plural
from govern.errors import Diagnostic, GovernError, InputError, PolicyError, Span

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.evidence.files import EvidenceFile
    from govern.evidence.readers.suites import SuiteResult
    from govern.policy.model import CheckSpec

TOOLS = ("great_expectations", "evidently", "deepchecks")


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    params = spec.params
    name, path, tool = params.get("suite"), params.get("file"), params.get("tool")
    if not name and not path:
        raise PolicyError(Diagnostic("check-params", f"`suite` check `{spec.id}` needs params.suite (the suite's "
                                     "name) or params.file (its results file)"))
    if tool is not None and tool not in TOOLS:
        raise PolicyError(Diagnostic("check-params", f"`suite` check `{spec.id}`: tool `{tool}` is not one of "
                                     + ", ".join(TOOLS)))
    source, suite = _find(ctx, str(name) if name else None, str(path) if path else None, tool)
    allow_warnings = bool(params.get("allow_warnings", False))
    allow_not_run = bool(params.get("allow_not_run", True))
    failing = ["failed", "error"] + ([] if allow_warnings else ["warning"]) + ([] if allow_not_run else ["not_run"])
    bad = suite.with_outcome(*failing)
    counts = suite.counts()
    evaluated = len(suite.tests) - counts["not_run"]
    # the tool's own verdict can only make things worse: "success" over failed tests is not believed
    ok = evaluated > 0 and not bad and suite.tool_success is not False
    details = [f"{t.name}: {t.outcome}" + (f" — {t.detail}" if t.detail else "") for t in bad]
    if evaluated == 0:
        message = f"suite `{suite.name}` in {suite.file} evaluated no test"
    elif bad:
        message = (f"suite `{suite.name}` ({suite.tool}): {plural(len(bad), 'test')} of {len(suite.tests)} did not "
                   "pass: " + ", ".join(t.name for t in bad[:5]) + (", …" if len(bad) > 5 else ""))
    elif suite.tool_success is False:
        message = f"suite `{suite.name}` ({suite.tool}) reports failure, though no test in {suite.file} failed"
    else:
        message = (f"suite `{suite.name}` ({suite.tool}): {counts['passed']} of {len(suite.tests)} passed"
                   + (f", {counts['warning']} warning(s) allowed" if counts["warning"] else "")
                   + (f", {counts['not_run']} not run" if counts["not_run"] else ""))
    return Measurement(
        measured={"suite": suite.name, "tool": suite.tool, "tests": len(suite.tests), **counts,
                  "failed_tests": [t.name for t in bad], "tool_success": suite.tool_success},
        ok=ok, message=message, evidence=[ctx.ref(source)], details=details)


def _find(ctx: "EvaluationContext", name: str | None, path: str | None,
          tool: str | None) -> tuple["EvidenceFile", "SuiteResult"]:
    """The results file: the one named, else the only ``suite_results`` file holding a suite of that name."""
    if path is not None:
        source = ctx.file(path)
        suite = _read(ctx, source)
        if name is not None and suite.name != name:
            raise InputError(Diagnostic("suite-missing", f"{source.path} holds suite `{suite.name}`, not `{name}`",
                                        Span(source.path)))
        return source, _of_tool(suite, tool)
    assert name is not None
    candidates = ctx.bundle.files_with_role("suite_results")
    found: list[tuple[EvidenceFile, SuiteResult]] = []
    problems: list[Diagnostic] = []
    for source in candidates:
        try:
            suite = _read(ctx, source)
        except GovernError as exc:  # a broken file might be the one asked for: never pass over it silently
            problems.extend(exc.diagnostics)
            continue
        if suite.name == name and (tool is None or suite.tool == tool):
            found.append((source, suite))
    if len(found) == 1 and not problems:
        return found[0]
    if problems:
        raise InputError(problems)
    if not found:
        seen = sorted({_read(ctx, s).name for s in candidates})
        raise InputError(Diagnostic(
            "evidence-missing", f"no results of suite `{name}` in the evidence bundle"
            + (f" (it holds {', '.join(f'`{n}`' for n in seen)})" if seen else ""), Span("suite_results"),
            "put the results under great_expectations/, evidently/ or deepchecks/ (*.json), or list them in "
            "manifest.yaml with role `suite_results`"))
    raise InputError(Diagnostic("evidence-ambiguous", f"{len(found)} files hold suite `{name}`: "
                                + ", ".join(s.path for s, _ in found), Span(found[1][0].path),
                                "name the one that counts with params.file"))


def _read(ctx: "EvaluationContext", source: "EvidenceFile") -> "SuiteResult":
    from govern.evidence.readers.suites import load_suite_results

    return ctx.cached(f"suite:{source.path}", lambda: load_suite_results(source))


def _of_tool(suite: "SuiteResult", tool: str | None) -> "SuiteResult":
    if tool is not None and suite.tool != tool:
        raise InputError(Diagnostic("suite-missing", f"{suite.file} holds {suite.tool} results, not {tool}",
                                    Span(suite.file)))
    return suite
