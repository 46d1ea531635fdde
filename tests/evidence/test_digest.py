"""The bundle digest: deterministic, location-independent, sensitive to every byte and name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from govern.canonical import digest
from govern.evidence.bundle import EvidenceBundle


def test_digest_is_stable_across_opens_and_copies(fixture_bundle: Path, tmp_path: Path) -> None:
    first = EvidenceBundle.open(fixture_bundle).digest()
    assert first == EvidenceBundle.open(fixture_bundle).digest()
    copy = tmp_path / "copy"
    shutil.copytree(fixture_bundle, copy)
    (copy / ".DS_Store").write_bytes(b"\x00junk")  # OS junk does not count
    assert EvidenceBundle.open(copy).digest() == first
    assert first.startswith("sha256:") and len(first) == 71


def test_digest_is_the_canonical_json_of_path_hash_pairs(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    assert bundle.digest() == digest(sorted([f.path, f.sha256] for f in bundle.files()))


def test_one_changed_byte_renamed_or_added_file_changes_the_digest(fixture_bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(fixture_bundle, copy)
    base = EvidenceBundle.open(copy).digest()
    data = bytearray((copy / "data" / "train.csv").read_bytes())
    data[-2] ^= 1
    (copy / "data" / "train.csv").write_bytes(bytes(data))
    changed = EvidenceBundle.open(copy).digest()
    assert changed != base
    data[-2] ^= 1
    (copy / "data" / "train.csv").write_bytes(bytes(data))
    assert EvidenceBundle.open(copy).digest() == base
    os.rename(copy / "data" / "train.csv", copy / "data" / "train2.csv")
    assert EvidenceBundle.open(copy).digest() not in (base, changed)
    os.rename(copy / "data" / "train2.csv", copy / "data" / "train.csv")
    (copy / "extra.txt").write_text("")
    assert EvidenceBundle.open(copy).digest() != base


def test_digest_is_identical_in_another_process(fixture_bundle: Path) -> None:
    code = ("import sys; from pathlib import Path; from govern.evidence.bundle import EvidenceBundle; "
            "print(EvidenceBundle.open(Path(sys.argv[1])).digest())")
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-c", code, str(fixture_bundle)], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == EvidenceBundle.open(fixture_bundle).digest()
