"""The GitHub Action and the pre-commit hooks. GitHub itself cannot run here, so the action's
`govern check` step is run as the runner would run it: bash -eo pipefail, inputs through env,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MINI = "tests/golden/mini"
CREDIT = "tests/golden/mini/use_cases/credit.yaml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def step(action: dict, step_id: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def test_action_shape(action):
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"use-case", "policy", "evidence", "target", "format", "sarif-file", "junit-file", "python-version",
            "install"} <= set(inputs)
    assert inputs["format"]["default"] == "github" and inputs["python-version"]["default"] == "3.11"
    assert all(inputs[name]["required"] for name in ("use-case", "policy", "evidence"))
    assert any(str(s.get("uses", "")).startswith("actions/setup-python@") for s in action["runs"]["steps"])
    for s in action["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"  # composite run steps must name their shell


def test_every_expression_names_a_declared_input_or_step_output(action):
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    step_ids = {s.get("id") for s in action["runs"]["steps"]}
    for expression in EXPRESSION.findall(text):
        if expression.startswith("inputs."):
            assert expression.removeprefix("inputs.") in action["inputs"], expression
        elif expression.startswith("steps."):
            assert expression.split(".")[1] in step_ids, expression
        else:
            pytest.fail(f"unexpected expression ${{{{ {expression} }}}}")
    for s in action["runs"]["steps"]:
        # inputs reach scripts through env only (no ${{ }} inside run: no script injection)
        assert "${{" not in s.get("run", "")
        used = set(re.findall(r"\$\{?(INPUT_[A-Z_]+)", s.get("run", "")))
        assert used <= set(s.get("env", {})), used - set(s.get("env", {}))


def run_check_step(action: dict, tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str, str]:
    """Runs the action's `govern check` step like the runner: expressions filled from inputs."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "govern").exists():
        pytest.skip("no govern console script beside this Python")
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    if "policy" in inputs and "unpinned-policy" not in inputs:  # the reviewed pack's digest, as docs/ci.md says
        from govern.load.pack import load_policy

        values["policy-digest"] = load_policy(ROOT / inputs["policy"]).digest
    values.update(inputs)
    the_step = step(action, "check")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_WORKSPACE": str(ROOT),
           "GITHUB_OUTPUT": str(tmp_path / "output.txt"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_ACTION_PATH": str(ROOT), "NO_COLOR": "1"}
    for key, value in the_step["env"].items():
        env[key] = EXPRESSION.sub(lambda m: values[m.group(1).removeprefix("inputs.")], str(value))
    script = tmp_path / "step.sh"
    script.write_text(the_step["run"], encoding="utf-8")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    outputs = {}
    if (tmp_path / "output.txt").exists():
        for line in (tmp_path / "output.txt").read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
    summary = (tmp_path / "summary.md").read_text() if (tmp_path / "summary.md").exists() else ""
    return result.returncode, outputs, result.stdout, summary


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_step_blocked(action, tmp_path):
    sarif, junit = tmp_path / "out" / "govern.sarif", tmp_path / "out" / "govern.xml"
    code, outputs, stdout, summary = run_check_step(
        action, tmp_path, **{"use-case": CREDIT, "policy": MINI, "evidence": "examples/credit-risk/evidence-blocked",
                             "target": "production", "sarif-file": str(sarif), "junit-file": str(junit),
                             "args": "--no-record"})
    assert code == 1
    assert outputs == {"exit-code": "1", "allowed": "false"}
    assert stdout.startswith("::notice ")
    # annotations name repository paths (the action sets GOVERN_POLICY_PATH from `policy`)
    assert "::error file=tests/golden/mini/templates/high.yaml,line=23,col=11," in stdout
    assert summary.startswith("## ❌ BLOCKED")
    log = json.loads(sarif.read_text())
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "tests/golden/mini/templates/high.yaml"
    assert "<testsuites" in junit.read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_step_allowed_and_input_error(action, tmp_path):
    (tmp_path / "a").mkdir()
    code, outputs, _, summary = run_check_step(
        action, tmp_path / "a", **{"use-case": CREDIT, "policy": MINI, "evidence": "examples/credit-risk/evidence",
                                   "target": "validation", "args": "--no-record"})
    assert code == 0 and outputs == {"exit-code": "0", "allowed": "true"}
    assert summary.startswith("## ✅ ALLOWED")
    (tmp_path / "b").mkdir()
    code, outputs, _, summary = run_check_step(
        action, tmp_path / "b", **{"use-case": CREDIT, "policy": MINI, "evidence": "no/such/bundle",
                                   "args": "--no-record"})
    assert code == 2 and outputs == {"exit-code": "2", "allowed": "false"}
    assert summary == ""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_pins_the_pack_by_default(action, tmp_path):
    common = {"use-case": CREDIT, "policy": MINI, "evidence": "examples/credit-risk/evidence",
              "target": "validation", "args": "--no-record"}
    (tmp_path / "a").mkdir()
    code, outputs, stdout, _ = run_check_step(action, tmp_path / "a", **common, **{"policy-digest": ""})
    assert code == 2 and outputs["allowed"] == "false" and "pin the policy pack" in stdout
    (tmp_path / "b").mkdir()
    code, _, _, _ = run_check_step(action, tmp_path / "b", **common, **{"policy-digest": "sha256:" + "0" * 64})
    assert code == 2
    (tmp_path / "c").mkdir()
    code, _, _, _ = run_check_step(action, tmp_path / "c", **common, **{"unpinned-policy": "true"})
    assert code == 0


# --- pre-commit ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hooks() -> dict[str, dict]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in data}


def test_hooks(hooks):
    from govern.cli.main import COMMANDS

    assert set(hooks) == {"govern-validate", "govern-test"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["pass_filenames"] is False  # the verbs take pack folders, not file names
        program, verb = hook["entry"].split()
        assert program == "govern" and verb in COMMANDS


@pytest.mark.parametrize("path, validate, test", [
    ("policies/eu-ai-act/policy.yaml", True, True),
    ("policies/eu-ai-act/facts.yaml", True, True),
    ("tests/golden/mini/rules/tiers.rules", True, True),
    ("policies/x/templates/high.yaml", True, True),
    ("policies/x/templates/sub/light.yml", True, True),
    ("policies/x/tests/cases.yaml", True, True),  # validate checks the pack's test files too
    ("policy.yaml", True, True),
    ("README.md", False, False),
    ("src/govern/mypolicy.yaml", False, False),
    ("examples/credit-risk/use_case.bank-mrm.yaml", False, False),
])
def test_hook_file_patterns(hooks, path, validate, test):
    assert bool(re.search(hooks["govern-validate"]["files"], path)) is validate
    assert bool(re.search(hooks["govern-test"]["files"], path)) is test


def test_hook_entries_run_on_a_pack(hooks):
    for hook in hooks.values():
        args = hook["entry"].split()[1:] + [MINI]
        result = subprocess.run([sys.executable, "-m", "govern", *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_digest_docs_ci_pins_is_the_shipped_packs():
    """docs/ci.md shows a pinned eu-ai-act digest: it must be the real one, or users copy a pin that fails."""
    import re

    from govern.load.pack import load_policy

    digest = load_policy(ROOT / "policies" / "eu-ai-act").digest
    quoted = set(re.findall(r"sha256:[0-9a-f]{64}", (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")))
    assert quoted == {digest}
