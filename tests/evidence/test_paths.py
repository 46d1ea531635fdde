"""Path confinement as a property, and reading non-regular files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from govern.errors import InputError
from govern.evidence.paths import confine, normalise
from govern.evidence.reading import read_bytes

_segment = st.sampled_from(["..", ".", "a", "b c", "", "/", "\\", "C:", "x.json", "\x00"])


@given(st.lists(_segment, max_size=6).map("/".join))
def test_confine_never_leaves_the_root(text: str) -> None:
    root = Path("/tmp/govern-root-does-not-need-to-exist")
    target, problem = confine(root, text)
    norm = normalise(text)
    if target is None:
        assert problem is not None and problem.code == "evidence-path-escape"
    else:
        assert target.is_relative_to(root) and norm is not None and ".." not in norm.split("/")


def test_reader_refuses_fifos(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    with pytest.raises(InputError) as exc:
        read_bytes(tmp_path / "pipe.json", "metrics")
    assert exc.value.diagnostics[0].code == "evidence-not-a-file"
    with pytest.raises(InputError) as exc:
        read_bytes(tmp_path / "absent.json", "metrics")
    assert exc.value.diagnostics[0].code == "evidence-missing"
    with pytest.raises(InputError) as exc:
        read_bytes(tmp_path, "metrics")
    assert exc.value.diagnostics[0].code == "evidence-not-a-file"
