"""The delivery log and retries: each notice goes to each channel once, and a failure is tried again, boundedly.

A delivered notice is recorded as an audit event of kind ``notification`` whose subject is
``<channel>|<notice key>`` -- the pair the log keys on, found through the events' (kind,
subject) index -- and whose payload says what was sent, about which event, when, and what the
receiver answered. Before sending, the pass reads which pairs are already in the log; after a
success it appends the event, again only if the pair is still absent (decided under the
store's write lock, so two concurrent runs record one event). A run that dies between the
send and the record sends that notice again next time: delivery is at least once, and
``X-Govern-Delivery`` lets a receiver drop the rare duplicate. Failures are not recorded:
the next run simply tries again.

Retries back off exponentially (``backoff_seconds`` doubled each time, capped at
``max_backoff_seconds``, a receiver's ``Retry-After`` honoured up to the cap) for at most
``attempts`` tries; errors that cannot heal (a 404, a refused login, a bad certificate)
stop at once. Error texts pass through :func:`redact`, so a secret a server echoes back is
never printed.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from govern.notify.channels import DeliveryError, send

if TYPE_CHECKING:
    from govern.notify.config import Channel, NotifyConfig, Retry
    from govern.notify.due import Notice
    from govern.record.store import Store

KIND = "notification"
UTC = _dt.timezone.utc


def subject(channel: str, key: str) -> str:
    return f"{channel}|{key}"


def sent(store: "Store") -> set[str]:
    """Every (channel, notice key) pair the log says was delivered, as :func:`subject` strings.

    Read from the events' subject column alone: an event edited to fake a delivery breaks its
    hash, which `audit verify` reports (and `govern notify` then sends as an audit failure).
    """
    from sqlalchemy import select

    from govern.record.engine import read
    from govern.record.tables import EVENT

    with read(store.engine) as conn:
        return set(conn.execute(select(EVENT.c.subject).where(EVENT.c.kind == KIND)).scalars())


def record(store: "Store", channel: "Channel", notice: "Notice", answer: str, attempts: int) -> int | None:
    """Append the 'notification sent' event (None if a concurrent run recorded the same pair first)."""
    now = _dt.datetime.now(UTC)
    return store.record_event(KIND, subject(channel.name, notice.key), {
        "record": KIND, "key": notice.key, "kind": notice.kind, "channel": channel.name,
        "channel_type": channel.type, "use_case": notice.use_case, "about_event": notice.event,
        "title": notice.title, "sent_at": now.isoformat(), "answer": answer, "attempts": attempts},
        recorded_at=now, unless_subject_exists=True)


@dataclass
class Attempted:
    notice: "Notice"
    channel: str
    ok: bool
    attempts: int
    answer: str  # what the receiver said, or why it failed (redacted)
    event: int | None = None  # the 'notification sent' event
    transient: bool = False  # failed with an error retries could have healed: the receiver is down


    def to_dict(self) -> dict[str, Any]:
        return {"key": self.notice.key, "kind": self.notice.kind, "use_case": self.notice.use_case,
                "channel": self.channel, "ok": self.ok, "attempts": self.attempts, "answer": self.answer,
                "event": self.event}


@dataclass
class Outcome:
    """One pass: what was due, what was sent or would be (dry run), what failed, what was already sent."""

    due: list["Notice"] = field(default_factory=list)
    attempted: list[Attempted] = field(default_factory=list)
    planned: list[tuple["Notice", str]] = field(default_factory=list)  # dry run: (notice, channel)
    already: int = 0
    warnings: list[str] = field(default_factory=list)
    #: not tried in this run (a channel that is down, or over max_per_run): (notice, channel, why)
    deferred: list[tuple["Notice", str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[Attempted]:
        return [a for a in self.attempted if not a.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"due": [n.to_dict() for n in self.due], "sent": [a.to_dict() for a in self.attempted if a.ok],
                "failed": [a.to_dict() for a in self.failed],
                "would_send": [{"key": n.key, "kind": n.kind, "channel": c} for n, c in self.planned],
                "deferred": [{"key": n.key, "kind": n.kind, "channel": c, "why": why} for n, c, why in self.deferred],
                "already_sent": self.already, "warnings": self.warnings}


def redact(text: str, secrets: Iterable[str]) -> str:
    for value in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def deliver(store: "Store", config: "NotifyConfig", notices: Iterable["Notice"], *, dry_run: bool = False,
            sleep: Callable[[float], None] = time.sleep, outcome: Outcome | None = None) -> Outcome:
    """Send every notice to every channel that wants its kind and has not had it yet.

    The time a pass takes is bounded: a channel whose delivery failed after all its retries
    with an error that retries could have healed (the receiver is down) is not tried again in
    this pass, and a channel gets at most ``max_per_run`` deliveries per pass (in the order
    :func:`~govern.notify.due.due` gives: audit failures, then requests, then the inventory),
    so a first run over a large store does not flood it. What is held back is in
    ``outcome.deferred`` and goes out on a later run.
    """
    outcome = outcome or Outcome()
    done = sent(store)
    secrets = config.secret_values()
    down: dict[str, str] = {}
    tried: dict[str, int] = {}
    for notice in notices:
        outcome.due.append(notice)
        for channel in config.channels:
            if not channel.takes(notice):
                continue
            if subject(channel.name, notice.key) in done:
                outcome.already += 1
                continue
            if channel.name in down:
                outcome.deferred.append((notice, channel.name, f"not tried: the channel failed earlier in this run "
                                                               f"({down[channel.name]})"))
                continue
            if tried.get(channel.name, 0) >= config.max_per_run:
                outcome.deferred.append((notice, channel.name, f"held for the next run: max_per_run is "
                                                               f"{config.max_per_run}"))
                continue
            tried[channel.name] = tried.get(channel.name, 0) + 1
            if dry_run:
                outcome.planned.append((notice, channel.name))
                continue
            result = attempt(channel, notice, config.retry, secrets, sleep)
            if result.ok:
                result.event = record(store, channel, notice, result.answer, result.attempts)
                done.add(subject(channel.name, notice.key))
            elif result.transient:
                down[channel.name] = result.answer
            outcome.attempted.append(result)
    return outcome


def attempt(channel: "Channel", notice: "Notice", retry: "Retry", secrets: list[str],
            sleep: Callable[[float], None]) -> Attempted:
    """Up to ``retry.attempts`` tries with exponential backoff; stops early on an error that cannot heal."""
    delay = retry.backoff_seconds
    for n in range(1, retry.attempts + 1):
        try:
            answer = send(channel, notice, retry.timeout_seconds)
            return Attempted(notice, channel.name, True, n, redact(answer, secrets))
        except DeliveryError as exc:
            why = redact(str(exc), secrets)
            if not exc.retry or n == retry.attempts:
                return Attempted(notice, channel.name, False, n, why, transient=exc.retry)
            wait = min(max(delay, exc.retry_after or 0.0), retry.max_backoff_seconds)
            sleep(wait)
            delay *= 2
    raise AssertionError("unreachable: attempts >= 1")
