"""`govern classify`: the tier of a use case, every rule that fired or was undetermined, and why."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import as_of_option, format_option, load, policy_option, shown, styled
from govern.cli.main import emit_json


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@format_option("text", "json")
@as_of_option
@click.option("--all", "show_all", is_flag=True,
              help="Also list the rules that did not match, each with the condition that was false.")
@click.option("--sensitivity", is_flag=True,
              help="Also say which answers the tier hangs on: for every fact the rules read, whether another "
                   "allowed value (or leaving it unanswered) would change the tier, and to what.")
def classify(use_case_path: Path, policy_path: Path, fmt: str, as_of, show_all: bool, sensitivity: bool) -> None:
    """Classify a use case into the pack's risk tiers, and say why for every rule.

    \b
    The tier is the most severe among rules that fire, else the pack's default tier.
    A rule reading a fact the descriptor leaves out is *undetermined*: it fires (fail
    closed) unless the pack or the rule says `undetermined skip`; the output says so.
    A rule whose `when` held but whose `unless` lifted it is shown as *matched, then
    exempted*, with the exception's own citation and the answers behind it; with --all,
    every rule that did not match is listed with the condition that was false.

    \b
    Answers are checked first: a value outside a fact's allowed values, a fact the pack
    marks `evidence_required` answered without an `evidence:` entry, or answers that
    contradict one of the pack's constraints are input errors (exit 2, file:line:col).

    \b
    JSON output carries: tier, rules (fired or undetermined) and not_fired, each with id,
    status, outcome (fired | no_match | exempted | undetermined | error), effect,
    citation, location, reads and why (the deciding conditions with their values);
    policy_digest, use_case_digest; with --sensitivity also `sensitivity`.

    \b
    Examples:
      govern classify examples/credit-risk/use_case.yaml -p policies/eu-ai-act --all
      govern classify use_case.yaml -p policies/eu-ai-act --sensitivity -f json
    """
    from govern.classification import OUTCOME_LABELS, why_lines
    from govern.classification import classify as run

    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    result = run(policy, use_case, as_of)
    analysis = None
    if sensitivity:
        from govern.sensitivity import analyse

        analysis = analyse(policy, use_case, result.as_of, result.tier)
    if fmt == "json":
        data = result.to_dict()
        if analysis is not None:
            data["sensitivity"] = analysis.to_dict()
        emit_json(data)
        return
    click.echo(f"{click.style(use_case.id, bold=True)} is tier {styled(result.tier.upper(), 'fired')}"
               f"{' (default tier: no rule fired)' if result.default_used else ''}")
    click.echo(f"policy {policy.name} {policy.version} ({policy.digest[:19]}…), as of {result.as_of}")
    shown_outcomes = [o for o in result.outcomes
                      if show_all or o.status != "not_fired" or o.outcome == "exempted"]
    if not shown_outcomes:
        click.echo("no rule fired, was exempted or was undetermined (--all lists the rules that did not match)")
    for outcome in shown_outcomes:
        label = OUTCOME_LABELS[outcome.outcome]
        if outcome.status in ("undetermined", "error"):
            label += f" → {'fires (fail closed)' if outcome.effect == 'fired' else 'skipped'}"
        colour = outcome.status if outcome.status != "not_fired" else "skipped"
        click.echo("")
        click.echo(f"  {styled(label, colour)}: {click.style(outcome.rule_id, bold=True)} → tier "
                   f"{outcome.tier}   [{outcome.location}]")
        click.echo(f"    because: {outcome.citation}")
        if outcome.message:
            click.echo(f"    error: {outcome.message}")
        # the why lines carry the values that decided; undetermined rules also list every fact they read
        for path, value in (outcome.reads.items() if outcome.status in ("undetermined", "error") else ()):
            click.echo(f"    {path} = {styled(shown(value), 'undetermined') if value == '<missing>' else shown(value)}")
        for line in why_lines(outcome.to_dict()):
            click.echo(line)
    if analysis is not None:
        click.echo("")
        for line in analysis.lines():
            click.echo(line)
