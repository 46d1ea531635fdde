"""WeasyPrint in a forked process that starts while the report's data is still being read.

A cold `govern report` spends 0.4 s importing WeasyPrint (cffi parsing the declarations of
Pango and HarfBuzz, fontTools) before it can lay anything out, and longer than that before it
has HTML to lay out: opening the store, loading the pack and the evidence, building the view
model. The two waits do not depend on each other. On a machine with a second core, a child
forked when the command starts imports WeasyPrint meanwhile and later turns the HTML into
PDF bytes, while the parent does everything else exactly as before. Only strings cross the
pipes: the HTML and the attachments' texts go in, the PDF bytes come out.

The fork happens only where it is safe and useful: POSIX ``fork``, WeasyPrint and Jinja2
installed, no other thread running (a fork copies only the calling thread, and whatever locks
the others held), more than one CPU usable. Otherwise there is no worker, and whenever the
child fails or is gone, the caller runs :func:`govern.report.render.html_to_pdf` itself, so an
error is raised exactly as it would be without the worker. The bytes do not depend on
where the layout ran: the same function runs on the same input (the reproducibility test
renders in separate processes and compares them).
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import os
import signal
import struct
import sys
import threading
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct(">Q")


class PdfWorker:
    """A forked child holding WeasyPrint, ready for one `html_to_pdf` call."""

    def __init__(self, pid: int, requests: int, replies: int) -> None:
        self._pid = pid
        self._requests: int | None = requests
        self._replies: int | None = replies
        self._answered = False

    @classmethod
    def start(cls) -> "PdfWorker | None":
        """Fork the child now, or None where a fork is unsafe or would not help (see the module's docstring)."""
        if not hasattr(os, "fork") or threading.active_count() > 1 or _usable_cpus() < 2:
            return None
        if importlib.util.find_spec("weasyprint") is None or importlib.util.find_spec("jinja2") is None:
            return None  # the in-process path says which extra is missing
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; its work is checked through the parent
            os.close(request_write)
            os.close(reply_read)
            _child(request_read, reply_write)
        os.close(request_read)
        os.close(reply_write)
        return cls(pid, request_write, reply_read)

    def pdf(self, html: str, *, moment: _dt.datetime, attachments: Any = (),
            templates: Path | str | None = None, tagged: bool = True) -> bytes | None:
        """What :func:`govern.report.render.html_to_pdf` returns for these arguments, laid out by the
        child; None if it failed or is gone, and the caller renders in-process (the worker is used once)."""
        return self._ask({"html": html, "moment": moment.isoformat(), "attachments": [list(a) for a in attachments],
                          "templates": None if templates is None else str(templates), "tagged": tagged})

    def _ask(self, request: dict[str, Any]) -> bytes | None:
        """The child's PDF for ``request``, or None if it failed or is gone (the caller renders itself)."""
        if self._requests is None or self._replies is None:
            return None
        try:
            _send(self._requests, json.dumps(request).encode("utf-8"))
            os.close(self._requests)
            self._requests = None
            status = _read_exactly(self._replies, 1)
            payload = _receive(self._replies)
            self._answered = True
        except OSError:
            return None
        finally:
            self.close()
        return payload if status == b"P" else None

    def close(self) -> None:
        """Reap the child; one that has not answered (unused, or the parent interrupted) is stopped at once.

        It holds nothing of ours and writes nothing but to its pipe, so stopping it loses nothing.
        """
        for fd in (self._requests, self._replies):
            if fd is not None:
                os.close(fd)
        self._requests = self._replies = None
        if self._pid:
            if not self._answered:
                try:
                    os.kill(self._pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(self._pid, 0)
            self._pid = 0


def _child(requests: int, replies: int) -> None:  # pragma: no cover - runs in the forked child
    """Import WeasyPrint, wait for the one request, answer it; never return into the parent's code."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        from govern.report.render import html_to_pdf, load_weasyprint

        load_weasyprint()
        raw = _receive(requests)
        if raw is None:
            os._exit(0)  # the parent needed no PDF after all
        request = json.loads(raw)
        pdf = html_to_pdf(request["html"], moment=_dt.datetime.fromisoformat(request["moment"]),
                          attachments=[tuple(a) for a in request["attachments"]],
                          templates=request["templates"], tagged=request["tagged"])
        _send(replies, pdf, status=b"P")
    except BaseException:  # the parent renders in-process and raises the error there, as without a worker
        code = 1
        try:
            _send(replies, b"", status=b"E")
        except OSError:
            pass
    finally:
        os._exit(code)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _send(fd: int, payload: bytes, *, status: bytes = b"") -> None:
    data = status + _LENGTH.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _receive(fd: int) -> bytes | None:
    """One length-prefixed message; None on a pipe closed before one began."""
    head = _read_exactly(fd, _LENGTH.size)
    if not head:
        return None
    (length,) = _LENGTH.unpack(head)
    return _read_exactly(fd, length)


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            if chunks:
                raise OSError("the PDF worker's message was cut short")
            return b""
        chunks += chunk
    return bytes(chunks)
