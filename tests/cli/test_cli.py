"""The CLI as users run it: exit codes, formats, and error messages with file:line:col."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = MINI / "use_cases" / "credit.yaml"


def govern(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, input=stdin, timeout=60)


def test_help_lists_every_verb_and_exit_codes():
    result = govern("--help")
    assert result.returncode == 0
    for verb in ("validate", "classify", "plan", "test", "schema", "init"):
        assert verb in result.stdout
    assert "Exit codes" in result.stdout


def test_unknown_option_is_a_usage_error():
    result = govern("classify", str(CREDIT), "--policy", str(MINI), "--bogus")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_validate_pack_and_descriptor():
    assert govern("validate", str(MINI)).returncode == 0
    result = govern("validate", str(CREDIT), "--policy", str(MINI), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["use_case"] == "consumer-credit"


def test_classify_json_carries_the_contract():
    result = govern("classify", str(CREDIT), "--policy", str(MINI), "--format", "json", "--as-of", "2026-01-01")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["tier"] == "high"
    assert {"tier", "rules", "policy_digest", "use_case_digest"} <= set(data)
    rule = next(r for r in data["rules"] if r["id"] == "credit-scoring")
    assert rule["location"] == "rules/tiers.rules:9:1" and rule["citation"].startswith("EU AI Act")


def test_classify_text_shows_why():
    result = govern("classify", str(CREDIT), "--policy", str(MINI))
    assert result.returncode == 0
    assert "tier HIGH" in result.stdout and 'use_case.domain = "credit"' in result.stdout


@pytest.mark.parametrize("fmt, marker", [("text", "▸ validation"), ("json", '"plan_digest"'), ("dot", "digraph")])
def test_plan_formats(fmt, marker):
    result = govern("plan", str(CREDIT), "--policy", str(MINI), "--format", fmt)
    assert result.returncode == 0 and marker in result.stdout


def test_pack_tests_pass_and_fail(tmp_path):
    ok = govern("test", str(MINI), "--min-coverage", "100")
    assert ok.returncode == 0 and "6 passed, 0 failed" in ok.stdout
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    cases = pack / "tests" / "cases.yaml"
    cases.write_text(cases.read_text().replace("expect: {tier: limited, fired: [chatbot]}",
                                               "expect: {tier: minimal, fired: [chatbot]}"))
    failed = govern("test", str(pack), "--format", "json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)["packs"][0]
    bad = [c for c in report["cases"] if not c["passed"]]
    assert bad and "tier: expected minimal, got limited" in bad[0]["differences"][0]


def test_coverage_below_threshold_fails(tmp_path):
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    (pack / "tests" / "cases.yaml").write_text(
        "cases:\n  - name: only prohibited\n    facts: {purpose: social_scoring}\n    expect: {tier: prohibited}\n")
    result = govern("test", str(pack), "--min-coverage", "90")
    assert result.returncode == 1 and "rules never fired" in result.stdout


def test_policy_errors_are_positioned_collected_and_exit_2(tmp_path):
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    rules = pack / "rules" / "tiers.rules"
    rules.write_text(rules.read_text().replace("use_case.domain in", "use_case.domian in")
                     .replace("tier limited", "tier limted", 1))
    result = govern("validate", str(pack))
    assert result.returncode == 2
    assert "tiers.rules:10:8: error[dsl-unknown-field]: unknown field `use_case.domian`" in result.stderr
    assert "did you mean `use_case.domain`?" in result.stderr
    assert "did you mean `limited`?" in result.stderr
    assert "Traceback" not in result.stderr


def test_rule_syntax_error_shows_caret(tmp_path):
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    (pack / "rules" / "broken.rules").write_text('rule x: tier high\n  when use_case.audience = "public"\n'
                                                  '  because "y"\n')
    result = govern("validate", str(pack))
    assert result.returncode == 2
    assert "broken.rules:2:26: error[dsl-syntax]" in result.stderr
    assert "comparison is written `==`" in result.stderr and "^" in result.stderr


def test_template_error_in_embedded_condition_points_into_yaml(tmp_path):
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    template = pack / "templates" / "high.yaml"
    template.write_text(template.read_text().replace("metrics.test.auc >= params.min_auc",
                                                     "metrics.test.auc >= params.min_acu"))
    result = govern("validate", str(pack))
    assert result.returncode == 2
    assert "high.yaml:11:42: error[dsl-unknown-field]: unknown field `params.min_acu`" in result.stderr


def test_bad_descriptor_values_are_errors_with_lines(tmp_path):
    bad = tmp_path / "uc.yaml"
    bad.write_text(CREDIT.read_text().replace("domain: credit", "domain: credt")
                   .replace("impact_eur: 25000", "impact_eur: lots") + "  colour: blue\n")
    result = govern("classify", str(bad), "--policy", str(MINI))
    assert result.returncode == 2
    assert f"{bad}:6:11: error[invalid-fact]" in result.stderr and "did you mean `credit`?" in result.stderr
    assert "expected a number" in result.stderr
    assert "`colour` is not a fact this policy asks about" in result.stderr


def test_missing_and_malformed_files_exit_2(tmp_path):
    assert govern("classify", str(tmp_path / "nope.yaml"), "--policy", str(MINI)).returncode == 2
    assert govern("validate", str(tmp_path)).returncode == 2
    broken = tmp_path / "uc.yaml"
    broken.write_text("id: [unclosed\n")
    result = govern("classify", str(broken), "--policy", str(MINI))
    assert result.returncode == 2 and "uc.yaml:2:1: error[yaml-syntax]" in result.stderr


def test_schema_outputs_are_valid_json_schema():
    import jsonschema

    for kind in ("policy", "facts", "template", "tests"):
        result = govern("schema", kind)
        assert result.returncode == 0
        jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))
    result = govern("schema", "use-case", "--policy", str(MINI))
    schema = json.loads(result.stdout)
    import yaml

    jsonschema.validate(json.loads(json.dumps(yaml.safe_load(CREDIT.read_text()), default=str)), schema)
    assert govern("schema", "use-case").returncode == 2


def test_init_without_terminal_writes_nothing_and_lists_missing(tmp_path):
    target = tmp_path / "uc.yaml"
    result = govern("init", str(target), "--policy", str(MINI), stdin="")
    assert result.returncode == 2 and not target.exists()
    assert "missing answer: purpose" in result.stderr


def test_init_with_answers_writes_a_valid_descriptor(tmp_path):
    target = tmp_path / "uc.yaml"
    result = govern("init", str(target), "--policy", str(MINI), "--id", "churn", "--name", "Churn", "--owner",
                    "crm", "-a", "purpose=recommendation", "-a", "interacts_with_humans=yes",
                    "-a", "data_categories=personal,financial", stdin="")
    assert result.returncode == 0, result.stderr
    classified = govern("classify", str(target), "--policy", str(MINI), "--format", "json")
    assert json.loads(classified.stdout)["tier"] == "high"  # unknown domain fails closed


def test_classify_does_not_import_heavy_libraries():
    code = ("import sys; from govern.cli.main import main\n"
            "try:\n    main(['classify', %r, '--policy', %r, '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'sklearn', 'scipy', 'weasyprint', 'matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy)") % (str(CREDIT), str(MINI))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stdout


def test_unwritable_output_is_a_usage_error_before_anything_is_recorded(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = govern("check", str(CREDIT), "--policy", str(MINI), "--evidence",
                    str(ROOT / "examples" / "credit-risk" / "evidence"), "-o", f"json={blocker / 'x.json'}")
    assert result.returncode == 2 and "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_check_without_data_checks_stays_lean():
    """`govern check` on a plan without statistical or lineage checks imports none of the heavy libraries."""
    evidence = ROOT / "examples" / "credit-risk" / "evidence"
    code = ("import sys; from govern.cli.main import main\n"
            "try:\n    main(['check', %r, '--policy', %r, '--evidence', %r, '--no-record', '-f', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'numpy', 'networkx', 'sqlalchemy', 'cryptography', 'weasyprint',"
            " 'matplotlib', 'mlflow') if m in sys.modules]\n"
            "print('HEAVY', heavy)") % (str(CREDIT), str(MINI), str(evidence))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout[-500:] + result.stderr[-500:]


def test_init_asks_the_questionnaire_on_a_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    target = tmp_path / "uc.yaml"
    child = pexpect.spawn(sys.executable, ["-m", "govern", "init", str(target), "--policy", str(MINI)],
                          cwd=str(ROOT), encoding="utf-8", timeout=30, env={**os.environ, "NO_COLOR": "1"})
    for prompt, answer in (("Use-case id", "churn"), ("Use-case name", "Churn model"), ("Owner", "crm")):
        child.expect(prompt)
        child.sendline(answer)
    answers = {"domain": "marketing", "purpose": "recomendation", "audience": "public", "affects_individuals": "y",
               "profiling": "n", "narrow_procedural_task": "", "impact_eur": "100", "data_categories": "personal",
               "interacts_with_humans": "n", "launch_date": "2026-12-01"}
    for fact, answer in answers.items():
        child.expect(r"\[" + fact + r"\]")
        child.expect("answer")
        child.sendline(answer)
        if fact == "purpose":  # a typo is caught with a suggestion, and the question asked again
            child.expect("did you mean `recommendation`")
            child.expect("answer")
            child.sendline("recommendation")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    written = yaml.safe_load(target.read_text())
    assert written["facts"]["purpose"] == "recommendation" and written["facts"]["narrow_procedural_task"] is None
    assert govern("validate", str(target), "--policy", str(MINI)).returncode == 0
