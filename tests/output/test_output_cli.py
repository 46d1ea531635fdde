"""`govern check --format/--output` as CI runs it: several files at once, exit codes kept,
same bytes from two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from govern.output import FORMATS

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = MINI / "use_cases" / "credit.yaml"
EXAMPLE = ROOT / "examples" / "credit-risk"


def govern(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERN_", "GITHUB_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "govern", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)


def check(evidence: str, target: str, *extra: str) -> subprocess.CompletedProcess:
    return govern("check", str(CREDIT), "-p", str(MINI), "-e", str(EXAMPLE / evidence), "--as-of", "2026-06-01", "--no-record",
                  "--target", target, *extra)


def test_every_format_is_offered():
    assert {"junit", "sarif", "markdown", "github"} <= set(FORMATS)


@pytest.mark.parametrize("evidence, target, code", [("evidence-blocked", "production", 1),
                                                    ("evidence", "validation", 0)])
def test_outputs_written_and_exit_code_kept(tmp_path, evidence, target, code):
    junit, sarif, md = tmp_path / "r" / "govern.xml", tmp_path / "govern.sarif", tmp_path / "summary.md"
    result = check(evidence, target, "-f", "github", "--output", f"junit={junit}", "-o", f"sarif={sarif}",
                   "-o", f"markdown={md}")
    assert result.returncode == code, result.stderr
    assert result.stdout.startswith("::notice ")
    xml = JUnitXml.fromfile(str(junit))
    assert xml.failures == (4 if code else 0)
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["exitCode"] == code
    assert ("BLOCKED" if code else "ALLOWED") in md.read_text(encoding="utf-8").splitlines()[0]
    assert not list(tmp_path.rglob("*.tmp"))


def test_same_bytes_from_two_processes(tmp_path):
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        result = check("evidence-blocked", "production", "-f", "sarif", "-o", f"junit={folder / 'j.xml'}",
                       "-o", f"markdown={folder / 's.md'}", "-o", f"github={folder / 'g.txt'}")
        assert result.returncode == 1
        outputs.append([result.stdout] + [(folder / n).read_bytes() for n in ("j.xml", "s.md", "g.txt")])
    assert outputs[0] == outputs[1]


def test_input_error_is_exit_2_and_writes_nothing(tmp_path):
    report = tmp_path / "govern.xml"
    result = govern("check", str(CREDIT), "-p", str(MINI), "-e", str(tmp_path / "no-such-bundle"),
                    "-o", f"junit={report}", "-f", "sarif", "--no-store")  # nothing written into the checkout
    assert result.returncode == 2
    assert not report.exists()
    assert "Traceback" not in result.stderr


def test_bad_output_spec_is_a_usage_error():
    result = check("evidence", "validation", "-o", "pdf=x.pdf")
    assert result.returncode == 2 and "FORMAT=PATH" in result.stderr


def test_renderers_stay_light():
    code = ("import sys, govern.output.junit, govern.output.sarif, govern.output.markdown, govern.output.github\n"
            "heavy = {'pandas', 'numpy', 'scipy', 'sklearn', 'pydantic', 'networkx', 'lark', 'yaml'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
