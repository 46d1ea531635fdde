"""`imports:` in policy.yaml: rules, definitions, facts and template items taken from another pack.

Clashes are errors at the import's file:line:col; what was imported is in the policy digest
(and only what was imported); `govern test` reports imported rules' coverage apart.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

import govern
from govern.errors import PolicyError
from govern.packtest import run_pack_tests

ROOT = Path(__file__).resolve().parents[2]
EU = ROOT / "policies" / "eu-ai-act"
RECOMMENDER = ROOT / "examples" / "recommender-portfolio" / "policy"


def _copy_eu(tmp_path: Path) -> Path:
    copy = tmp_path / "eu-ai-act"
    shutil.copytree(EU, copy, ignore=shutil.ignore_patterns("tests"))
    return copy


def _recommender(tmp_path: Path, source: Path, edit=None) -> Path:
    """The recommender pack, importing from ``source`` by a path relative to its own folder."""
    pack = tmp_path / "recommender"
    shutil.copytree(RECOMMENDER, pack)
    manifest = pack / "policy.yaml"
    text = manifest.read_text().replace("pack: ../../../policies/eu-ai-act",
                                        f"pack: {os.path.relpath(source, pack)}")
    manifest.write_text(edit(text) if edit else text)
    return pack


def _diagnostics(pack: Path):
    with pytest.raises(PolicyError) as err:
        govern.load_policy(pack)
    return err.value.diagnostics


def test_the_recommender_takes_art_50_1_from_the_eu_ai_act_pack():
    policy = govern.load_policy(RECOMMENDER)
    eu = govern.load_policy(EU)
    (rule,) = policy.rules
    assert rule.id == "art50-1-ai-interaction" and rule.rule.citation == "EU AI Act Art. 50(1)"
    original = next(r.rule for r in eu.rules if r.id == rule.id)
    assert rule.rule == dataclasses.replace(original, undetermined="fire")  # its own pack's default, made explicit
    assert policy.imported_rules == {"art50-1-ai-interaction": "../../../policies/eu-ai-act"}
    # what the rule reads came with it, with the same questions
    for fact in ("interacts_with_humans", "interaction_obvious", "excepted_purposes", "scope_exclusion"):
        assert policy.facts[fact] == eu.facts[fact]
    assert {"ai_interaction_exempt", "criminal_law_exemption", "excepted", "out_of_scope"} <= set(policy.definitions)
    # the template fragment is the EU pack's own notice, with its condition
    limited = policy.templates["limited"]
    notice = next(d for s in limited.stages for d in s.gate.documents if d.id == "ai_interaction_notice")
    assert notice.when == "discloses_ai_interaction" and notice.citation == "EU AI Act Art. 50(1), 50(5)"
    assert ("limited", "production", "document", "ai_interaction_notice", "when") in policy.conditions
    # the digest covers the imported pack's rule files, facts and manifest -- not its templates' other files
    imported = {k for k in policy.files if k.startswith("imports/")}
    assert "imports/../../../policies/eu-ai-act/rules/transparency.rules" in imported
    assert "imports/../../../policies/eu-ai-act/facts.yaml" in imported
    assert "imports/../../../policies/eu-ai-act/templates/limited.yaml" in imported
    assert "imports/../../../policies/eu-ai-act/templates/high.yaml" not in imported


def test_the_digest_changes_when_an_imported_file_changes_and_only_then(tmp_path):
    eu = _copy_eu(tmp_path)
    pack = _recommender(tmp_path, eu)
    before = govern.load_policy(pack).digest
    assert govern.load_policy(pack).digest == before  # deterministic
    high = eu / "templates" / "high.yaml"
    high.write_text(high.read_text() + "\n# a template the recommender does not import\n")
    assert govern.load_policy(pack).digest == before
    rules = eu / "rules" / "transparency.rules"
    rules.write_text(rules.read_text().replace('because "EU AI Act Art. 50(1)"', 'because "EU AI Act Art. 50(1) "'))
    after = govern.load_policy(pack).digest
    assert after != before
    facts = eu / "facts.yaml"
    facts.write_text(facts.read_text() + "\n")
    assert govern.load_policy(pack).digest != after


def test_a_fact_the_pack_also_declares_is_a_clash_at_the_import(tmp_path):
    pack = _recommender(tmp_path, EU)
    facts = pack / "facts.yaml"
    facts.write_text(facts.read_text().replace("facts:\n", "facts:\n  interacts_with_humans:\n    type: bool\n"
                                               "    question: Does it chat?\n", 1))
    (d,) = [d for d in _diagnostics(pack) if d.code == "import-clash"]
    assert d.message.startswith("fact `interacts_with_humans` imported from `")
    assert d.message.endswith("eu-ai-act` is also declared in this pack's facts")
    assert d.span.file.endswith("policy.yaml")
    line = (pack / "policy.yaml").read_text().splitlines()[d.span.line - 1]
    assert line.strip().startswith("rules: [art50-1-ai-interaction]") and d.span.column > 1


def test_a_local_rule_or_definition_with_an_imported_name_is_a_clash(tmp_path):
    pack = _recommender(tmp_path, EU)
    (pack / "rules").mkdir()
    (pack / "rules" / "own.rules").write_text(
        'let excepted = ["none"]\n'
        'rule art50-1-ai-interaction: tier limited when use_case.channel == "assistant" because "x"\n')
    messages = sorted(d.message for d in _diagnostics(pack) if d.code == "import-clash")
    assert [m.split(" imported")[0] for m in messages] == ["definition `excepted`", "rule `art50-1-ai-interaction`"]


def test_two_imports_disagreeing_on_a_name_clash(tmp_path):
    other = _copy_eu(tmp_path)
    facts = other / "facts.yaml"
    facts.write_text(facts.read_text().replace(
        "question: Is it obvious", "question: Would a reasonable person see that it is obvious", 1))
    assert "Would a reasonable person" in facts.read_text()

    def two(text: str) -> str:
        second = f"  - pack: {os.path.relpath(other, tmp_path / 'recommender')}\n    rules: [art50-1-ai-interaction]\n"
        return text.replace("templates:\n  limited:", second + "templates:\n  limited:", 1)
    pack = _recommender(tmp_path, EU, two)
    clashes = [d for d in _diagnostics(pack) if d.code == "import-clash"]
    assert any("fact `interaction_obvious` comes from both" in d.message for d in clashes)
    assert any("rule `art50-1-ai-interaction` comes from both" in d.message for d in clashes)


def test_unknown_names_and_sources_are_positioned_with_suggestions(tmp_path):
    def typo(text: str) -> str:
        return (text.replace("rules: [art50-1-ai-interaction]", "rules: [art50-1-ai-interation]")
                .replace("limited.pre_production.documents.ai_interaction_notice",
                         "limited.pre_production.documents.ai_notice"))
    pack = _recommender(tmp_path, EU, typo)
    hints = sorted(d.hint for d in _diagnostics(pack) if d.code == "import-unknown")
    # the wrong fragment reference, the wrong rule id, and the template's `use:` that now names nothing
    assert hints == ["declare it under `imports: [{…, fragments: {NAME: tier.stage.kind.id}}]`",
                     "did you mean `ai_interaction_notice`?", "did you mean `art50-1-ai-interaction`?"]
    missing = _recommender(tmp_path / "x", tmp_path / "nowhere")
    (d,) = [d for d in _diagnostics(missing) if d.code == "import-not-found"]
    assert "no policy pack at" in d.message and d.span.file.endswith("policy.yaml")


def test_an_import_cycle_is_an_error(tmp_path):
    eu = _copy_eu(tmp_path)
    pack = _recommender(tmp_path, eu)
    manifest = eu / "policy.yaml"
    manifest.write_text(manifest.read_text().replace(
        "templates:\n  high:", f"imports:\n  - pack: {os.path.relpath(pack, eu)}\n    facts: [channel]\n"
                               "templates:\n  high:", 1))
    diagnostics = _diagnostics(pack)
    assert any(d.code == "import-invalid" and "import-cycle" in d.message for d in diagnostics), diagnostics


def test_a_pack_shipped_in_an_installed_package(tmp_path, monkeypatch):
    package = tmp_path / "site" / "acme_packs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('naming a pack must not run the package')\n")
    shutil.copytree(EU, package / "eu-ai-act", ignore=shutil.ignore_patterns("tests"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    pack = _recommender(tmp_path, EU, lambda t: re.sub(r"  - pack: \S+", "  - package: acme_packs:eu-ai-act", t))
    policy = govern.load_policy(pack)
    assert policy.imported_rules == {"art50-1-ai-interaction": "package:acme_packs:eu-ai-act"}
    assert "imports/package:acme_packs:eu-ai-act/rules/transparency.rules" in policy.files
    assert "acme_packs" not in sys.modules
    escape = _recommender(tmp_path / "e", EU, lambda t: re.sub(r"  - pack: \S+", "  - package: acme_packs:../..", t))
    assert "path-escape" in [d.code for d in _diagnostics(escape)]


def test_govern_test_reports_imported_coverage_apart():
    run = run_pack_tests(govern.load_policy(RECOMMENDER))
    assert run.own_rules == [] and run.coverage == 100.0
    assert run.imported_coverage() == [{"source": "../../../policies/eu-ai-act", "rules": 1, "fired": 1,
                                        "coverage": 100.0, "uncovered_rules": []}]
    assert run.to_dict()["imported_coverage"][0]["fired"] == 1


def test_a_use_naming_no_fragment_is_an_error(tmp_path):
    pack = _recommender(tmp_path, EU)
    template = pack / "templates" / "limited.yaml"
    template.write_text(template.read_text().replace("- use: ai_interaction_notice", "- use: ai_interaction_notise"))
    (d,) = [d for d in _diagnostics(pack) if d.code == "import-unknown"]
    assert d.hint == "did you mean `ai_interaction_notice`?" and d.span.file.endswith("limited.yaml")
    assert yaml.safe_load(template.read_text())  # the file itself is fine YAML


def test_govern_test_prints_imported_coverage_on_its_own_line():
    from tests.cli.test_cli import govern as run_govern

    result = run_govern("test", str(RECOMMENDER))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  rule coverage 100.0% (0/0 own rules)\n" in result.stdout
    assert "  imported rule coverage 100.0% (1/1) from ../../../policies/eu-ai-act\n" in result.stdout


def test_unknown_imported_facts_and_definitions_are_positioned_with_suggestions(tmp_path):
    def ask(text: str) -> str:
        return text.replace("rules: [art50-1-ai-interaction]",
                            "rules: [art50-1-ai-interaction]\n    facts: [interaction_obvios]\n"
                            "    definitions: [no_such_definition]")
    pack = _recommender(tmp_path, EU, ask)
    unknown = sorted((d.message, d.hint) for d in _diagnostics(pack) if d.code == "import-unknown")
    assert [m for m, _ in unknown] == ["pack `eu-ai-act` has no definition `no_such_definition`",
                                       "pack `eu-ai-act` has no fact `interaction_obvios`"]
    assert unknown[1][1] == "did you mean `interaction_obvious`?"
