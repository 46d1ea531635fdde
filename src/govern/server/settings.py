"""What `govern serve` was told: store, packs, who is trusted, and the checks that refuse unsafe combinations.

Refusals are usage errors (exit 2) raised before the server binds: anonymous access on an
address other than loopback, a trusted header without the proxy addresses it may come from.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from govern.errors import Diagnostic, InputError

ROLES = ("viewer", "auditor", "admin")
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ConsoleSettings:
    database: str | None = None
    policies: list[Path] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8321
    #: header an authenticating reverse proxy sets to the user's identity (e.g. X-Forwarded-Email)
    trusted_header: str | None = None
    #: addresses (or networks) of that proxy: the header is believed only on connections from them
    trusted_proxies: list[str] = field(default_factory=list)
    #: identity → role for people arriving through the trusted header; others get ``header_role``
    header_roles: dict[str, str] = field(default_factory=dict)
    header_role: str = "viewer"
    allow_anonymous: bool = False
    #: what an anonymous (loopback-only) visitor may see: your own machine, your own audit
    anonymous_role: str = "auditor"
    #: failed token checks per client address per minute before it is refused (HTTP 429)
    token_failures_per_minute: int = 10
    expiring_within: int = 30
    page_size: int = 50

    def check(self) -> "ConsoleSettings":
        problems = []
        if self.allow_anonymous and not is_loopback(self.host):
            problems.append(Diagnostic(
                "serve-anonymous-not-loopback", f"--allow-anonymous is only allowed on loopback, not on --host {self.host}",
                hint="serve on 127.0.0.1 (the default), or give people tokens (`govern tokens create`)"))
        if self.trusted_header and not self.trusted_proxies:
            problems.append(Diagnostic(
                "serve-header-without-proxy", f"--trusted-header {self.trusted_header} needs --trusted-proxy ADDRESS",
                hint="name the reverse proxy's address(es): the header is believed only on its connections"))
        if self.trusted_proxies and not self.trusted_header:
            problems.append(Diagnostic("serve-proxy-without-header", "--trusted-proxy without --trusted-header",
                                       hint="add --trusted-header X-Forwarded-Email (the header the proxy sets)"))
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                problems.append(Diagnostic("serve-bad-proxy", f"--trusted-proxy {proxy!r} is not an IP address or "
                                           "network", hint="e.g. 10.0.0.5 or 10.0.0.0/24"))
        for who, role in list(self.header_roles.items()) + [("(default)", self.header_role),
                                                             ("(anonymous)", self.anonymous_role)]:
            if role not in ROLES:
                problems.append(Diagnostic("serve-bad-role", f"role {role!r} for {who} is not one of "
                                           f"{', '.join(ROLES)}"))
        if problems:
            raise InputError(problems)
        return self

    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies]
