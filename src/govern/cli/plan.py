"""`govern plan`: the gate graph a classified use case must pass, as text, JSON or Graphviz DOT."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli.common import as_of_option, format_option, load, policy_option
from govern.cli.main import emit_json


@click.command()
@click.argument("use_case_path", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@format_option("text", "json", "dot")
@as_of_option
def plan(use_case_path: Path, policy_path: Path, fmt: str, as_of) -> None:
    """Compile the tier's governance template into the use case's gate graph.

    \b
    Each gate guards entry into a stage and lists its checks (kind, condition,
    enforcement), required sign-offs (role, count, constraints), documents and the
    stage's RACI. Requirements whose `when` is false for this use case are dropped.
    `--format dot` pipes into Graphviz: govern plan ... -f dot | dot -Tsvg > plan.svg
    """
    from govern.classification import classify
    from govern.plan.graph import compile_plan
    from govern.plan.render import to_dot, to_text

    policy, use_case = load(policy_path, use_case_path)
    assert use_case is not None
    result = classify(policy, use_case, as_of)
    compiled = compile_plan(policy, use_case, result)
    if fmt == "json":
        emit_json(compiled.to_dict())
    elif fmt == "dot":
        click.echo(to_dot(compiled))
    else:
        click.echo(to_text(compiled))
