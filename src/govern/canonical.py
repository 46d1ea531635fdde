"""Python data → canonical JSON bytes and sha256 digests, identical on every machine.

Digests are how govern names policies, use cases, evidence and decisions; they must not
depend on dict order, platform line endings or float formatting quirks.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return f"{value.total_seconds()}s"
    if isinstance(value, (set, frozenset)):
        return sorted((_clean(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


_PLAIN = frozenset({str, int, bool, type(None)})


def _clean(value: Any) -> Any:
    """Non-finite floats have no JSON form: spell them as strings so digests stay defined."""
    kind = type(value)
    if kind in _PLAIN:  # the common case first: digests walk large trees of strings
        return value
    if kind is dict:  # plain leaves are kept without a call: most of a decision is strings and integers
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else _clean(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else _clean(v) for v in value]
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 2**53:
            return int(value)  # 1.0 and 1 are the same number in a policy
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return _clean(_default(value))


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        _clean(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
    ).encode("utf-8")


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def short(digest_value: str, n: int = 12) -> str:
    return digest_value.split(":", 1)[-1][:n]
