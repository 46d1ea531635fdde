"""Webhooks: a generic JSON body, or one Slack or Microsoft Teams accept as an incoming-webhook message.

The generic body is the notice itself (kind, key, use case, title, text, the audit event it is
about, details) under ``"govern": 1``, so a receiver can route on fields rather than parse
prose. ``slack`` is an incoming-webhook message (``text`` plus a Block Kit section); ``teams``
is the message envelope with an Adaptive Card that Teams workflows ("post to a channel when a
webhook request is received") accept. Every request carries ``X-Govern-Delivery`` (the notice
key and channel: the same on a retry, so a receiver can drop duplicates) and, if the channel
names a ``secret_env``, ``X-Govern-Signature: sha256=<HMAC of the body>``.

Redirects are not followed (a POST turned into a GET would "succeed" without delivering), and
no part of the URL appears in any message: for Slack and Teams the URL is the credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from govern.notify.channels import DeliveryError

if TYPE_CHECKING:
    from govern.notify.config import Channel
    from govern.notify.due import Notice

#: worth another try: the receiver is overloaded, restarting or rate-limiting us
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def body(notice: "Notice", fmt: str) -> dict[str, Any]:
    if fmt == "slack":
        return {"text": f"{notice.title}: {notice.text}",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                        "text": f"*{_slack(notice.title)}*\n{_slack(notice.text)}"}}]}
    if fmt == "teams":
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": [
                    {"type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium", "wrap": True},
                    {"type": "TextBlock", "text": notice.text, "wrap": True}]}
        return {"type": "message", "text": notice.title,
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    return {"govern": 1, **notice.to_dict()}


def _slack(text: str) -> str:
    """Slack's three control characters, escaped: names from a store must not become mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx surfaces as an HTTPError


def send(channel: "Channel", notice: "Notice", timeout: float) -> str:
    spec = channel.spec
    url = channel.secrets.get("url_env") or getattr(spec, "url", None)
    if not url or not url.startswith(("https://", "http://")):
        raise DeliveryError("no http(s) URL", retry=False)
    data = json.dumps(body(notice, getattr(spec, "format", "json")), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    from govern import __version__

    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"govern/{__version__}",
               "X-Govern-Event": notice.kind, "X-Govern-Delivery": f"{notice.key}@{channel.name}"}
    if "token_env" in channel.secrets:
        headers["Authorization"] = f"Bearer {channel.secrets['token_env']}"
    if "secret_env" in channel.secrets:
        mac = hmac.new(channel.secrets["secret_env"].encode("utf-8"), data, hashlib.sha256).hexdigest()
        headers["X-Govern-Signature"] = f"sha256={mac}"
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked above
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        retry_after = _seconds(exc.headers.get("Retry-After") if exc.headers else None)
        raise DeliveryError(f"HTTP {exc.code}", retry=exc.code in RETRY_STATUS, retry_after=retry_after) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach the receiver: {type(reason).__name__}: {reason}", retry=True) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}", retry=False)
    return f"HTTP {status}"


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
