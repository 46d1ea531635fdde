"""When Python's cyclic garbage collector runs: not while govern builds what lives until the end.

Most of what a cold command allocates is never garbage. Importing pydantic, lark and click,
then pandas, scipy and scikit-learn for data checks (or WeasyPrint for a report), and loading
the policy pack, make hundreds of thousands of objects that all live until the process ends.
The collector still walks the young ones every few thousand allocations and promotes them, to
find nothing: 90 ms of a cold `govern check` with data checks and 140 ms of a report, measured
with the generation-0 threshold already at 10,000. A batch of recorded decisions is the same
story.

Two ways out, both bounded:

* ``paused()`` around a batch that makes no reference cycles (refcounting frees it all);
* ``pause_start_up()`` from a front end before a one-shot command starts, and
  ``start_up_over()`` where the work on evidence (the evaluator) or on the report's layout
  begins. Everything alive at that moment is frozen -- moved out of the collector's sight,
  as `gc.freeze` does before a fork -- and the collector runs again, so the cycles the work
  itself makes (pandas, WeasyPrint's boxes) are collected as usual. ``start_up_done()``
  undoes both for a caller that keeps running (tests calling the CLI in-process).

Nothing here changes what a program computes; only when memory held by cycles is reclaimed.
A library caller never paused anything, and then ``start_up_over()`` does nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_start_up = {"paused": False, "frozen": False}


def pause_start_up() -> None:
    """Stop collecting until ``start_up_over()``; only if the collector was running."""
    if gc.isenabled():
        gc.disable()
        _start_up["paused"] = True


def start_up_over() -> None:
    """Freeze what start-up built and collect again from here on (no-op unless paused)."""
    if _start_up["paused"]:
        _start_up["paused"] = False
        gc.freeze()
        _start_up["frozen"] = True
        gc.enable()


def start_up_done() -> None:
    """Back to the collector as it was before ``pause_start_up()``, frozen objects included."""
    if _start_up["paused"]:
        _start_up["paused"] = False
        gc.enable()
    if _start_up["frozen"]:
        _start_up["frozen"] = False
        gc.unfreeze()


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for a bounded piece of work, if it was running; restored even on error.

    For work that allocates many small objects, none in reference cycles (a batch of recorded
    decisions: rows, events, canonical JSON): refcounting frees them all, while the collector
    would walk every object the caller holds, an eighth of a batch's CPU time.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
