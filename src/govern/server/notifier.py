"""The console sends notifications itself: `govern notify`'s pass, on a timer, beside the server.

Why here and not a second implementation: the pass (what is due, who was already told, retries)
is :func:`govern.notify.run.notify`: passes take turns on a lock of the store's own, and "each
notice once" is decided by the `notification` events in the log. So the console and a cron job
running `govern notify` against the same store never send a notice twice, and either may be
switched off without the other missing anything.

A failing pass is reported on standard error and retried at the next tick; it never stops the
console. The configuration is read once, at start-up, so a bad file is exit 2 before serving.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from govern.notify.config import NotifyConfig
    from govern.notify.delivery import Outcome
    from govern.policy.pack import Policy
    from govern.record.store import Store


class Notifier:
    """Run a notification pass every ``every`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(self, store: "Store", config: "NotifyConfig", policies: Sequence["Policy"], every: float,
                 report: Callable[[str], None] | None = None) -> None:
        self.store, self.config, self.policies, self.every = store, config, list(policies), every
        self._report = report or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="govern-notify", daemon=True)
        self.passes = 0

    def run_once(self) -> "Outcome":
        from govern.notify.run import notify

        outcome = notify(self.store, self.config, policies=self.policies, sleep=self._stop.wait)
        self.passes += 1
        return outcome

    def start(self) -> "Notifier":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
                failed = [a for a in outcome.attempted if not a.ok]
                sent = sum(1 for a in outcome.attempted if a.ok)
                if sent or failed:
                    self._report(f"govern notify: {sent} sent, {len(failed)} failed")
            except Exception as exc:  # noqa: BLE001 - a pass that fails is retried at the next tick
                self._report(f"govern notify: pass failed ({type(exc).__name__}: {exc}); retrying in "
                             f"{self.every:g} s")
            self._stop.wait(self.every)
