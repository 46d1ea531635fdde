"""Model cards: Markdown with front matter, YAML/JSON cards, section lookup, triviality."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import InputError
from govern.evidence.bundle import EvidenceBundle
from govern.evidence.model_card import is_trivial, load_model_card, normalise_title, parse_markdown_card


def test_markdown_card_from_bundle(fixture_bundle: Path) -> None:
    card = load_model_card(EvidenceBundle.open(fixture_bundle).file("model_card"))
    assert card.file == "model_card.md" and card.format == "markdown"
    assert card.metadata["version"] == "1.4.0" and card.metadata["hyperparameters"]["n_estimators"] == 300
    intended = card.section("Intended use")
    assert intended is not None and intended.level == 2 and intended.line == 22
    assert "Ranking retail loan" in intended.text and "[More Information Needed]" in intended.text
    assert not is_trivial(intended.text)  # its sub-sections belong to it
    assert is_trivial(card.section("out-of-scope use").text)
    assert is_trivial(card.section("LIMITATIONS").text)
    assert not is_trivial(card.section("training_data").text)
    assert card.section("evaluation data").level == 2  # setext heading
    assert card.section("not a heading") is None  # inside a fenced code block
    assert card.section("owner").text == "risk-analytics"  # front-matter keys count as sections
    assert card.has_section("model details") and not card.has_section("ethics")


@pytest.mark.parametrize("a,b", [
    ("Intended use", "intended-use"), ("Intended Use:", "intended_use"), ("2. Intended use", "INTENDED USE"),
    ("**Intended** [use](#x)", "intended use"), ("1.2 Limitations", "limitations"),
])
def test_normalised_titles_match(a: str, b: str) -> None:
    assert normalise_title(a) == normalise_title(b)


@pytest.mark.parametrize("text", [
    None, "", "   ", "TBD", "TODO", "N/A", "n/a.", "[More Information Needed]",
    "<!-- Describe the limitations -->\n\n[More Information Needed]",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "It works well.", "TODO: describe the data. TBD. N/A. [More Information Needed] {{ card_data }}",
])
def test_trivial_texts(text: str | None) -> None:
    assert is_trivial(text)


def test_non_trivial_text_and_threshold() -> None:
    text = "The model must not be used to decide on loans without a human review of each case."
    assert not is_trivial(text)
    assert is_trivial(text, min_words=50)
    assert not is_trivial("TODO: remove this note. " + text)


def test_yaml_and_json_cards(tmp_path: Path) -> None:
    (tmp_path / "model_card.yaml").write_text(
        "name: credit-risk\nversion: '2.0'\nintended_use: |\n  Ranking loan applications for review by credit officers,"
        " never as the sole basis of a decision.\nlimitations: TBD\nsections:\n  Ethical considerations: none\n")
    card = load_model_card(tmp_path / "model_card.yaml")
    assert card.format == "yaml" and card.metadata["version"] == "2.0"
    assert card.section("Intended use").line == 3 and not is_trivial(card.section("intended use").text)
    assert is_trivial(card.section("limitations").text)
    assert card.section("ethical considerations").line == 7
    (tmp_path / "model_card.json").write_text('{"name": "m", "intended_use": "x"}')
    assert load_model_card(tmp_path / "model_card.json").section("Intended Use").text == "x"


@pytest.mark.parametrize("text,code,line", [
    ("---\nname: [broken\n---\n# x\n", "yaml-syntax", 3),
    ("---\nname: x\n# no end\n", "model-card-front-matter", 1),
    ("---\n- a\n- b\n---\n", "model-card-front-matter", 2),
    ("---\nname: x\nname: y\n---\n", "yaml-duplicate-key", 3),
    ("---\n!!python/object:os.system x\n---\n", "yaml-unsupported-tag", 2),
])
def test_bad_front_matter_has_file_line(tmp_path: Path, text: str, code: str, line: int) -> None:
    (tmp_path / "card.md").write_text(text)
    with pytest.raises(InputError) as exc:
        load_model_card(tmp_path / "card.md")
    d = exc.value.diagnostics[0]
    assert (d.code, d.span.file.endswith("card.md"), d.span.line) == (code, True, line)


def test_front_matter_alias_bomb(tmp_path: Path) -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)) + "---\n"
    (tmp_path / "card.md").write_text(bomb)
    with pytest.raises(InputError) as exc:
        load_model_card(tmp_path / "card.md")
    assert exc.value.diagnostics[0].code in ("yaml-too-many-aliases", "yaml-too-many-nodes")


def test_structured_card_must_be_mapping_and_not_empty(tmp_path: Path, small_limit: int) -> None:
    (tmp_path / "model_card.yaml").write_text("- a\n")
    with pytest.raises(InputError) as exc:
        load_model_card(tmp_path / "model_card.yaml")
    assert exc.value.diagnostics[0].code == "model-card-invalid"
    (tmp_path / "empty.md").write_text("\n")
    with pytest.raises(InputError) as exc:
        load_model_card(tmp_path / "empty.md")
    assert exc.value.diagnostics[0].code == "evidence-empty"
    (tmp_path / "big.md").write_text("# Title\n" + "word " * 50)
    with pytest.raises(InputError) as exc:
        load_model_card(tmp_path / "big.md")
    assert exc.value.diagnostics[0].code == "evidence-too-large"


def test_markdown_without_front_matter_and_duplicate_headings() -> None:
    card = parse_markdown_card("# A\ntext\n## Limitations\none\n## Limitations\ntwo\n", "c.md")
    assert card.metadata == {} and card.section("limitations").text == "one"
    assert [s.title for s in card.section_list] == ["A", "Limitations", "Limitations"]
