"""The golden mini pack with one validation gate holding the checks a test is about.

Shared by the check-kind tests: the pack is the smallest that loads (its own test case
rewritten to need nothing of the checks), so a failure is the check's, not the pack's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

MINI = Path(__file__).resolve().parents[1] / "golden" / "mini"


def pack_with_checks(tmp_path: Path, checks: list[dict]) -> Path:
    """A copy of the mini pack in ``tmp_path/pack`` whose high tier's validation gate runs ``checks``."""
    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    template = {"stages": [
        {"id": "development", "raci": {"data_scientist": "A/R"}},
        {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": checks}},
    ]}
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(template, sort_keys=False))
    (pack / "tests" / "cases.yaml").write_text(
        "cases:\n  - name: social scoring\n    facts: {purpose: social_scoring}\n    expect: {tier: prohibited}\n")
    return pack
