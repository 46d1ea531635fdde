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
    """``value`` with non-finite floats spelt as strings (so digests stay defined), integral floats as
    integers and keys as strings; every container that needs no change is returned as it is.

    Not copying the clean parts matters: a decision is mostly strings and integers, and its
    canonical JSON is written for every recorded decision. A container is copied once its first
    changed item is found, reusing that item's cleaned value: each subtree is walked at most
    twice, however deep the change (linear: evidence and answers are untrusted).
    """
    kind = type(value)
    if kind in _PLAIN:  # the common case first: digests walk large trees of strings
        return value
    if kind is dict:
        for k, v in value.items():
            if type(v) in _PLAIN:
                if type(k) is str:
                    continue
                changed = v
            else:
                changed = _clean(v)
                if changed is v and type(k) is str:
                    continue
            # the first change: copy, reusing its cleaned value (items before it are walked once more)
            return {key if type(key) is str else str(key):
                    changed if key is k else val if type(val) in _PLAIN else _clean(val)
                    for key, val in value.items()}
        return value
    if kind is list:
        for v in value:
            if type(v) in _PLAIN:
                continue
            changed = _clean(v)
            if changed is v:
                continue
            return [x if type(x) in _PLAIN else changed if x is v else _clean(x) for x in value]
        return value
    return _convert(value)


def _convert(value: Any) -> Any:
    """Everything but plain values, exact dicts and exact lists: always a new value."""
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
    return _ENCODER.encode(_clean(value)).encode("utf-8")


#: ``check_circular=False``: :func:`_clean` descends into every container, so a cycle in the input
#: has already ended in RecursionError; the encoder's bookkeeping of visited containers -- a
#: tenth of the encoding time of a decision -- would guard against nothing. Same bytes.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                            check_circular=False)


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
