"""govern.stats stays cheap to import and never depends on test-only reference libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

STATS = Path(__file__).parents[2] / "src" / "govern" / "stats"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_stats_module_imports_fairlearn():
    files = sorted(STATS.glob("*.py"))
    assert files
    for path in files:
        assert "fairlearn" not in imported_modules(path), path.name
        assert "import fairlearn" not in path.read_text() and "__import__" not in path.read_text()


def test_package_init_imports_nothing_heavy():
    code = ("import sys, govern.stats; heavy = {'numpy', 'pandas', 'scipy', 'sklearn', 'pyarrow'} & set(sys.modules);"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_module_docstring_starts_with_input_to_output():
    for path in sorted(STATS.glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "→" in doc.splitlines()[0], path.name
