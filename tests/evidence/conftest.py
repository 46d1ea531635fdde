"""Shared helpers: fixture locations and a tiny tree writer for generated bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` (relative path → content) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def fixture_bundle() -> Path:
    return FIXTURES / "bundle"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lower the structured-file limit to 64 bytes so 'huge file' tests stay tiny."""
    from govern.evidence import files

    monkeypatch.setattr(files, "STRUCTURED_MAX_BYTES", 64)
    return 64
