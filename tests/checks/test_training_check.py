"""`training` check (MLOps template step 7, engage and educate): dated records of the role holders."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

import govern
from govern.evaluate.pipeline import check

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
AS_OF = dt.date(2026, 6, 1)


def _run(tmp_path: Path, records: dict[str, str], params: dict) -> dict:
    pack = tmp_path / "pack"
    shutil.copytree(MINI, pack)
    template = {"stages": [
        {"id": "development", "raci": {"data_scientist": "A/R"}},
        {"id": "validation", "raci": {"validator": "A/R"}, "gate": {"checks": [
            {"id": "trained", "kind": "training", "params": params}]}},
    ]}
    (pack / "templates" / "high.yaml").write_text(yaml.safe_dump(template, sort_keys=False))
    policy = govern.load_policy(pack)
    use_case = govern.load_use_case(pack / "use_cases" / "credit.yaml", policy)
    evidence = tmp_path / "evidence"
    (evidence / "training").mkdir(parents=True)
    (evidence / "model_card.md").write_text("---\nname: synthetic\n---\n# Synthetic\n")
    files = []
    for name, text in records.items():
        (evidence / "training" / name).write_text(text)
        files.append({"path": f"training/{name}", "role": "training_record"})
    (evidence / "manifest.yaml").write_text(yaml.safe_dump({"bundle": "b", "model": {"name": "m", "version": "1"},
                                                            "files": files}))
    decision = check(policy, use_case, evidence, target="validation", as_of=AS_OF)
    (result,) = [c for c in decision.checks if c.id == "trained"]
    return result


REGISTER = """records:
  - {person: alice, date: 2026-01-10, course: Governance process and ethical position}
  - {person: victor, date: 2024-03-01, course: Model validation standards}
  - {person: rita, date: 2026-07-01, course: Scheduled for July}
"""


def test_every_holder_needs_a_recent_dated_record(tmp_path):
    got = _run(tmp_path, {"register.yaml": REGISTER, "vera.yaml":
                          "person: vera\ndate: 2025-09-30\ncourse: Model validation standards\n"},
               {"roles": ["data_scientist", "validator", "risk_officer"], "max_age_days": 365})
    assert got.status == "failed"
    # rita's record is dated after the evaluation: not yet done; victor's is over a year old
    assert got.measured["missing"] == ["rita"] and got.measured["stale"] == ["victor (2024-03-01)"]
    assert (got.measured["people"], got.measured["trained"]) == (4, 2)
    assert sorted(e.path for e in got.evidence) == ["training/register.yaml", "training/vera.yaml"]


def test_all_trained_passes(tmp_path):
    got = _run(tmp_path, {"register.yaml": REGISTER}, {"roles": ["data_scientist"], "max_age_days": 365})
    assert got.status == "passed" and got.message == "1 role holder trained"


def test_a_malformed_record_is_an_error_at_its_line(tmp_path):
    got = _run(tmp_path, {"bad.yaml": "records:\n  - {person: alice, date: '2026-01-10', course: x}\n"},
               {"roles": ["data_scientist"]})
    assert got.status == "error"
    assert "`date` must be an unquoted ISO date" in got.message and "bad.yaml:2:" in got.message


def test_nobody_holding_the_roles_is_not_a_pass(tmp_path):
    pack_roles = ["business_owner"]  # declared in the mini pack, held by nobody
    got = _run(tmp_path, {"register.yaml": REGISTER}, {"roles": pack_roles})
    assert got.status == "failed" and "nobody in the pack holds business_owner" in got.message
