"""The forked WeasyPrint worker (`govern.report.worker`): the same bytes as in-process, and a
child that fails or is never used costs nothing but the fallback.

Each test runs in a fresh interpreter: the worker forks only a process with a single thread,
which the test runner is not always.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("weasyprint")

PRELUDE = """
import datetime, os, signal, sys, time
from govern.report.render import html_to_pdf
from govern.report.worker import PdfWorker
HTML = "<html><head><title>t</title></head><body><h1>Gate</h1><p>validation: passed</p></body></html>"
ARGS = dict(moment=datetime.datetime(2026, 6, 1), attachments=[("a.txt", "text", "an attachment", "Data")])
"""


def _run(code: str, tmp_path: Path) -> str:
    done = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2, reason="needs fork and 2 CPUs")
def test_the_child_lays_out_the_bytes_the_parent_would(tmp_path: Path) -> None:
    out = _run("""
        worker = PdfWorker.start()
        assert worker is not None
        child_pid = worker._pid
        from_child = worker.pdf(HTML, **ARGS)
        assert from_child is not None and from_child.startswith(b"%PDF-")
        assert from_child == html_to_pdf(HTML, **ARGS)
        try:
            os.kill(child_pid, 0)
            print("child still there")
        except ProcessLookupError:
            print("child reaped")
        assert worker.pdf(HTML, **ARGS) is None  # used once: the caller renders itself
    """, tmp_path)
    assert out.strip() == "child reaped"


@pytest.mark.skipif(not hasattr(os, "fork") or len(os.sched_getaffinity(0)) < 2, reason="needs fork and 2 CPUs")
def test_a_child_gone_or_failing_leaves_the_parent_to_render(tmp_path: Path) -> None:
    _run("""
        killed = PdfWorker.start()
        os.kill(killed._pid, signal.SIGKILL)
        assert killed.pdf(HTML, **ARGS) is None
        failing = PdfWorker.start()  # a bad argument fails in the child: the parent is told, not the child's error
        assert failing.pdf(HTML, moment=ARGS["moment"], attachments=[("only-a-name",)]) is None
        unused = PdfWorker.start()
        started = time.perf_counter()
        unused.close()  # stopped at once, even while it is still importing WeasyPrint
        assert time.perf_counter() - started < 1.0
    """, tmp_path)


def test_no_worker_where_a_fork_would_copy_a_running_thread(tmp_path: Path) -> None:
    _run("""
        import threading
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        try:
            assert PdfWorker.start() is None
        finally:
            stop.set()
    """, tmp_path)
