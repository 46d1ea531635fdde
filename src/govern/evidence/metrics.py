"""Metrics JSON → a :class:`Metrics` tree with dotted lookup and positioned type errors.

Metrics drive blocking decisions (``metrics.test.auc >= 0.75``), so a value that is
NaN, infinite, or not a number where one is expected must be an error that points at
the exact line -- never a comparison that quietly evaluates to False (NaN) or True.

The same holds for a value its metric cannot take: an AUC of 1e35 (or an accuracy written
as 85.3 per cent) clears every floor a pack sets, yet it measures nothing. Metrics whose
range is fixed by their definition (:data:`METRIC_RANGES`, matched on the key's exact name)
are checked when the file is read, so every condition reading the file is in ``error``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from govern.errors import InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import YamlDocument


class _Missing:
    """The result of looking up a path that is not in the metrics (distinct from a JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass
class Metrics:
    """The parsed tree plus its document (for positions); ``file`` is the bundle-relative path."""

    data: dict[str, Any]
    doc: YamlDocument

    @property
    def file(self) -> str:
        return self.doc.path

    def lookup(self, path: str | tuple[str | int, ...]) -> Any:
        return lookup(self, path)

    def number(self, path: str | tuple[str | int, ...]) -> float | int | Any:
        return lookup_number(self, path)

    def slices(self) -> list[str]:
        """Names of the per-slice metric groups (``slices.<name>.<metric>``)."""
        group = self.data.get("slices")
        return sorted(group) if isinstance(group, dict) else []


#: Ranges that hold by definition for metrics under these key names (lower case, exact match:
#: ``delta_auc`` or ``auc_gap`` are differences and are not checked). None is an open end.
_PROPORTIONS = (
    "auc", "roc_auc", "auroc", "pr_auc", "auprc", "average_precision", "accuracy", "balanced_accuracy",
    "precision", "recall", "sensitivity", "specificity", "f1", "f1_score", "tpr", "fpr", "tnr", "fnr",
    "ppv", "npv", "true_positive_rate", "false_positive_rate", "true_negative_rate", "false_negative_rate",
    "selection_rate", "positive_rate", "approval_rate", "acceptance_rate", "bad_rate", "default_rate",
    "error_rate", "miss_rate", "hit_rate", "ks", "brier",
)
METRIC_RANGES: dict[str, tuple[float | None, float | None]] = {
    **{name: (0.0, 1.0) for name in _PROPORTIONS},
    **{name: (-1.0, 1.0) for name in ("gini", "mcc", "matthews_corrcoef", "cohen_kappa")},
    **{name: (0.0, None) for name in ("log_loss", "mse", "rmse", "mae", "mape")},
    "r2": (None, 1.0),
}


def load_metrics(source: Source) -> Metrics:
    """Parse a metrics file; the root must be an object, no number may be NaN or infinite, and no
    metric of :data:`METRIC_RANGES` may lie outside its range."""
    text, name = read_text(source, "metrics")
    doc = load_json_text(text, name)
    if not isinstance(doc.data, dict):
        raise InputError(doc.diagnostic("metrics-not-object", "metrics must be a JSON object at the top level",
                                        hint='e.g. {"test": {"auc": 0.81}}'))
    slices = doc.data.get("slices")
    if slices is not None:
        if not isinstance(slices, dict):
            raise InputError(doc.diagnostic("metrics-bad-slices", "`slices` must map slice names to metric objects",
                                            ("slices",)))
        bad = [name for name, group in slices.items() if not isinstance(group, dict)]
        if bad:
            raise InputError([doc.diagnostic("metrics-bad-slices", f"slice `{name}` must be an object of metrics",
                                             ("slices", name)) for name in bad])
    problems = [doc.diagnostic("metrics-out-of-range", message, loc, hint)
                for loc, message, hint in out_of_range(doc.data)]
    if problems:
        raise InputError(problems)
    return Metrics(doc.data, doc)


def out_of_range(data: Any, loc: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str, str]]:
    """(location, message, hint) for every value of a range-bound metric outside its range.

    A metric's value may be a number or a list of numbers (per fold, a curve); each is checked.
    """
    found: list[tuple[tuple[str | int, ...], str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            bounds = METRIC_RANGES.get(str(key).lower())
            if bounds is not None:
                items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
                for index, item in items:
                    if is_number(item) and not _within(item, bounds):
                        where = loc + (key,) + (() if index is None else (index,))
                        found.append((where, *_range_message(where, item, str(key), bounds)))
            found += out_of_range(value, loc + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += out_of_range(item, loc + (index,))
    return found


def _within(value: float, bounds: tuple[float | None, float | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def _range_message(where: tuple[str | int, ...], value: float, name: str,
                   bounds: tuple[float | None, float | None]) -> tuple[str, str]:
    low, high = bounds
    shown = f"[{'-∞' if low is None else f'{low:g}'}, {'∞' if high is None else f'{high:g}'}]"
    message = f"`{_show(where)}` is {value:g}, outside {shown}: no {name} can take that value"
    if bounds == (0.0, 1.0) and 1.0 < value <= 100.0:
        hint = f"write proportions, not percentages ({value / 100:g}, not {value:g})"
    else:
        hint = "the metrics file is wrong: fix the pipeline that wrote it"
    return message, hint


_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^.]+)')


def split_path(path: str | tuple[str | int, ...]) -> tuple[str | int, ...]:
    """``'slices."age 18.25".auc'`` → ``("slices", "age 18.25", "auc")``; quote keys holding dots."""
    if isinstance(path, tuple):
        return path
    parts: list[str | int] = []
    pos = 0
    while pos <= len(path):
        match = _SEGMENT.match(path, pos)
        if match is None:
            raise ValueError(f"bad metric path {path!r}")
        quoted, plain = match.groups()
        parts.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain)
        pos = match.end()
        if pos == len(path):
            break
        if path[pos] != ".":
            raise ValueError(f"bad metric path {path!r}")
        pos += 1
    return tuple(parts)


def lookup(metrics: Metrics | dict[str, Any], path: str | tuple[str | int, ...]) -> Any:
    """The value at a dotted path, or :data:`MISSING`. Integer segments index lists."""
    node: Any = metrics.data if isinstance(metrics, Metrics) else metrics
    for part in split_path(path):
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and (isinstance(part, int) or str(part).isdigit()) and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def lookup_number(metrics: Metrics, path: str | tuple[str | int, ...]) -> float | int | Any:
    """A finite number at ``path``, :data:`MISSING` if absent, else an error at the value's position."""
    value = lookup(metrics, path)
    if value is MISSING:
        return MISSING
    if not is_number(value):
        loc = _loc(metrics.data, split_path(path))
        kind = "null" if value is None else type(value).__name__
        raise InputError(metrics.doc.diagnostic(
            "metrics-not-a-number", f"`{_show(path)}` is {kind}, expected a finite number", loc,
            "metrics used in conditions must be plain JSON numbers"))
    return value


def number_sample(metrics: Metrics, path: str | tuple[str | int, ...]) -> list[float | int] | Any:
    """A list of finite numbers (e.g. a latency sample) at ``path``, or :data:`MISSING`."""
    value = lookup(metrics, path)
    if value is MISSING:
        return MISSING
    loc = _loc(metrics.data, split_path(path))
    if not isinstance(value, list) or not value:
        raise InputError(metrics.doc.diagnostic("metrics-not-a-sample",
                                                f"`{_show(path)}` should be a non-empty list of numbers", loc))
    for i, item in enumerate(value):
        if not is_number(item):
            raise InputError(metrics.doc.diagnostic("metrics-not-a-number",
                                                    f"`{_show(path)}[{i}]` is not a finite number", loc + (i,)))
    return value


def is_number(value: Any) -> bool:
    """JSON numbers only: booleans are ints in Python but never metrics."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _loc(data: Any, parts: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The document location of a path: list indices as ints, keys as strings."""
    out: list[str | int] = []
    node = data
    for part in parts:
        if isinstance(node, list):
            out.append(int(part))
            node = node[int(part)]
        else:
            out.append(str(part))
            node = node[str(part)]
    return tuple(out)


def _show(path: str | tuple[str | int, ...]) -> str:
    if isinstance(path, str):
        return path
    return ".".join(f'"{p}"' if isinstance(p, str) and "." in p else str(p) for p in path)
