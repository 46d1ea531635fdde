"""Options and loading steps shared by several verbs."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from govern.load.use_case import UseCase
    from govern.policy.pack import Policy

policy_option = click.option(
    "--policy", "-p", "policy_path", required=True, type=click.Path(path_type=Path),
    help="Policy pack folder (the one holding policy.yaml).")


def format_option(*choices: str, default: str = "text"):
    return click.option("--format", "-f", "fmt", type=click.Choice(list(choices)), default=default,
                        show_default=True, help="Output format.")


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


as_of_option = click.option(
    "--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
    help="Evaluation date for date rules such as days_since() (default: today). Fix it for reproducible runs.")


def load(policy_path: Path, use_case_path: Path | None = None) -> "tuple[Policy, UseCase | None]":
    from govern.load.answers import check_answers
    from govern.load.pack import load_policy
    from govern.load.use_case import load_use_case

    policy = load_policy(policy_path)
    use_case = load_use_case(use_case_path, policy.facts) if use_case_path is not None else None
    if use_case is not None:
        check_answers(policy, use_case)  # answers contradicting the pack's constraints: exit 2, at the answers
    return policy, use_case


def shown(value: Any) -> str:
    """A value the way the rule language writes it."""
    from govern.dsl.printer import value_text

    return value_text(value)


def styled(text: str, status: str) -> str:
    colour = {"fired": "red", "passed": "green", "failed": "red", "error": "red", "undetermined": "yellow",
              "warned": "yellow", "pending": "yellow", "blocked": "magenta", "waived": "cyan",
              "skipped": "bright_black"}.get(status)
    return click.style(text, fg=colour, bold=status in ("failed", "error")) if colour else text
