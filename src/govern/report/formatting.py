"""How values are written in the report: one formatter per kind of value, shared by every section.

Kept apart from the sections so a number, a digest or a date reads the same on the cover, in
a table and in the appendix, and so the Jinja2 environment can expose exactly these as
filters (``fmt``, ``pct``, ``short``, ``when``, ``pvalue``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
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


# C0 and C1 controls (tab, newline and carriage return are whitespace and stay), lone surrogates
# (possible in JSON from the store) and the two non-characters XML forbids.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with every character HTML, SVG or the PDF cannot carry replaced by U+FFFD.

    Names, labels and messages come from untrusted policy and evidence files. A control
    character would make the diagrams' SVG invalid XML (the figure silently disappears) and
    is not allowed in HTML; replacing it with the replacement character, which the shipped
    font has, keeps it visible instead of dropping it. Returns ``text`` itself when there is
    nothing to replace.
    """
    return _UNPRINTABLE.sub("\ufffd", text) if _UNPRINTABLE.search(text) else text


#: a run of this many characters without a space is not a word: no name, path or digest the
#: report prints (a ``sha256:`` digest is 71 characters) is that long unless it is hostile
LONG_RUN = 80
_LONG = re.compile(r"[^\s\u200b]{%d,}" % LONG_RUN)
_EVERY_10 = re.compile(r"(.{10})(?=.)", re.S)


def breakable(text: str) -> str:
    """``text`` with a zero-width space every 10 characters inside runs of :data:`LONG_RUN` or more.

    CSS ``overflow-wrap: break-word`` wraps such a run in a paragraph, but a table sizes a
    column to fit its longest unbreakable run, so a 300-character name without spaces would
    push a table off the page; ``overflow-wrap: anywhere`` would fix that only by letting
    every table break ordinary words too. The zero-width space is a break opportunity that
    draws nothing and is not in the PDF's text (copying the name copies the name). Shorter
    runs are left alone, so ordinary content lays out exactly as before.
    """
    if len(text) < LONG_RUN or not _LONG.search(text):
        return text
    return _LONG.sub(lambda m: _EVERY_10.sub("\\1\u200b", m.group(0)), text)
