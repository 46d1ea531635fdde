"""Control characters in names and messages cannot add lines, commands or escapes to the output.

A use-case name, a model name, a gate title, a signer or an evidence message may carry CR/LF
(a new CI log line, which GitHub reads as a workflow command when it starts with ``::``),
ANSI/OSC escapes (a terminal repainted or retitled), C1 controls (``\\x9b`` is a one-byte CSI,
``\\x85`` a line break to some readers), Unicode line separators and bidi overrides. The text,
GitHub and Markdown outputs keep each on its line with the character shown escaped.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from govern.output import render
from govern.output.common import printable
from tests.output.test_output_github import parse as parse_github
from tests.output.test_output_markdown import assert_tables_hold

HOSTILE = "evil\n::error file=x.yaml,line=1::pwned\r\n\x1b[2J\x1b]0;retitled\x07\x9b31m\x85x\u2028y\u202eflip | z"
#: every character the outputs may never carry raw (the line feed between output lines aside)
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def hostile(decision, text: str):
    """The decision with ``text`` in every name and message a person or the evidence controls."""
    gates = []
    for gate in decision.gates:
        checks = tuple(replace(c, message=f"{c.message} {text}", details=(*c.details, text)) for c in gate.checks)
        signoffs = tuple(replace(s, message=f"{s.message} {text}",
                                 approvals=tuple({**a, "signer": text} for a in s.approvals),
                                 rejected=({"signer": text, "problem": text},)) for s in gate.signoffs)
        gates.append(replace(gate, title=f"{gate.title} {text}", message=f"{gate.message} {text}",
                             checks=checks, signoffs=signoffs))
    return replace(decision, use_case_id=f"uc {text}", use_case_name=f"name {text}",
                   verdict=f"{decision.verdict} {text}", model={**decision.model, "name": text, "version": text},
                   gates=tuple(gates))


@pytest.fixture(params=["blocked", "mixed", "blocked_failing", "waived"])
def pair(request):
    decision = request.getfixturevalue(request.param)
    return hostile(decision, "benign words here"), hostile(decision, HOSTILE)


def test_printable():
    assert printable("a\r\nb\x1b[31m\x07\x85\x9b\u2028\u202e\tc") == \
        "a\\r\\nb\\x1b[31m\\x07\\x85\\x9b\\u2028\\u202e\\tc"
    assert printable(printable(HOSTILE)) == printable(HOSTILE)  # idempotent
    assert printable("Zürich – 東京 | ok") == "Zürich – 東京 | ok"


@pytest.mark.parametrize("color", [False, True])
def test_text(pair, color):
    benign, evil = (render(d, "text", color=color) for d in pair)
    assert evil.count("\n") == benign.count("\n")  # not one line added
    plain = re.sub(r"\x1b\[[0-9;]*m", "", evil) if color else evil  # the colours govern itself adds
    assert not RAW.search(plain)
    assert not any(line.lstrip().startswith("::") for line in evil.splitlines())
    assert "\\n::error file=x.yaml,line=1::pwned\\r\\n\\x1b[2J\\x1b]0;retitled\\x07\\x9b31m\\x85x\\u2028y" in plain


def test_github(pair):
    benign, evil = (render(d, "github") for d in pair)
    assert not RAW.search(evil)
    parsed, reference = parse_github(evil), parse_github(benign)  # every line is still one command
    assert [c for c, _, _ in parsed] == [c for c, _, _ in reference]
    for (_, props, data), (_, ref_props, ref_data) in zip(parsed, reference):
        assert props.keys() == ref_props.keys()  # no property smuggled in through a name
        assert data.count("\n") == ref_data.count("\n")  # nor a line into an annotation
        assert not RAW.search(data) and all(not RAW.search(v) for v in props.values())
    title = parsed[0][1]["title"]
    assert title.startswith("govern: BLOCKED (uc evil\\n::error file=x.yaml,line=1::pwned") or "ALLOWED" in title
    # properties are escaped as the runner expects
    assert "title=govern%3A " in evil.splitlines()[0] and "file=x.yaml%2Cline=1" in evil.splitlines()[0]


def test_markdown(pair):
    benign, evil = (render(d, "markdown") for d in pair)
    assert evil.count("\n") == benign.count("\n")
    assert not RAW.search(evil)
    assert_tables_hold(evil)
    assert not any(line.startswith("::") for line in evil.splitlines())
    assert "\\| z" in evil and " | z" not in evil.replace("\\| z", "")
    # a name stays on one line, its line break shown rather than followed
    assert "**name evil\\n::error file=x.yaml,line=1::pwned\\r\\n\\x1b[2J" in evil


def test_junit(pair):
    """JUnit is written to files more than to logs, but its text is escaped the same way."""
    benign, evil = (render(d, "junit") for d in pair)
    assert evil.count("\n") == benign.count("\n")
    assert not RAW.search(evil)
    assert not any(line.lstrip().startswith("::") for line in evil.splitlines())


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_formats_escape_what_json_leaves_raw(pair, fmt):
    """JSON escapes C0 itself; C1, DEL, line separators and bidi overrides are escaped too, and
    what a parser reads is unchanged."""
    import json

    benign, evil = (render(d, fmt) for d in pair)
    assert evil.count("\n") == benign.count("\n") and not RAW.search(evil)
    data = json.loads(evil)
    verdict = data["verdict"] if fmt == "json" else data["runs"][0]["properties"]["verdict"]
    assert verdict == pair[1].verdict and verdict.endswith(HOSTILE)
