"""Helpers for hostile-input tests: run govern or a function and measure its time and peak memory.

Memory is the peak resident size of a child process (``VmHWM`` in ``/proc/self/status``, which
the child reports itself), so it covers C allocations too -- the regex engine's backtracking
stack was one of the blow-ups -- and costs nothing while the work runs, unlike tracemalloc.
Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's high-water mark across fork and
exec into it, so in a long test session a child would be charged for pytest's own memory.
Linux only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
CREDIT = MINI / "use_cases" / "credit.yaml"

linux_only = pytest.mark.skipif(sys.platform != "linux",
                                reason="peak memory is read with Linux wait4 semantics")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def mini_pack(tmp_path: Path, rules: str | dict[str, str] | None = None,
              edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """A copy of the mini pack with extra rules files (text of `rules/zz.rules`, or {name: text})
    and `{file: (old, new)}` replacements."""
    pack = tmp_path / "mini"
    shutil.copytree(MINI, pack)
    for name, text in ({"zz.rules": rules} if isinstance(rules, str) else rules or {}).items():
        (pack / "rules" / name).write_text(text, encoding="utf-8")
    for name, (old, new) in (edits or {}).items():
        path = pack / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return pack


def _status_mib(field: str) -> float:
    """``VmRSS`` / ``VmHWM`` of this process, in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


#: runs `govern ARGS` and, at exit, writes that process's own peak RSS (MiB) to $PEAK_FILE
_WRAPPER = ("import atexit, os, sys\n"
            "def _peak():\n"
            "    for line in open('/proc/self/status'):\n"
            "        if line.startswith('VmHWM:'):\n"
            "            open(os.environ['PEAK_FILE'], 'w').write(str(int(line.split()[1]) / 1024))\n"
            "atexit.register(_peak)\n"
            "from govern.cli.main import main\n"
            "main(sys.argv[1:])\n")


def govern(*args: str, cwd: Path, timeout: float = 120) -> Run:
    """`govern ARGS` as a user runs it, in its own process; peak memory of that process alone."""
    peak_file = cwd / f".peak-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src"), "PEAK_FILE": str(peak_file)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, s=s: output.__setitem__(k, s.read()))
               for k, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, _ = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    for stream in (proc.stdout, proc.stderr):
        stream.close()  # type: ignore[union-attr]
    peak = float(peak_file.read_text()) if peak_file.exists() else float("nan")  # killed: no report
    peak_file.unlink(missing_ok=True)
    return Run(proc.returncode, output["out"], output["err"], time.perf_counter() - started, peak)


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` in a forked child: (its JSON-able result, CPU seconds, peak MiB the child added to
    what it inherited).

    CPU time, not wall time: the bound is on the work a hostile input can cause, and a loaded CI
    machine (other jobs on two cores) stretches wall time without the input being any worse.

    An exception in the child comes back as ``{"crash": traceback}`` so the caller can fail
    with it; a child killed by the kernel comes back as ``{"killed": status}``.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        status = 0
        try:
            os.close(read)
            inherited = _status_mib("VmRSS")  # the parent's pages this child starts with
            started = time.process_time()
            try:
                result = fn()
            except BaseException:  # noqa: BLE001 - reported to the parent as data
                result = {"crash": traceback.format_exc()}
            payload = json.dumps({"result": result, "seconds": time.process_time() - started,
                                  "peak": _status_mib("VmHWM") - inherited})
            with os.fdopen(write, "w") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as inp:
        payload = inp.read()
    _, status, _ = os.wait4(pid, 0)
    if not payload:
        return {"killed": status}, float("nan"), float("nan")
    data = json.loads(payload)
    return data["result"], data["seconds"], data["peak"]
