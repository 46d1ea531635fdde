"""GitHub workflow-command output: parsed back with the runner's own escaping rules."""

from __future__ import annotations

import re

import pytest

from govern.output import render
from govern.output.github import command, escape_data, escape_property

LINE = re.compile(r"^::(?P<cmd>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<data>.*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(output: str) -> list[tuple[str, dict[str, str], str]]:
    """What the runner sees: one command per line, properties split on `,` then `=`."""
    assert output.endswith("\n")
    parsed = []
    for line in output.splitlines():
        match = LINE.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = {}
        if match["props"]:
            for pair in match["props"].split(","):
                key, _, value = pair.partition("=")
                props[key] = unescape_property(value)
        parsed.append((match["cmd"], props, unescape_data(match["data"])))
    return parsed


def test_escaping_rules():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("warning", "m", file="a.yaml", line=3, col=None, title="t: x") == \
        "::warning file=a.yaml,line=3,title=t%3A x::m"
    assert command("notice", "only data") == "::notice::only data"


def test_blocked(blocked):
    lines = parse(render(blocked, "github"))
    cmd, props, data = lines[0]
    assert cmd == "notice" and data == blocked.verdict and "BLOCKED" in props["title"]
    # failures first as errors, then the sign-offs still awaited as warnings titled pending
    annotations = lines[1:]
    assert [c for c, _, _ in annotations] == ["error", "error", "warning", "warning"]
    assert [p["title"].split()[1] for _, p, _ in annotations] == list(blocked.determining)
    _, props, data = annotations[0]
    assert props["file"] == "templates/high.yaml" and props["line"] == "23" and props["col"] == "11"
    assert data.startswith("3 failures and 0 errors in missing_values\n")
    assert "junit/validation.xml" in data
    cmd, props, data = annotations[2]
    assert props["line"] == "31" and "awaiting 2 more validator" in data
    assert props["title"].endswith("(sign-off pending)")


def test_allowed_has_no_errors_or_warnings(allowed):
    lines = parse(render(allowed, "github"))
    assert {c for c, _, _ in lines} == {"notice"}
    assert lines[0][2] == allowed.verdict and "ALLOWED" in lines[0][1]["title"]
    assert all("not required for target `validation`" in data for _, _, data in lines[1:])


def test_every_status_and_hostile_text(mixed, nasty):
    output = render(mixed, "github")
    lines = parse(output)
    by_title = {p["title"].split()[1]: (c, p, d) for c, p, d in lines[1:]}
    assert by_title["validation.no_drop"][0] == "warning"
    assert by_title["validation.model_card"][0] == "warning"
    assert "validation.auc" not in by_title  # waived: nothing to annotate
    cmd, props, data = by_title["production.validation_suites"]
    # hostile text stays on its line, its control characters shown, never followed
    shown = "bad | cell\\nnext line % 50, a:b <b>bold</b> \\x07bell\\r\\n::error::injected"
    assert cmd == "error" and data.startswith("evidence error: " + shown + "\n")
    assert not any(c in data.split("\n")[0] for c in "\r\x07")
    assert by_title["production.signoff:risk_officer"][0] == "error"
    drift = by_title["monitoring.drift"]
    assert drift[0] == "notice" and "not required for target `production`" in drift[2]
    assert "waits for production" in drift[2]
    # errors and warnings before the notices of gates that decide nothing (GitHub caps each level)
    kinds = [c for c, _, _ in lines[1:]]
    assert kinds.index("notice") > max(i for i, k in enumerate(kinds) if k != "notice")
    assert output.count("\n") == len(lines)


def test_file_is_a_repository_path_in_ci(blocked, monkeypatch):
    monkeypatch.setenv("GOVERN_POLICY_PATH", "policies/mini")
    _, props, _ = parse(render(blocked, "github"))[1]
    assert props["file"] == "policies/mini/templates/high.yaml"


@pytest.mark.parametrize("name", ["blocked", "allowed", "mixed"])
def test_deterministic(request, name):
    decision = request.getfixturevalue(name)
    assert render(decision, "github") == render(decision, "github")
