"""The README's CLI table says what the commands accept: every option exists, required ones are shown,
and an option taking one value is not written as if it took several."""

from __future__ import annotations

import re

import click
import pytest

from govern.cli.main import cli
from tests.cli.test_cli import ROOT


def _synopses() -> list[str]:
    table = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `govern ")]
    out = []
    for row in table:
        first_cell = row.split(" | ")[0]
        out += [s.replace("\\|", "|") for s in re.findall(r"`(govern [^`]+)`", first_cell)]
    return out


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = words[1:]
    while isinstance(command, click.Group) and rest:
        found = command.get_command(click.Context(command), rest[0])
        assert found is not None, f"no command `{rest[0]}`"
        command, rest = found, rest[1:]
    return command, rest


SYNOPSES = _synopses()


def test_the_table_lists_every_command():
    from govern.cli.main import COMMANDS

    assert {s.split()[1] for s in SYNOPSES} == set(COMMANDS)


@pytest.mark.parametrize("synopsis", SYNOPSES)
def test_synopsis_matches_the_command(synopsis):
    command, tokens = _command(synopsis.split())
    options = {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts + p.secondary_opts}
    shown = set()
    for i, token in enumerate(tokens):
        name = token.strip("[]").split("=")[0]
        if not name.startswith("-"):
            continue
        assert name in options, f"`{synopsis}`: {command.name} has no option {name}"
        shown.add(options[name].name)
        # `[--opt VALUE]...` repeats the option; `[--opt VALUE...]` would claim several values at once
        following = tokens[i + 1].split("]")[0] if i + 1 < len(tokens) else ""
        if following.endswith("...") and options[name].nargs == 1:
            raise AssertionError(f"`{synopsis}`: {name} takes one value ({following} suggests several); "
                                 f"write `[{name} VALUE]...` if it repeats")
    required = {p.name for p in command.params if isinstance(p, click.Option) and p.required}
    assert required <= shown, f"`{synopsis}` omits required {sorted(required - shown)}"


def test_init_synopsis_names_what_a_run_without_terminal_needs():
    (init,) = [s for s in SYNOPSES if s.startswith("govern init ")]
    assert all(option in init for option in ("--id", "--name", "--owner"))
