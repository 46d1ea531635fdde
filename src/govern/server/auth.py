"""Who is asking, and what their role lets them see.

Credentials, in this order:

1. ``Authorization: Bearer gvt_…`` (scripts, CI) or the ``govern_token`` cookie the login page
   sets (browsers) -- a token from `govern tokens create`, looked up by its sha256; failures
   count against the client address (:mod:`govern.server.ratelimit`);
2. the trusted header (``--trusted-header X-Forwarded-Email``) -- only on a connection from a
   ``--trusted-proxy`` address, where an authenticating reverse proxy set it; from anywhere
   else it is ignored, so nobody can name themselves by sending it;
3. anonymous, with ``--allow-anonymous``, which `govern serve` accepts only on loopback.

Roles are ordered: a viewer sees the inventory, the queue, what expires and the packs; an
auditor also decisions, evidence digests, reports and the audit log; an admin also tokens.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from govern.server.settings import ROLES, ConsoleSettings

RANK = {role: n for n, role in enumerate(ROLES)}
TOKEN_COOKIE = "govern_token"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    via: str  # token | cookie | header | anonymous

    def may(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def ambient(self) -> bool:
        """Credentials a browser sends by itself (cookie, proxy header, nothing): forms need a CSRF token."""
        return self.via != "token"

    @property
    def logged(self) -> bool:
        """Every request of an auditor (or admin, who sees as much) is written to the access log."""
        return self.may("auditor")


class AuthError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def from_proxy(settings: ConsoleSettings, peer: str | None) -> bool:
    if not peer or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in settings.proxy_networks())


def loopback(peer: str | None) -> bool:
    try:
        return peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False
