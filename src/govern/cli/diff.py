"""`govern diff`: what a policy change does, before it is merged."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import as_of_option, format_option
from govern.cli.main import EXIT_POLICY


@click.command()
@click.argument("old_path", metavar="OLD_POLICY", type=click.Path(path_type=Path))
@click.argument("new_path", metavar="NEW_POLICY", type=click.Path(path_type=Path))
@click.option("--inventory", "-i", "inventory", multiple=True, metavar="DIR_OR_GLOB",
              help="Use-case descriptors to re-classify under both packs: a folder (its *.yaml), a glob "
                   "(quote it, e.g. 'use_cases/**/*.yaml') or a file. Repeatable.")
@format_option("text", "json")
@as_of_option
@click.option("--exit-code", "exit_code", is_flag=True,
              help="Exit 1 when there are differences (like `git diff --exit-code`), 0 when there are none.")
def diff(old_path: Path, new_path: Path, inventory: tuple[str, ...], fmt: str, as_of, exit_code: bool) -> None:
    """Compare two versions of a policy pack: rules, facts, parameters, people, requirements.

    \b
    Compared by id, never by position (reordering is not a change):
      - tiers, rules (tier, condition, exception, citation, undetermined), `let`
        definitions -- conditions compared in canonical printed form;
      - facts (type, allowed values, bounds, question), parameters, roles and who may
        grant waivers, people (roles and key fingerprints: a new key is a new signer);
      - per tier and gate: checks, sign-offs and documents added, removed or changed.

    \b
    With --inventory, every use case is classified and planned under both packs on
    the same date (--as-of, default today): which ones change tier, and which
    requirements (GATE.CHECK, GATE.signoff:ROLE, GATE.document:ID) they gain or lose.
    A descriptor the new pack rejects (e.g. a removed fact) is reported too.

    \b
    Exit codes: 0 (differences are printed), or with --exit-code 1 when there are
    differences; 2 when a pack or descriptor cannot be read.

    \b
    Examples:
      git worktree add /tmp/main main
      govern diff /tmp/main/policies/eu-ai-act policies/eu-ai-act --inventory use_cases/ --as-of 2026-06-01
      govern diff old/ new/ -f json --exit-code > policy-change.json
    """
    from govern.cli.main import emit_json
    from govern.load.pack import load_policy
    from govern.diff import diff_policies, expand_inventory, render_text

    old, new = load_policy(old_path), load_policy(new_path)
    paths = expand_inventory(inventory) if inventory else None
    result = diff_policies(old, new, paths, as_of)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        click.echo(render_text(result), nl=False)
    if exit_code and result.differs:
        raise SystemExit(EXIT_POLICY)
