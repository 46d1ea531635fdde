"""A progress line for checks over large data: shown on a terminal, silent in CI logs and pipes."""

from __future__ import annotations

import sys
import threading
from typing import Callable

#: Below this many rows a check finishes before a progress line would help.
LARGE = 200_000


def feature_progress(label: str, total: int, rows: int) -> Callable[[str], None] | None:
    """A callback printing `label: k/total features` on stderr, or None when nobody is watching."""
    if rows < LARGE or total == 0 or not sys.stderr.isatty():
        return None
    done = 0
    lock = threading.Lock()  # features may finish on worker threads

    def advance(name: str) -> None:
        nonlocal done
        with lock:
            done += 1
            sys.stderr.write(f"\r{label}: {done}/{total} features ({name[:30]:<30})")
            if done == total:
                sys.stderr.write("\r" + " " * (len(label) + 50) + "\r")
            sys.stderr.flush()
    return advance
