"""``models:/NAME/VERSION``, ``models:/NAME@ALIAS`` or ``runs:/RUN_ID[/PATH]`` → a :class:`ModelRef`.

The same URIs the MLflow client accepts, parsed here without importing MLflow so that a
typo is a usage error (exit 2) naming the expected forms before any connection is made.
Other MLflow forms (``models:/NAME/Production`` stages, ``models:/m-…`` logged-model ids) are
refused on purpose: stages are deprecated in MLflow and a bare logged model has no registry
version to gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govern.errors import Diagnostic, GovernError, Span

FORMS = "models:/NAME/VERSION, models:/NAME@ALIAS or runs:/RUN_ID"
#: MLflow's own limits: registered-model names are free text without `/`; aliases are
#: identifiers; run ids are hex (32 characters in practice, other stores use other lengths).
_NAME = r"[^/@\s][^/@]{0,255}"
_MODELS_VERSION = re.compile(rf"models:/({_NAME})/([1-9][0-9]{{0,9}})")
_MODELS_ALIAS = re.compile(rf"models:/({_NAME})@([A-Za-z_][A-Za-z0-9_\-]{{0,254}})")
_RUNS = re.compile(r"runs:/([A-Za-z0-9][A-Za-z0-9_\-]{0,63})(?:/([^\s]{1,512}))?")


class MlflowError(GovernError):
    """A problem reaching or reading MLflow, or an MLflow object govern cannot use: exit 2."""


@dataclass(frozen=True)
class ModelRef:
    """What the user named. Exactly one of (name + version), (name + alias), run_id is set."""

    uri: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None
    #: for ``runs:/RUN_ID/PATH``: the logged model's path inside the run
    path: str | None = None

    @property
    def registered(self) -> bool:
        return self.name is not None


def parse_uri(text: str) -> ModelRef:
    """Parse or raise :class:`MlflowError` (``mlflow-bad-uri``) with the accepted forms."""
    value = text.strip()
    if match := _MODELS_VERSION.fullmatch(value):
        return ModelRef(value, name=match.group(1), version=match.group(2))
    if match := _MODELS_ALIAS.fullmatch(value):
        return ModelRef(value, name=match.group(1), alias=match.group(2))
    if match := _RUNS.fullmatch(value):
        path = match.group(2)
        if path is not None and (path.startswith("/") or ".." in path.split("/")):
            raise _bad(text, "the path after the run id must stay inside the run")
        return ModelRef(value, run_id=match.group(1), path=path.rstrip("/") if path else None)
    if value.startswith("models:/") and re.fullmatch(r"models:/[^/@]+/[A-Za-z]+", value):
        return _raise(_bad(text, "registry stages (Staging, Production) are deprecated in MLflow; "
                                 "name a version number or an alias"))
    if value.startswith("models:/m-"):
        return _raise(_bad(text, "a logged model id has no registry version to gate; register it and "
                                 "name models:/NAME/VERSION"))
    raise _bad(text, None)


def _raise(exc: MlflowError) -> ModelRef:
    raise exc


def _bad(text: str, why: str | None) -> MlflowError:
    return MlflowError(Diagnostic(
        "mlflow-bad-uri", f"`{text}` is not an MLflow model URI govern reads" + (f": {why}" if why else ""),
        Span("--mlflow"), f"expected {FORMS}, e.g. models:/credit-risk-scorer/2 or models:/credit-risk-scorer@champion"))
