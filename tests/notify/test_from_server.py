"""The console sends notifications too (`govern serve --notify-config`): the same pass on a timer,
each notice once across its passes and a cron `govern notify` on the same store, even at once."""

from __future__ import annotations

import os
import textwrap
import threading
import time

from tests.sign.conftest import govern


def test_the_console_and_a_cron_run_at_the_same_time_send_each_notice_once(tmp_path, pack, use_case, receiver):
    from govern.load.pack import load_policy
    from govern.notify.config import load_config
    from govern.record.store import Store
    from govern.server.notifier import Notifier

    config_file = tmp_path / "notify.yaml"
    config_file.write_text(textwrap.dedent(f"""\
        events: [request_opened]
        channels:
          - {{name: hook, type: webhook, url: "{receiver.url('/console')}"}}
        """))
    for person in ("victor", "vera"):
        made = govern("request", use_case, "-p", pack, "--gate", "production", "--role", "validator",
                      "--person", person)
        assert made.code == 0, made.err
    lines: list[str] = []
    with Store.open(os.environ["GOVERN_DATABASE_URL"]) as store:
        notifier = Notifier(store, load_config(config_file), [load_policy(pack)], every=0.05,
                            report=lines.append).start()
        cron = threading.Thread(target=lambda: govern("notify", "--config", config_file))
        cron.start()  # the same pass from outside, racing the console's: passes take turns
        cron.join(60)
        deadline = time.monotonic() + 60
        while (notifier.passes < 3 or len(receiver.received) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        notifier.stop()
    assert notifier.passes >= 3
    keys = sorted(r.json()["key"] for r in receiver.received)
    assert len(keys) == 2 and len(set(keys)) == 2, keys  # two requests, each announced once
    assert not [line for line in lines if not line.endswith(" 0 failed")], lines
    cron = govern("notify", "--config", config_file, "-f", "json")  # what the console sent, cron knows
    assert cron.code == 0 and cron.json()["sent"] == [] and cron.json()["already_sent"] == 2, cron.out + cron.err
    assert len(receiver.received) == 2


def test_a_bad_notification_file_stops_the_console_before_it_serves(tmp_path):
    bad = tmp_path / "notify.yaml"
    bad.write_text("channels:\n  - {name: hook, type: pigeon}\n")
    result = govern("serve", "--notify-config", bad, "--port", "0")
    assert result.code == 2, result.out + result.err
    assert "notify.yaml:2" in result.err
