"""One notification pass: what is due, to which channels, sent once each. `govern notify` and the server call it."""

from __future__ import annotations

import datetime as _dt
import time
from typing import TYPE_CHECKING, Callable, Sequence

from govern.notify.delivery import Outcome, deliver
from govern.notify.due import due

if TYPE_CHECKING:
    from govern.notify.config import NotifyConfig
    from govern.policy.pack import Policy
    from govern.record.store import Store


def notify(store: "Store", config: "NotifyConfig", *, today: _dt.date | None = None, within_days: int | None = None,
           policies: Sequence["Policy"] = (), dry_run: bool = False,
           sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Find what is due (``within_days`` overrides the file's) and deliver it; a dry run sends and records nothing.

    Secrets the file names but the environment lacks stop a real run before anything is sent
    (InputError, exit 2); a dry run lists them as warnings. ``policies`` verify the sign-offs that
    answer requests, so requests already answered are not announced.
    """
    from govern.errors import InputError

    if config.missing and not dry_run:
        raise InputError(list(config.missing))
    kinds = set(config.events) & {k for c in config.channels for k in c.events}
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    within = config.within_days if within_days is None else within_days
    if dry_run:  # sends and records nothing: no need to wait for a pass in progress
        return _pass(store, config, kinds, today, within, policies, dry_run, sleep)
    from govern.record.engine import NOTIFY_LOCK, exclusive

    with exclusive(store.engine, NOTIFY_LOCK):  # one pass at a time per store: each notice goes once
        return _pass(store, config, kinds, today, within, policies, dry_run, sleep)


def _pass(store: "Store", config: "NotifyConfig", kinds: set[str], today: _dt.date, within: int,
          policies: Sequence["Policy"], dry_run: bool, sleep: Callable[[float], None]) -> Outcome:
    notices, warnings = due(store, sorted(kinds), today=today, within_days=within, policies=policies)
    outcome = Outcome(warnings=warnings + [d.message for d in config.missing])
    return deliver(store, config, notices, dry_run=dry_run, sleep=sleep, outcome=outcome)
