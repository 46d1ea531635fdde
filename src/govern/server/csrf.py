"""Cross-site request forgery: every state-changing request a browser could be tricked into sending
must carry a secret a foreign page cannot read.

Double-submit: a random ``govern_csrf`` cookie (``SameSite=Strict``, ``HttpOnly``) is set on the
first response; every form carries the same value in a hidden ``csrf`` field, and API calls with
ambient credentials (cookie, proxy header, anonymous) in an ``X-CSRF-Token`` header. A request
with a bearer token in its Authorization header is exempt: browsers never add one on their own.
"""

from __future__ import annotations

import hmac
import secrets

COOKIE = "govern_csrf"
FIELD = "csrf"
HEADER = "x-csrf-token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie) and bool(submitted) and hmac.compare_digest(str(cookie), str(submitted))
