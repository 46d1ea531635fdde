"""Where notices go: one module per kind of channel, each turning a failure into a :class:`DeliveryError`
that says whether trying again could help (a 503 or a dropped connection) or not (a 404, a refused login)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govern.notify.config import Channel
    from govern.notify.due import Notice


class DeliveryError(Exception):
    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


def send(channel: "Channel", notice: "Notice", timeout: float) -> str:
    """Deliver one notice; returns what the receiver said (e.g. ``HTTP 200``), else raises DeliveryError."""
    if channel.type == "webhook":
        from govern.notify.channels.webhook import send as send_webhook

        return send_webhook(channel, notice, timeout)
    from govern.notify.channels.email import send as send_email

    return send_email(channel, notice, timeout)
