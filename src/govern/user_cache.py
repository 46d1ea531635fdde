"""The per-user folder where govern keeps what it can rebuild but would rather not on every start.

Two things live there, both derived from files shipped with govern (or chosen by the user):
the rule grammar's LALR tables, which lark pickles (~60 ms to rebuild), and the report
templates compiled by Jinja2, which it marshals (~0.1 s to recompile). Loading either runs what
the file says, so the folder is used only if this user owns it and nobody else can write to
it -- the same trust boundary as the user's own site-packages -- and never from a policy or
evidence location. Entries are keyed by a digest of their source, so an edited grammar or
template is rebuilt, never served stale. ``GOVERN_NO_CACHE=1`` turns the folder off.
"""

from __future__ import annotations

import os
import stat


def private_cache_dir(name: str) -> str | None:
    """``$XDG_CACHE_HOME/govern/<name>`` (default ``~/.cache``), made private; None if it cannot be trusted."""
    if os.environ.get("GOVERN_NO_CACHE") or os.environ.get("GOVERN_NO_PARSER_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "govern")
    if not hasattr(os, "getuid"):
        return None
    for path in (folder, os.path.join(folder, name)):
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.stat(path)
        except OSError:
            return None
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
    return os.path.join(folder, name)
