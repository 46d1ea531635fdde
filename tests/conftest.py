"""Suite-wide isolation: no test writes to the developer's own store or parser cache."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_store(tmp_path_factory):
    """`govern check` records decisions by default; point it (and subprocesses) at a throwaway store."""
    folder = tmp_path_factory.mktemp("store")
    previous = os.environ.get("GOVERN_DATABASE_URL")
    os.environ["GOVERN_DATABASE_URL"] = f"sqlite:///{folder / 'govern.db'}"
    yield
    if previous is None:
        os.environ.pop("GOVERN_DATABASE_URL", None)
    else:
        os.environ["GOVERN_DATABASE_URL"] = previous


@pytest.fixture(autouse=True, scope="session")
def _checkout_untouched():
    """No test leaves a store in the checkout: a run from the repository root must not record there."""
    from pathlib import Path

    store = Path(__file__).resolve().parents[1] / ".govern"
    existed = store.exists()
    yield
    if not existed:
        assert not store.exists(), f"a test created {store}: give it --no-record/--no-store or a tmp store"
