"""Bundle opening, roles, confinement and lookups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govern.errors import EvidenceError, InputError
from govern.evidence import files as files_mod
from govern.evidence.bundle import EvidenceBundle, conventional_role

from .conftest import write_tree


def codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


def test_fixture_bundle_roles_by_convention(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    roles = {f.path: f.role for f in bundle.files()}
    assert roles == {
        "champion_metrics.json": "champion_metrics",
        "data/train.csv": "data",
        "environment/base.txt": "other",
        "environment/requirements.txt": "environment",
        "environment/seeds.json": "seeds",
        "junit/pytest.xml": "junit",
        "lineage.yaml": "lineage",
        "metrics.json": "metrics",
        "model_card.md": "model_card",
        "openlineage/train_run.json": "openlineage",
        "signoffs/validation-mrm.yaml": "signoff",
        "waivers/oot-auc.yaml": "waiver",
    }
    assert bundle.manifest is None and bundle.name is None


@pytest.mark.parametrize("path,role", [
    ("model_card.yaml", "model_card"), ("model_card.json", "model_card"), ("results.junit.xml", "junit"),
    ("reports/unit.junit.xml", "junit"), ("junit/a/b.xml", "junit"), ("lineage.yml", "lineage"),
    ("openlineage/events.jsonl", "openlineage"), ("environment/requirements-dev.txt", "environment"),
    ("environment/pylock.toml", "environment"), ("environment/pylock.gpu.toml", "environment"),
    ("environment/environment.yml", "environment"), ("data/holdout/oot.parquet", "data"),
    ("notes.txt", None), ("data/readme.md", None), ("sub/metrics.json", None),
])
def test_conventional_roles(path: str, role: str | None) -> None:
    assert conventional_role(path) == role


def test_file_lookup_by_role_and_path(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    card = bundle.file("model_card")
    assert card.path == "model_card.md" and card.role == "model_card"
    assert card.abs_path == (fixture_bundle / "model_card.md").resolve()
    assert card.size == (fixture_bundle / "model_card.md").stat().st_size
    assert bundle.file("./data/train.csv").path == "data/train.csv"
    assert [f.path for f in bundle.files_with_role("junit")] == ["junit/pytest.xml"]
    assert bundle.get("artifact") is None and bundle.get("nope.txt") is None


def test_sha256_is_lazy_and_cached(fixture_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = files_mod.file_sha256
    monkeypatch.setattr(files_mod, "file_sha256", lambda p: calls.append(p) or real(p))
    bundle = EvidenceBundle.open(fixture_bundle)
    assert calls == []
    ef = bundle.file("metrics")
    first = ef.sha256
    assert ef.sha256 == first and len(calls) == 1
    assert ef.digest == "sha256:" + first and len(first) == 64


def test_missing_and_ambiguous_roles(tmp_path: Path) -> None:
    write_tree(tmp_path, {"model_card.md": "# x\n", "model_card.yaml": "a: 1\n"})
    bundle = EvidenceBundle.open(tmp_path)
    with pytest.raises(InputError) as exc:
        bundle.file("model_card")
    assert codes(exc) == ["evidence-ambiguous"]
    with pytest.raises(InputError) as exc:
        bundle.file("metrics")
    assert codes(exc) == ["evidence-missing"] and "metrics\\.json" in (exc.value.diagnostics[0].hint or "")
    # a role nobody has is just absent (policies may name document roles of their own)
    assert bundle.files_with_role("metricz") == [] and bundle.get("metricz") is None


@pytest.mark.parametrize("bad", ["../secret.txt", "data/../../x", "/etc/passwd", "C:\\x", "a\\b", "", "\x00"])
def test_resolve_rejects_escaping_paths(tmp_path: Path, bad: str) -> None:
    bundle = EvidenceBundle.open(write_tree(tmp_path / "b", {"a.txt": "x"}))
    with pytest.raises(InputError) as exc:
        bundle.resolve(bad)
    assert codes(exc) == ["evidence-path-escape"]
    with pytest.raises(InputError):
        bundle.file(bad)


def test_resolve_confines_and_normalises(tmp_path: Path) -> None:
    bundle = EvidenceBundle.open(write_tree(tmp_path, {"data/a.csv": "x"}))
    assert bundle.resolve("./data//a.csv") == (tmp_path / "data" / "a.csv").resolve()
    assert bundle.resolve("data/not-yet.csv").parent == (tmp_path / "data").resolve()


def test_symlink_escaping_bundle_is_rejected_at_open(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.txt": "s3cret"})
    root = write_tree(tmp_path / "b", {"metrics.json": "{}"})
    os.symlink(outside / "secret.txt", root / "metrics_link.json")
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert codes(exc) == ["evidence-path-escape"]
    assert exc.value.diagnostics[0].span.file == "metrics_link.json"


def test_symlinked_folder_escaping_is_rejected_by_resolve(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.txt": "s3cret"})
    root = write_tree(tmp_path / "b", {"a.txt": "x"})
    bundle = EvidenceBundle.open(root)
    os.symlink(outside, root / "data")  # created after open: resolve() must still refuse it
    with pytest.raises(InputError) as exc:
        bundle.resolve("data/secret.txt")
    assert codes(exc) == ["evidence-path-escape"]


def test_symlink_inside_bundle_is_a_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"real/metrics.json": '{"a": 1}'})
    os.symlink(root / "real" / "metrics.json", root / "metrics.json")
    bundle = EvidenceBundle.open(root)
    assert bundle.file("metrics").abs_path == (root / "real" / "metrics.json").resolve()


def test_broken_dir_and_special_links_are_errors(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"d/a.txt": "x"})
    os.symlink(root / "missing", root / "broken")
    os.symlink(root / "d", root / "dirlink")
    os.mkfifo(root / "pipe")
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert sorted(codes(exc)) == ["evidence-broken-symlink", "evidence-special-file", "evidence-symlink-dir"]


def test_root_must_exist_and_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(tmp_path / "nope")
    assert codes(exc) == ["evidence-root-missing"]
    (tmp_path / "f").write_text("x")
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(tmp_path / "f")
    assert codes(exc) == ["evidence-root-not-a-folder"]


def test_ds_store_is_ignored(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.txt": "x", ".DS_Store": "junk", "data/.DS_Store": "junk"})
    assert [f.path for f in EvidenceBundle.open(root).files()] == ["a.txt"]


def test_file_over_absolute_limit_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_mod, "DATA_MAX_BYTES", 10)
    root = write_tree(tmp_path, {"data/big.csv": "a,b\n" * 10})
    with pytest.raises(EvidenceError) as exc:
        EvidenceBundle.open(root)
    assert codes(exc) == ["evidence-too-large"]
