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
@click.option("--all", "show_all", is_flag=True, help="Also list rules that did not fire.")
def classify(use_case_path: Path, policy_path: Path, fmt: str, as_of, show_all: bool) -> None:
    """Classify a use case into the pack's risk tiers.

    \b
    The tier is the most severe among rules that fire, else the pack's default tier.
    A rule reading a fact the descriptor leaves out is *undetermined*: it fires (fail
    closed) unless the pack or the rule says `undetermined skip`; the output says so.

    \b
    JSON output carries: tier, rules (id, status, effect, citation, location, reads),
    policy_digest, use_case_digest.
    """
    from govern.classification import classify as run

    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    result = run(policy, use_case, as_of)
    if fmt == "json":
        emit_json(result.to_dict())
        return
    click.echo(f"{click.style(use_case.id, bold=True)} is tier {styled(result.tier.upper(), 'fired')}"
               f"{' (default tier: no rule fired)' if result.default_used else ''}")
    click.echo(f"policy {policy.name} {policy.version} ({policy.digest[:19]}…), as of {result.as_of}")
    outcomes = result.outcomes if show_all else result.relevant
    if not outcomes:
        click.echo("no rule fired or was undetermined")
    for outcome in outcomes:
        label = outcome.status
        if outcome.status in ("undetermined", "error"):
            label += f" → {'fires (fail closed)' if outcome.effect == 'fired' else 'skipped'}"
        click.echo("")
        click.echo(f"  {styled(label, outcome.status)}: {click.style(outcome.rule_id, bold=True)} → tier "
                   f"{outcome.tier}   [{outcome.location}]")
        click.echo(f"    because: {outcome.citation}")
        if outcome.message:
            click.echo(f"    error: {outcome.message}")
        for path, value in outcome.reads.items():
            click.echo(f"    {path} = {styled(shown(value), 'undetermined') if value == '<missing>' else shown(value)}")
