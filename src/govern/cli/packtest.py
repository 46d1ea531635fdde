"""`govern test`: run a pack's test cases, show a diff per failure, report rule coverage."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import format_option, styled
from govern.cli.main import EXIT_POLICY, emit_json


@click.command()
@click.argument("policy_dirs", metavar="POLICY_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=0, show_default=True, metavar="PCT",
              help="Fail when fewer than PCT % of the pack's rules fire in some test case.")
@format_option("text", "json")
def test(policy_dirs: tuple[Path, ...], min_coverage: float, fmt: str) -> None:
    """Run the test cases of one or more policy packs.

    \b
    Each case gives facts (or a descriptor file) and the expected tier, optionally the
    exact rules that fire or are undetermined, and the plan's gates and checks.
    Exit 0 when every case passes and coverage ≥ --min-coverage, 1 otherwise,
    2 when a pack or test file is invalid.

    \b
    Example: govern test policies/* --min-coverage 100
    """
    from govern.load.pack import load_policy
    from govern.packtest import run_pack_tests

    runs = [run_pack_tests(load_policy(d)) for d in policy_dirs]
    ok = all(r.failed == 0 and r.coverage >= min_coverage for r in runs)
    if fmt == "json":
        emit_json({"ok": ok, "min_coverage": min_coverage, "packs": [r.to_dict() for r in runs]})
    else:
        for run in runs:
            click.echo(click.style(f"{run.policy.name} {run.policy.version}", bold=True) + f"  ({run.policy.root})")
            for case in run.cases:
                if case.passed:
                    click.echo(f"  {styled('PASS', 'passed')} {case.name}  → {case.tier}")
                else:
                    click.echo(f"  {styled('FAIL', 'failed')} {case.name}  [{case.location}]")
                    for diff in case.differences:
                        for line in diff.splitlines():
                            click.echo(f"       {line}")
            own = run.own_rules
            coverage = (f"rule coverage {run.coverage:.1f}% ({len(own) - len(run.uncovered)}/{len(own)}"
                        + (" own rules)" if run.policy.imported_rules else ")"))
            below = run.coverage < min_coverage
            click.echo(f"  {styled(coverage, 'failed' if below else 'passed')}"
                       + (f" — below --min-coverage {min_coverage:g}%" if below else ""))
            if run.uncovered:
                click.echo("  rules never fired: " + ", ".join(run.uncovered))
            for imp in run.imported_coverage():
                click.echo(f"  imported rule coverage {imp['coverage']:.1f}% ({imp['fired']}/{imp['rules']}) from "
                           f"{imp['source']}" + (f"; never fired: {', '.join(imp['uncovered_rules'])}"
                                                 if imp["uncovered_rules"] else ""))
            click.echo(f"  {run.passed} passed, {run.failed} failed")
    if not ok:
        raise SystemExit(EXIT_POLICY)
