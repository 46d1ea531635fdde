"""Markdown output for PR comments and job summaries: verdict words, tables that hold together."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from govern.output import render
from govern.output.markdown import cell

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def tables(text: str) -> list[list[str]]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def assert_tables_hold(text: str) -> None:
    found = tables(text)
    assert found
    for table in found:
        widths = {len(UNESCAPED_PIPE.findall(row)) for row in table}
        assert len(widths) == 1, table
        assert re.fullmatch(r"\|(---\|)+", table[1]), table[1]


def test_cell_escaping():
    assert cell("a | b\nc\r\nd <script>") == "a \\| b<br>c<br>d &lt;script&gt;"


def test_blocked(blocked):
    text = render(blocked, "markdown")
    first = text.splitlines()[0]
    assert first.startswith("## ") and "BLOCKED" in first and "❌" in first and "production" in first
    what = text.split("### What blocks", 1)[1].split("###", 1)[0]
    assert [line for line in what.splitlines() if line] == [
        "- `production.validation_suites` **❌ failed**: 3 failures and 0 errors in missing_values",
        "- `production.fria` **❌ failed**: missing: fundamental rights impact assessment",
        "- `production.signoff:validator` **⏳ sign-off pending**: awaiting 2 more validator sign-offs (0/2)",
        "- `production.signoff:risk_officer` **⏳ sign-off pending**: awaiting 1 more risk_officer sign-off (0/1)",
    ]
    assert "| `production` **(target)** | Production | ❌ failed |" in text
    assert "| `validation_suites` | tests | ❌ failed | 3 failures and 0 errors in missing_values |" in text
    bundle = Path(__file__).resolve().parents[2] / "examples" / "credit-risk" / "evidence-blocked"
    junit = hashlib.sha256((bundle / "junit" / "validation.xml").read_bytes()).hexdigest()[:12]
    assert f"junit/validation.xml (`{junit}`)" in text
    assert "| `validator` | 2 | ⏳ pending |" in text
    assert "<details><summary>Digests" in text and blocked.digest in text
    assert blocked.policy["digest"] in text and blocked.evidence_digest in text
    assert_tables_hold(text)


def test_allowed(allowed):
    text = render(allowed, "markdown")
    first = text.splitlines()[0]
    assert "ALLOWED" in first and "✅" in first and "BLOCKED" not in text
    assert "Nothing blocks `validation`." in text
    assert "(not required for `validation`)" in text
    assert_tables_hold(text)


def test_hostile_text_stays_in_its_cell(mixed):
    text = render(mixed, "markdown")
    assert_tables_hold(text)
    assert "<b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text
    assert "bad \\| cell<br>next line" in text
    assert "| `no_drop` | metric (warn) | ⚠️ warned |" in text
    assert "| `auc` | metric | 🟦 waived |" in text
    assert "| `monitoring` | Monitoring | ⛔ blocked |" in text


@pytest.mark.parametrize("name", ["blocked", "allowed", "mixed"])
def test_deterministic(request, name):
    decision = request.getfixturevalue(name)
    assert render(decision, "markdown") == render(decision, "markdown")
