"""`history` and `status` say what the numbers and times they print are: audit event numbers, wall-clock `recorded`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.cli.test_cli import CREDIT, MINI, ROOT, govern

EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"


def _check(database: str, use_case: Path, *extra: str) -> None:
    result = govern("check", str(use_case), "-p", str(MINI), "-e", str(EVIDENCE),  # today (UTC): recorded
                    "--database", database, *extra)
    assert result.returncode in (0, 1), result.stderr


def test_history_and_status_number_records_by_audit_event_and_say_when_nothing_may_enter(tmp_path):
    from govern.record.store import Store
    from tests.record import factory

    social = tmp_path / "social.yaml"
    social.write_text(CREDIT.read_text().replace("id: consumer-credit", "id: social-score")
                      .replace("purpose: credit_scoring", "purpose: social_scoring"))
    database = f"sqlite:///{tmp_path / 'govern.db'}"  # its own store: event numbers start at 1
    _check(database, CREDIT, "--target", "validation")  # event 1 registers the policy, event 2 is this
    with Store.open(database) as store:
        row_id = store.add_signed(factory.signoff("consumer-credit"))  # event 3, but row 1 of its table
    assert row_id == 1
    _check(database, social)  # event 4: evaluation 2

    history = govern("history", "consumer-credit", "--database", database)
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[1].startswith("event #2  recorded 20") and "  evaluation 1  model " in lines[1]
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert lines[2] in {f"    validation: allowed; may enter validation  [high]  as of {day}"
                        for day in (today, (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat())}
    assert "  event #3  signed 2026-05-30  sign-off production/validator by alice: approve" in history.stdout
    data = json.loads(govern("history", "consumer-credit", "-f", "json", "--database", database).stdout)
    assert data["evaluations"][0]["event"] == 2 and data["signed_records"][0]["event"] == 3

    prohibited = govern("history", "social-score", "--database", database).stdout
    assert prohibited.splitlines()[1].startswith("event #4  recorded ")
    assert "deployment: blocked; no stage allowed  [prohibited]" in prohibited and "(no stage)" not in prohibited

    status = govern("status", "--as-of", "2026-06-01", "--database", database).stdout
    assert "    may enter validation   last check: validation allowed, recorded 20" in status
    assert "    no stage allowed   last check: deployment blocked, recorded 20" in status
    assert "(no stage)" not in status and " on 20" not in status
