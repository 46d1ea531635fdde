"""Policy + use case + plan + evidence bundle → the read-once view every check works from.

Each evidence reader runs at most once per evaluation, and its failure is remembered, so
ten checks reading a malformed metrics file report the same precise error ten times
without parsing it ten times. Sign-offs and waivers come through the
:class:`~govern.sign.sources.SignoffSource`/``WaiverSource`` protocols, so evaluation
does not care where they are stored.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from govern.dsl.values import AS_OF_KEY
from govern.errors import Diagnostic, GovernError, InputError, Span
from govern.checks.base import EvidenceRef

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.files import EvidenceFile
    from govern.sign.sources import RegistrationSource, SignoffSource, WaiverSource
    from govern.load.use_case import UseCase
    from govern.plan.graph import Plan
    from govern.policy.pack import Policy

@dataclass
class EvaluationContext:
    policy: "Policy"
    use_case: "UseCase"
    plan: "Plan"
    bundle: "EvidenceBundle"
    as_of: _dt.date
    signoffs: "SignoffSource"
    waivers: "WaiverSource"
    registrations: "RegistrationSource | None" = None
    #: who built the model according to the use case's signed registration (None: no registration)
    registered_authors: frozenset[str] | None = None
    _cache: dict[str, tuple[bool, Any]] = field(default_factory=dict, repr=False)

    @property
    def authors(self) -> frozenset[str]:
        """Everyone segregation of duties keeps from approving this model.

        The union of the registration's authors and the descriptor's: the descriptor is a file the
        pipeline can edit, so it may only add names, never take away the ones the registration holds.
        """
        names = set(self.registered_authors or ())
        model = self.use_case.model
        if model is not None:
            names |= {model.author, *model.developers}
        names |= self._card_authors()
        return frozenset(n for n in names if n)

    def _card_authors(self) -> set[str]:
        """The model card's `author`/`authors` (bound to sign-offs through the evidence digest): names
        that match a person of the pack can only add to who may not approve."""
        try:
            meta = self.model_card().metadata
        except GovernError:
            return set()
        found = meta.get("authors", [])
        found = [found] if isinstance(found, str) else list(found) if isinstance(found, list) else []
        if isinstance(meta.get("author"), str):
            found.append(meta["author"])
        return {a for a in found if isinstance(a, str)}

    # -- identity of what is being evaluated ----------------------------------------------
    @property
    def evidence_digest(self) -> str:
        from govern.evidence.identity import evidence_digest

        return self.cached("evidence_digest", lambda: evidence_digest(self.bundle))

    @property
    def model_digest(self) -> str:
        from govern.evidence.identity import model_digest

        return self.cached("model_digest", lambda: model_digest(self.bundle))

    def model_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        manifest = self.bundle.manifest
        if manifest is not None:
            info = {"name": manifest.model.name, "version": manifest.model.version}
        try:
            meta = self.model_card().metadata
        except GovernError:
            meta = {}
        for key in ("name", "version", "owner", "author", "algorithm"):
            if key not in info and isinstance(meta.get(key), (str, int, float)):
                info[key] = meta[key]
        return info

    # -- cached readers -------------------------------------------------------------------
    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = (True, load())
            except GovernError as exc:
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def file(self, role_or_path: str) -> "EvidenceFile":
        return self.bundle.file(role_or_path)

    def optional_file(self, role_or_path: str) -> "EvidenceFile | None":
        return self.bundle.get(role_or_path)

    def metrics(self):
        """``metrics.json`` (or the manifest's `metrics` file); without one, a Hugging Face card's `model-index`."""
        from govern.evidence.metrics import load_metrics

        def load():
            found = self.optional_file("metrics")
            if found is not None:
                return load_metrics(found)
            from govern.evidence.readers.huggingface import card_metrics, has_model_index

            if self.optional_file("model_card") is not None and has_model_index(self.model_card()):
                return card_metrics(self.model_card())
            raise InputError(Diagnostic(
                "evidence-missing", "the evidence bundle has no `metrics` file", Span("metrics"),
                "add metrics.json (or list a file with role `metrics` in manifest.yaml), or report results "
                "under `model-index:` in a Hugging Face model card (README.md)"))
        return self.cached("metrics", load)

    def metrics_file(self) -> "EvidenceFile | None":
        """The file the metrics were read from: the metrics file, else the model card holding them."""
        try:
            return self.optional_file("metrics") or self.file(self.metrics().file)
        except GovernError:
            return None

    def champion(self):
        from govern.evidence.metrics import load_metrics

        return self.cached("champion", lambda: load_metrics(self.file("champion_metrics")))

    def model_card(self):
        from govern.evidence.model_card import load_model_card

        return self.cached("model_card", lambda: load_model_card(self.file("model_card")))

    def junit(self):
        from govern.evidence.junit import load_junit_files

        def load():
            files = self.bundle.files_with_role("junit")
            if not files:
                raise InputError(Diagnostic("evidence-missing", "the evidence bundle has no JUnit test results",
                                            Span("junit/"), "put the model's test results in junit/*.xml"))
            return load_junit_files(files)
        return self.cached("junit", load)

    def lineage(self):
        from govern.evidence.lineage import lineage_from_bundle

        return self.cached("lineage", lambda: lineage_from_bundle(self.bundle))

    def environment(self):
        from govern.evidence.environment import load_environment

        return self.cached("environment", lambda: load_environment(self.file("environment"), self.bundle))

    def seeds(self):
        from govern.evidence.environment import load_seeds

        return self.cached("seeds", lambda: load_seeds(self.file("seeds")))

    def columns(self) -> dict[str, Any]:
        """The manifest's column mapping (target, prediction, score, sensitive, …), or empty."""
        manifest = self.bundle.manifest
        mapping = getattr(manifest, "columns", None) if manifest is not None else None
        if mapping is None:
            return {}
        return mapping.model_dump(exclude_none=True) if hasattr(mapping, "model_dump") else dict(mapping)

    def ref(self, evidence_file: "EvidenceFile") -> EvidenceRef:
        return EvidenceRef(evidence_file.path, evidence_file.sha256)

    # -- the rule-language environment of a check condition ---------------------------------
    def env(self, roots: set[str], result: dict[str, Any] | None = None) -> dict[str, Any]:
        """Only the evidence a condition reads is loaded: a broken model card must not fail a metric check."""
        env: dict[str, Any] = {"use_case": self.use_case.env(), "params": self.policy.manifest.parameters,
                               "result": result or {}, AS_OF_KEY: self.as_of}
        readers = {"metrics": (self.metrics, lambda m: m.data), "champion": (self.champion, lambda m: m.data),
                   "model": (self.model_card, lambda c: c.metadata)}
        for root in roots & readers.keys():
            load, pick = readers[root]
            env[root] = self._optional(load, pick)
        return env

    def _optional(self, load: Callable[[], Any], pick: Callable[[Any], Any]) -> Any:
        """Absent evidence is an empty root (its fields read as undetermined); broken evidence raises."""
        try:
            return pick(load())
        except InputError as exc:
            if all(d.code == "evidence-missing" for d in exc.diagnostics):
                return {}
            raise
