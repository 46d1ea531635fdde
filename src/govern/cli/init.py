"""`govern init`: ask the pack's questionnaire and write a valid use-case descriptor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from govern.cli.common import policy_option


@click.command()
@click.argument("output", metavar="USE_CASE.yaml", type=click.Path(path_type=Path))
@policy_option
@click.option("--answer", "-a", "answers", multiple=True, metavar="FACT=VALUE",
              help="Answer a question without asking (repeatable); sets are comma-separated.")
@click.option("--id", "use_case_id", help="Use-case id (lowercase, dashes).")
@click.option("--name", help="Use-case name.")
@click.option("--owner", help="Owning team or person.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(output: Path, policy_path: Path, answers: tuple[str, ...], use_case_id: str | None, name: str | None,
         owner: str | None, force: bool) -> None:
    """Write a use-case descriptor by answering the pack's questions.

    \b
    On a terminal, asks every question the pack declares (with its allowed values);
    press Enter to leave a fact unknown -- rules reading it become undetermined.
    Without a terminal nothing is asked: pass answers with --answer FACT=VALUE; if a
    required answer is missing, nothing is written and the missing ones are listed.

    \b
    Example:
      govern init my_use_case.yaml --policy policies/eu-ai-act
      govern init uc.yaml -p policies/eu-ai-act --id churn --name "Churn model" --owner crm \\
          -a domain=marketing -a affects_natural_persons=true
    """
    from govern.errors import DiagnosticSink, UseCaseError
    from govern.load.pack import load_policy
    from govern.load.use_case import check_facts

    policy = load_policy(policy_path)
    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    given: dict[str, Any] = {}
    for item in answers:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: write FACT=VALUE", param_hint="--answer")
        if key not in policy.facts:
            from govern.errors import did_you_mean

            hint = did_you_mean(key, policy.facts)
            raise click.BadParameter(f"`{key}` is not a fact of {policy.name}" + (f"; {hint}" if hint else ""),
                                     param_hint="--answer")
        given[key] = parse_answer(policy.facts[key], raw)

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    header = {"id": use_case_id, "name": name, "owner": owner}
    if interactive:
        header["id"] = header["id"] or click.prompt("Use-case id (lowercase, dashes)")
        header["name"] = header["name"] or click.prompt("Use-case name")
        header["owner"] = header["owner"] or click.prompt("Owner (team or person)")
        group = None
        for fact_name, fact in policy.facts.items():
            if fact_name in given:
                continue
            if fact.group and fact.group != group:
                group = fact.group
                click.echo("\n" + click.style(f"== {group.replace('_', ' ').capitalize()} ==", bold=True))
            given[fact_name] = ask(fact_name, fact)
    missing_header = [k for k, v in header.items() if not v]
    missing_required = [f for f, d in policy.facts.items() if d.required and given.get(f) is None]
    if missing_header or missing_required:
        lines = [f"not written: {output}" + ("" if interactive else " (no terminal, nothing was asked)")]
        lines += [f"  missing --{k}" for k in missing_header]
        lines += [f"  missing answer: {f} — {policy.facts[f].question}" for f in missing_required]
        unanswered = [f for f in policy.facts if given.get(f) is None and f not in missing_required]
        if unanswered:
            lines.append(f"  unanswered (optional, will be unknown): {', '.join(unanswered)}")
        click.echo("\n".join(lines), err=True)
        raise SystemExit(2)
    sink = DiagnosticSink()
    values = check_facts(given, policy.facts, sink)
    sink.raise_if_any(UseCaseError)
    text = render_descriptor(policy, header, values)
    output.write_text(text, encoding="utf-8")
    known = sum(v is not None for v in values.values())
    click.echo(f"wrote {output}: {known}/{len(policy.facts)} facts answered "
               f"(check with: govern classify {output} --policy {policy_path})")


def parse_answer(fact, raw: str) -> Any:
    raw = raw.strip()
    if raw == "":
        return None
    if fact.type == "set":
        if raw in ("-", "[]"):
            return []  # "none of these", distinct from an unknown answer
        return [part.strip() for part in raw.split(",") if part.strip()]
    if fact.type == "bool":
        lowered = raw.lower()
        if lowered in ("y", "yes", "true", "1"):
            return True
        if lowered in ("n", "no", "false", "0"):
            return False
        return raw
    if fact.type in ("number", "integer"):
        try:
            return int(raw) if fact.type == "integer" or raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            return raw
    return raw


def ask(name: str, fact) -> Any:
    from govern.load.use_case import coerce_fact

    click.echo("")
    click.echo(click.style(fact.question, bold=True) + f"  [{name}]")
    if fact.description:
        click.echo(f"  {fact.description}")
    if fact.values:
        for value in fact.values:
            helptext = fact.value_help.get(value)
            click.echo(f"    - {value}" + (f": {helptext}" if helptext else ""))
    suffix = {"set": " (comma-separated, - for none)", "bool": " (y/n)", "date": " (YYYY-MM-DD)"}.get(fact.type, "")
    while True:
        raw = click.prompt(f"  answer{suffix}, Enter for unknown", default="", show_default=False)
        value = parse_answer(fact, raw)
        ok, normalised, problem, hint = coerce_fact(fact, value)
        if ok:
            return normalised
        click.echo(click.style(f"  {problem}" + (f" — {hint}" if hint else ""), fg="red"))


def render_descriptor(policy, header: dict[str, Any], values: dict[str, Any]) -> str:
    """YAML with each question as a comment, so the file explains itself in review."""
    import yaml

    def scalar(value: Any) -> str:
        if value is None:
            return "null"
        dumped = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        return dumped.removesuffix("\n...").removesuffix("...").strip()

    lines = [f"# Use-case descriptor for policy {policy.name} {policy.version} (written by govern init).",
             f"# Check it with: govern validate <this file> --policy {policy.root.name}",
             f"id: {scalar(header['id'])}", f"name: {scalar(header['name'])}", f"owner: {scalar(header['owner'])}",
             f"policy: {policy.name}", "facts:"]
    for name, fact in policy.facts.items():
        lines.append(f"  # {fact.question}")
        if fact.values:
            lines.append(f"  # allowed: {', '.join(fact.values)}")
        lines.append(f"  {name}: {scalar(values.get(name))}")
    return "\n".join(lines) + "\n"
