"""Canonical JSON: the copy-free walk writes the same bytes as the plain definition, in linear time.

Every digest govern has ever recorded is over these bytes, so the faster ``_clean`` (which
returns clean containers as they are) is held to a reference copy of the straightforward one
on generated trees and on real decisions.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import random
import time
from pathlib import Path

import pytest

from govern.canonical import _clean, canonical_json

ROOT = Path(__file__).resolve().parents[1]


def reference_clean(value):
    """The definition (govern.canonical before it stopped copying clean containers)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): reference_clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [reference_clean(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted((reference_clean(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    raise TypeError(type(value).__name__)


def reference(value) -> bytes:
    return json.dumps(reference_clean(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


LEAVES = ["", "a", "é ✓", "\u2028", "\x00\x1f", 0, -1, 2**60, True, False, None, 0.5, 1.0, -0.0, 1e300, 2.0**53,
          float("nan"), float("inf"), -float("inf"), 1e-7, 3.14159, _dt.date(2026, 11, 27),
          _dt.datetime(2026, 11, 27, 12, 0, tzinfo=_dt.timezone.utc)]
KEYS = ["a", "b", "é", "", "10", "9", 1, 2, 10, True, None, 1.5]


def tree(rng: random.Random, depth: int):
    roll = rng.random()
    if depth == 0 or roll < 0.35:
        return rng.choice(LEAVES)
    if roll < 0.65:
        keys = rng.sample(KEYS if rng.random() < 0.3 else [k for k in KEYS if isinstance(k, str)], rng.randint(0, 5))
        return {k: tree(rng, depth - 1) for k in keys}
    if roll < 0.9:
        return [tree(rng, depth - 1) for _ in range(rng.randint(0, 5))]
    if roll < 0.95:
        return tuple(tree(rng, depth - 1) for _ in range(rng.randint(0, 3)))
    return {rng.choice(["x", "y", "z"]), rng.choice([1, 2, 3])} if rng.random() < 0.5 else frozenset({"p", "q"})


def test_same_bytes_as_the_definition_on_generated_trees() -> None:
    rng = random.Random(20261127)
    for _ in range(5000):
        value = tree(rng, rng.randint(0, 6))
        assert canonical_json(value) == reference(value), value


def test_shared_and_clean_containers_are_not_copied_and_inputs_not_changed() -> None:
    shared = {"x": 1.0}
    value = {"a": [shared, shared, "s"], "b": {"c": "d"}, 3: "three"}
    before = repr(value)
    cleaned = _clean(value)
    assert repr(value) == before  # the input is never modified
    assert cleaned == {"a": [{"x": 1}, {"x": 1}, "s"], "b": {"c": "d"}, "3": "three"}
    assert cleaned["b"] is value["b"]  # clean parts are returned as they are
    clean = {"k": ["v", 1, {"n": None}]}
    assert _clean(clean) is clean


def test_real_decisions_and_explanations() -> None:
    import govern
    from govern.classification import classify
    from govern.evaluate.pipeline import check

    mini = ROOT / "tests" / "golden" / "mini"
    policy = govern.load_policy(mini)
    use_case = govern.load_use_case(mini / "use_cases" / "credit.yaml", policy)
    decision = check(policy, use_case, ROOT / "examples" / "credit-risk" / "evidence", target="validation")
    for value in (decision.to_dict(), decision.digest_payload(),
                  classify(policy, use_case, _dt.date(2026, 6, 1)).to_dict()):
        assert canonical_json(value) == reference(value)


def test_a_deep_change_costs_linear_time() -> None:
    """Each level copies once and reuses its changed child: a float at the bottom of 400 levels of
    lists and dicts (evidence is untrusted) is not walked 2**400 times."""
    value: object = 1.0
    for i in range(400):
        value = [value, "x"] if i % 2 else {"k": value, "j": "y"}
    start = time.perf_counter()
    out = canonical_json(value)
    assert time.perf_counter() - start < 1.0
    assert out == reference(value) and b"1.0" not in out


def test_a_cycle_is_refused() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(RecursionError):
        canonical_json(loop)
