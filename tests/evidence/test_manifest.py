"""Manifest validation, roles from the manifest, digest verification."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from govern.errors import EvidenceError
from govern.evidence.bundle import EvidenceBundle

from .conftest import write_tree

METRICS = '{"test": {"auc": 0.8}}'
SHA = hashlib.sha256(METRICS.encode()).hexdigest()


def manifest(files: str) -> str:
    return f"bundle: credit-2024-05\nmodel:\n  name: credit-risk\n  version: '1.4'\nfiles:\n{files}"


def test_manifest_roles_and_verified_digest(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "results/scores.json": METRICS,
        "metrics.json": '{"stray": 1}',
        "card.md": "# Card\n",
        "junit/a.xml": "<testsuite/>",
        "manifest.yaml": manifest(
            f"  - {{path: results/scores.json, role: metrics, sha256: 'sha256:{SHA}'}}\n"
            "  - {path: card.md, role: model_card}\n"),
    })
    bundle = EvidenceBundle.open(root)
    assert bundle.name == "credit-2024-05" and bundle.manifest.model.version == "1.4"
    assert bundle.file("metrics").path == "results/scores.json"  # the manifest owns the metrics role
    assert bundle.file("metrics.json").role == "other"
    assert bundle.file("model_card").path == "card.md"
    assert bundle.file("junit").path == "junit/a.xml"  # roles the manifest does not mention: convention
    assert bundle.file("manifest.yaml").role == "manifest"


def test_manifest_json_is_accepted(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"m.json": METRICS, "manifest.json": json.dumps(
        {"bundle": "b", "model": {"name": "n", "version": "1"}, "files": [{"path": "m.json", "role": "metrics",
                                                                          "sha256": SHA}]})})
    assert EvidenceBundle.open(root).file("metrics").path == "m.json"


def test_digest_mismatch_names_expected_and_actual(tmp_path: Path) -> None:
    wrong = "0" * 64
    root = write_tree(tmp_path, {"metrics.json": METRICS,
                                 "manifest.yaml": manifest(f"  - path: metrics.json\n    role: metrics\n"
                                                           f"    sha256: '{wrong}'\n")})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    (diag,) = exc.value.diagnostics
    assert diag.code == "evidence-digest-mismatch"
    assert wrong in diag.message and SHA in diag.message
    assert (diag.span.file, diag.span.line, diag.span.column) == ("manifest.yaml", 8, 13)
    # without verification the bundle opens, and verify() reports the same problem
    bundle = EvidenceBundle.open(root, verify=False)
    assert [d.code for d in bundle.verify()] == ["evidence-digest-mismatch"]


def test_manifest_schema_errors_have_positions(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.json": "{}", "manifest.yaml": (
        "bundle: b\n"
        "model: {name: n, version: 1.10}\n"
        "files:\n"
        "  - path: a.json\n"
        "    role: Metrics!\n"
        "    sha265: abc\n")})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    found = {(d.code, d.span.line, d.span.column) for d in exc.value.diagnostics}
    assert ("evidence-manifest-invalid", 2, 27) in found  # version must be a string (1.10 != 1.1)
    assert ("evidence-manifest-invalid", 5, 11) in found  # not a role name
    assert ("evidence-manifest-invalid", 6, 5) in found   # unknown key, pointed at the key
    assert any("sha265" in d.message for d in exc.value.diagnostics)


@pytest.mark.parametrize("path", ["../outside.json", "/etc/passwd", "a/../../b"])
def test_manifest_paths_escaping_are_rejected(tmp_path: Path, path: str) -> None:
    root = write_tree(tmp_path / "b", {"manifest.yaml": manifest(f"  - {{path: '{path}', role: metrics}}\n")})
    write_tree(tmp_path, {"outside.json": "{}"})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    (diag,) = exc.value.diagnostics
    assert diag.code == "evidence-path-escape" and diag.span.line == 6


def test_manifest_missing_duplicate_and_self(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.json": "{}", "manifest.yaml": manifest(
        "  - {path: a.json, role: metrics}\n"
        "  - {path: ./a.json, role: other}\n"
        "  - {path: gone.csv, role: data}\n"
        "  - {path: manifest.yaml, role: other}\n")})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert [d.code for d in exc.value.diagnostics] == [
        "evidence-manifest-duplicate", "evidence-file-missing", "evidence-manifest-invalid"]


def test_malformed_and_bomb_manifests(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "a", {"manifest.yaml": "bundle: [unclosed\n"})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert exc.value.diagnostics[0].code == "yaml-syntax"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    root = write_tree(tmp_path / "b", {"manifest.yaml": bomb})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert exc.value.diagnostics[0].code in ("yaml-too-many-aliases", "yaml-too-many-nodes")


def test_two_manifests_are_ambiguous(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"manifest.yaml": manifest(""), "manifest.json": "{}"})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert exc.value.diagnostics[0].code == "evidence-manifest-ambiguous"


def test_empty_manifest_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(write_tree(tmp_path, {"manifest.yaml": ""}))
    assert exc.value.diagnostics[0].code == "evidence-empty"
