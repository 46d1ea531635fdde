"""A Hugging Face model card's ``model-index`` results → :class:`~govern.evidence.metrics.Metrics`.

The Hub's model cards report evaluation results in their YAML front matter::

    model-index:
      - name: credit-scorer
        results:
          - task: {type: tabular-classification}
            dataset: {type: german-credit, name: German Credit, split: test}
            metrics:
              - {type: roc_auc, value: 0.79}

A bundle without ``metrics.json`` takes its metrics from there, so a pack's
``metrics.test.roc_auc >= 0.75`` holds for a Hub card as it does for govern's own file.
Two addresses are given to every value:

* ``metrics.<split>.<type>``: the common case of one evaluation set. When two datasets
  report the same split and metric type the short address would have to pick one, so it is
  left out (a condition reading it is then an error, never a guess);
* ``metrics.datasets."<dataset type>[:<config>]".<split>.<type>``: always present.

A result without a ``split`` is filed under ``default``. Values keep the position of their
line in ``README.md``, so a non-numeric value or an AUC of 79 is reported at ``file:line:col``
and the range checks of :mod:`govern.evidence.metrics` apply as they do to ``metrics.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, InputError
from govern.evidence.metrics import Metrics, is_number, out_of_range
from govern.load.safe_yaml import Loc, YamlDocument

if TYPE_CHECKING:
    from govern.evidence.model_card import ModelCard

MODEL_INDEX = "model-index"
NO_SPLIT = "default"
#: a card listing more results than this is not a model card
MAX_RESULTS = 10_000


def has_model_index(card: "ModelCard") -> bool:
    return MODEL_INDEX in card.metadata


def card_metrics(card: "ModelCard") -> Metrics:
    """The card's ``model-index`` results as a metrics tree; positioned errors for a malformed index."""
    doc = card.document
    if doc is None or not has_model_index(card):
        raise InputError(Diagnostic("evidence-missing", f"{card.file} has no `model-index` results in its "
                                    "front matter", None,
                                    "add metrics.json, or evaluation results under `model-index:` in the card"))
    builder = _Builder(doc)
    builder.read(card.metadata[MODEL_INDEX])
    if builder.problems:
        raise InputError(builder.problems)
    derived = YamlDocument(doc.path, doc.text, builder.tree, builder.positions)
    # the short addresses are copies of values under `datasets`: each value is reported once
    problems = [derived.diagnostic("metrics-out-of-range", message, loc, hint)
                for loc, message, hint in out_of_range(builder.tree.get("datasets", {}), ("datasets",))]
    if problems:
        raise InputError(problems)
    return Metrics(builder.tree, derived)


class _Builder:
    """Walks the index once, filling the tree and a map from each derived location to its source position."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.tree: dict[str, Any] = {}
        self.positions: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        #: (split, type) → the full location it came from, or None once two datasets claim it
        self._short: dict[tuple[str, str], Loc | None] = {}
        self._count = 0

    def _bad(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.problems.append(self.doc.diagnostic("model-index-invalid", message, loc, hint))

    def read(self, index: Any) -> None:
        root: Loc = (MODEL_INDEX,)
        if not isinstance(index, list):
            self._bad(root, "`model-index` must be a list of models, each with `results`")
            return
        for m, model in enumerate(index):
            if not isinstance(model, dict) or not isinstance(model.get("results"), list):
                self._bad(root + (m,), "each `model-index` entry needs a `results` list")
                continue
            for r, result in enumerate(model["results"]):
                self._result(result, root + (m, "results", r))
        self._add_short_forms()

    def _result(self, result: Any, loc: Loc) -> None:
        if not isinstance(result, dict):
            self._bad(loc, "a result must be a mapping with `dataset` and `metrics`")
            return
        dataset, metrics = result.get("dataset"), result.get("metrics")
        if not isinstance(dataset, dict) or not isinstance(dataset.get("type"), str) or not dataset["type"]:
            self._bad(loc + ("dataset",), "a result needs `dataset.type` (the dataset's id, e.g. `german-credit`)")
            return
        if not isinstance(metrics, list):
            self._bad(loc + ("metrics",), "a result needs a `metrics` list of `{type, value}`")
            return
        config, split = dataset.get("config"), dataset.get("split", NO_SPLIT)
        if not isinstance(split, str) or not split or (config is not None and not isinstance(config, str)):
            self._bad(loc + ("dataset",), "`dataset.split` and `dataset.config` must be text")
            return
        name = dataset["type"] + (f":{config}" if config else "")
        for i, metric in enumerate(metrics):
            self._metric(metric, loc + ("metrics", i), name, split)

    def _metric(self, metric: Any, loc: Loc, dataset: str, split: str) -> None:
        self._count += 1
        if self._count > MAX_RESULTS:
            if self._count == MAX_RESULTS + 1:
                self._bad(loc, f"`model-index` holds more than {MAX_RESULTS} metric values")
            return
        if not isinstance(metric, dict) or not isinstance(metric.get("type"), str) or not metric["type"]:
            self._bad(loc, "a metric needs a `type` (e.g. `accuracy`, `roc_auc`) and a `value`")
            return
        if "value" not in metric:
            self._bad(loc, f"metric `{metric['type']}` has no `value`")
            return
        value, kind = metric["value"], metric["type"]
        full: Loc = ("datasets", dataset, split, kind)
        branch = self.tree.setdefault("datasets", {}).setdefault(dataset, {}).setdefault(split, {})
        if kind in branch and branch[kind] != value:
            self._bad(loc + ("value",), f"`{kind}` on {dataset} ({split}) is reported twice, as {branch[kind]!r} "
                      f"and {value!r}", "keep one result per dataset, split and metric type")
            return
        branch[kind] = value
        source = self.doc.positions.get(loc + ("value",)) or self.doc.positions.get(loc) or (1, 1)
        for depth in range(1, len(full) + 1):
            self.positions.setdefault(full[:depth], source)
        key = (split, kind)
        if key in self._short and self._short[key] != full:
            self._short[key] = None  # two datasets: the short address would be a guess
        else:
            self._short.setdefault(key, full)
        if not is_number(value) and isinstance(value, (dict, list)):
            self._bad(loc + ("value",), f"metric `{kind}` has a {type(value).__name__} value, expected a number")

    def _add_short_forms(self) -> None:
        for (split, kind), full in self._short.items():
            if full is None or split == "datasets":
                continue
            group = self.tree.setdefault(split, {})
            if not isinstance(group, dict):
                continue
            group[kind] = self.tree["datasets"][full[1]][split][kind]
            self.positions.setdefault((split,), self.positions[full])
            self.positions[(split, kind)] = self.positions[full]
