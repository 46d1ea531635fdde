"""The README's quick-start main job (`./dev demo`) behaves as documented, step by step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_runs_end_to_end():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py")], cwd=ROOT, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "demo OK" in result.stdout
    assert "ALLOWED: consumer-credit-scoring may enter `production`" in result.stdout
    assert "audit trail intact" in result.stdout
    # it ends by naming the one command that opens the console on its store (the README says so)
    import runpy

    CONSOLE = runpy.run_path(str(ROOT / "examples" / "demo.py"))["CONSOLE"]  # the module, not its main()
    assert result.stdout.rstrip().endswith(CONSOLE) and CONSOLE in (ROOT / "README.md").read_text()
