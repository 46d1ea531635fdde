"""Safe YAML loading: positions, duplicate keys, alias bombs, size and encoding limits."""

from __future__ import annotations

import pytest

from govern.errors import InputError
from govern.load import safe_yaml
from govern.load.safe_yaml import load_yaml_file, load_yaml_text


def test_positions_of_values_and_keys():
    doc = load_yaml_text("a:\n  b: [1, 2]\n  c: x\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": "x"}}
    assert doc.span(("a", "b", 1)).line == 2 and doc.span(("a", "b", 1)).column == 10
    assert doc.span(("a", "c"), key=True).column == 3
    assert doc.span(("a", "missing")).line == 2  # falls back to the parent


@pytest.mark.parametrize("text, code", [
    ("a: 1\na: 2\n", "yaml-duplicate-key"),
    ("a: [1, 2\n", "yaml-syntax"),
    ("a: !!python/object:os.system x\n", "yaml-unsupported-tag"),
    ("base: &b {x: 1}\nuse:\n  <<: *b\n", "yaml-merge-key"),
    ("? [a, b]\n: 1\n", "yaml-complex-key"),
])
def test_rejected_documents(text, code):
    with pytest.raises(InputError) as caught:
        load_yaml_text(text, "f.yaml")
    diag = caught.value.diagnostics[0]
    assert diag.code == code and diag.span.file == "f.yaml" and diag.span.line >= 1


def test_alias_bomb_is_refused():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(InputError) as caught:
        load_yaml_text("\n".join(lines), "bomb.yaml")
    assert caught.value.diagnostics[0].code in ("yaml-too-many-aliases", "yaml-too-many-nodes")


def test_size_and_encoding_limits(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 200)
    with pytest.raises(InputError) as caught:
        load_yaml_file(big, max_bytes=100)
    assert caught.value.diagnostics[0].code == "file-too-large"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError) as caught:
        load_yaml_file(latin)
    assert caught.value.diagnostics[0].span.line == 2
    with pytest.raises(InputError):
        load_yaml_file(tmp_path / "absent.yaml")


def test_yaml_keywords_as_keys_keep_their_text():
    assert load_yaml_text("on: 1\nno: 2\n").data == {"on": 1, "no": 2}


def test_empty_document_is_none():
    assert load_yaml_text("# only a comment\n").data is None
    assert safe_yaml.MAX_ALIASES > 0
