"""How values are written in the report: one formatter per kind of value, shared by every section.

Kept apart from the sections so a number, a digest or a date reads the same on the cover, in
a table and in the appendix, and so the Jinja2 environment can expose exactly these as
filters (``fmt``, ``pct``, ``short``, ``when``, ``pvalue``).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any


def short(digest: str | None, n: int = 12) -> str:
    """``sha256:abcdef…`` → ``abcdef123456`` (first n hex digits); '—' when absent."""
    if not digest:
        return "—"
    return str(digest).split(":", 1)[-1][:n]


def fmt(value: Any, digits: int = 3) -> str:
    """A measured value for a table cell: floats to `digits` significant decimals, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u2009") if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if value == 0:
            return "0"
        if abs(value) < 10 ** -digits or abs(value) >= 1e6:
            return f"{value:.{max(digits - 1, 1)}e}"
        if abs(value) >= 100:
            return f"{value:,.1f}".replace(",", "\u2009")
        return f"{value:.{digits}f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {fmt(v, digits)}" for k, v in value.items())
    return str(value)


def pct(value: Any, digits: int = 1) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def pvalue(value: Any) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    if value < 1e-4:
        return "< 0.0001"
    return f"{value:.4f}"


def to_date(value: Any) -> _dt.date | None:
    """A date from a date, a datetime or an ISO string (its first 10 characters); None when unreadable."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return _dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """An ISO timestamp as ``2026-05-20 14:30 UTC``."""
    if not value:
        return "—"
    text = str(value)
    if "T" in text:
        day, _, clock = text.partition("T")
        return f"{day} {clock[:5]} UTC"
    return text


def shown(value: Any) -> str:
    """A fact or parameter value written as the rule language writes it, numbers formatted as in tables."""
    from govern.dsl.printer import value_text

    return value_text(value, fmt)


def human_size(n: int) -> str:
    """A file size as ``12.3 KB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)
