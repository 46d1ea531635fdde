"""MLflow metric names → the paths policies read (``metrics.test.auc``): the default and the mapping.

Default: a metric key is split on ``/`` (how MLflow's UI groups metrics) and ``.``, so
``test/auc`` and ``test.auc`` both become ``metrics.test.auc`` and ``test_auc`` stays
``metrics.test_auc``. A run whose names do not fit says so in its manifest::

    mlflow:
      metrics: {test.auc: test_auc, oot.auc: val_auc}   # check path ← MLflow metric key
      history: [train.loss]                              # these paths get every value, by step
      champion_alias: champion                           # the version the champion checks compare with

A mapped key appears only at its mapped path. The value is the latest one MLflow holds for the
key; for a path under ``history`` it is the list of all values ordered by step (what a check of
a curve or a sample reads). Two keys landing on one path, or a value where another key needs a
group, is an error naming both keys: a policy must never read one of two numbers by chance.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from govern.evidence.metrics import split_path

if TYPE_CHECKING:
    from govern.evidence.manifest import MlflowSettings

_SEPARATORS = re.compile(r"[/.]")


def default_path(key: str) -> tuple[str, ...]:
    """``test/auc`` → ``("test", "auc")``; empty segments are dropped (``a//b`` is ``a.b``)."""
    parts = tuple(p for p in _SEPARATORS.split(key) if p)
    return parts or (key,)


def _path(text: str) -> tuple[str, ...]:
    return tuple(str(p) for p in split_path(text))


def history_keys(settings: "MlflowSettings | None", latest: dict[str, float]) -> list[str]:
    """The MLflow keys whose full history the mapping asks for (present ones only)."""
    if settings is None:
        return []
    keys = []
    for wanted in settings.history:
        key = _key_for(settings, latest, _path(wanted))
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def _key_for(settings: "MlflowSettings", latest: dict[str, float], path: tuple[str, ...]) -> str | None:
    for mapped, key in settings.metrics.items():
        if _path(mapped) == path:
            return key if key in latest else None
    explicit = set(settings.metrics.values())
    for key in sorted(latest):
        if key not in explicit and default_path(key) == path:
            return key
    return None


def metrics_tree(latest: dict[str, float], settings: "MlflowSettings | None",
                 history: dict[str, list[float]]) -> tuple[dict[str, Any], list[str]]:
    """(the nested metrics, one message per conflict)."""
    placements: list[tuple[tuple[str, ...], str]] = []
    explicit = settings.metrics if settings is not None else {}
    for path, key in sorted(explicit.items()):
        if key in latest:
            placements.append((_path(path), key))
    mapped = set(explicit.values())
    placements += [(default_path(key), key) for key in sorted(latest) if key not in mapped]
    tree: dict[str, Any] = {}
    owners: dict[tuple[str, ...], str] = {}
    problems: list[str] = []
    for path, key in placements:
        value: Any = history[key] if key in history else latest[key]
        node = tree
        for depth, part in enumerate(path[:-1]):
            prefix = path[:depth + 1]
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(f"metric `{key}` needs `{'.'.join(prefix)}` to be a group, but metric "
                                f"`{owners[prefix]}` is a value there")
                break
            node = child
        else:
            leaf = path[-1]
            if leaf in node:
                other = owners.get(path)
                problems.append(f"metrics `{other}` and `{key}` both map to `{'.'.join(path)}`" if other else
                                f"metric `{key}` maps to `{'.'.join(path)}`, which other metrics use as a group")
                continue
            node[leaf] = value
            owners[path] = key
    return tree, problems
