"""Helpers for hostile-input tests: run govern or a function and measure its time and peak memory.

Memory is the peak resident size of a child process, read with ``os.wait4`` (the
``resource`` usage of that child alone), so it covers C allocations too -- the regex
engine's backtracking stack was one of the blow-ups -- and costs nothing while the work
runs, unlike tracemalloc. Linux only: elsewhere ``ru_maxrss`` has other units and fork
other semantics.
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


def govern(*args: str, cwd: Path, timeout: float = 120) -> Run:
    """`python -m govern ARGS` as a user runs it; peak memory of that process alone."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "govern", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, s=s: output.__setitem__(k, s.read()))
               for k, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): wait4 also gives this child's rusage
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    for stream in (proc.stdout, proc.stderr):
        stream.close()  # type: ignore[union-attr]
    return Run(proc.returncode, output["out"], output["err"], time.perf_counter() - started,
               usage.ru_maxrss / 1024)


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn`` in a forked child: (its JSON-able result, seconds, peak MiB the child added).

    An exception in the child comes back as ``{"crash": traceback}`` so the caller can fail
    with it; a child killed by the kernel comes back as ``{"killed": status}``.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        status = 0
        try:
            os.close(read)
            started = time.perf_counter()
            try:
                result = fn()
            except BaseException:  # noqa: BLE001 - reported to the parent as data
                result = {"crash": traceback.format_exc()}
            payload = json.dumps({"result": result, "seconds": time.perf_counter() - started})
            with os.fdopen(write, "w") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as inp:
        payload = inp.read()
    _, status, usage = os.wait4(pid, 0)
    if not payload:
        return {"killed": status}, float("nan"), usage.ru_maxrss / 1024
    data = json.loads(payload)
    return data["result"], data["seconds"], usage.ru_maxrss / 1024
