"""The report templates as Jinja2 compiled them last time, kept in the private per-user folder.

Jinja2 compiles every template to Python code on each start (~0.1 s for the report's
templates); its bytecode cache keeps that code, checked against each template's source
(`govern.user_cache` says why the folder can be trusted). The code also depends on the
environment options set in :mod:`govern.report.render`, the Jinja2 version and Python's (which
Jinja2's own header checks), so the file names carry a digest of that module and Jinja2's
version. A cache is only ever an optimisation: an entry that cannot be read or written (a
full or read-only disk, a damaged file) is a miss, never a failed report.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from govern.user_cache import private_cache_dir


class _Tolerant(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache, where a failure to read or write an entry only costs a compilation."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache(render_module: str) -> jinja2.BytecodeCache | None:
    """The cache for templates compiled by the environment ``render_module`` (a file) sets up; None if no folder."""
    folder = private_cache_dir("templates")
    if folder is None:
        return None
    salt = hashlib.sha256(Path(render_module).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
    return _Tolerant(folder, f"{salt}-%s.cache")
