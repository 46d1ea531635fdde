"""Response headers every page and API answer carries.

The content security policy allows scripts, styles and images from the console itself only --
no inline script or style anywhere in the templates -- and ``frame-ancestors 'none'`` (with
``X-Frame-Options: DENY`` for older browsers) so no other site can frame a page to trick a click.
Pages are never cached by shared caches: they show who approved what.
"""

from __future__ import annotations

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: an SVG shown through <img> cannot run scripts; its own presentation styles may apply
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def apply(headers, *, https: bool) -> None:  # a MutableHeaders
    headers.setdefault("content-security-policy", CSP)
    for name, value in HEADERS.items():
        headers[name] = value
    headers.setdefault("cache-control", "private, no-cache")
    if https:
        headers["strict-transport-security"] = "max-age=31536000"
