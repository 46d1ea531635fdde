"""Evidence folder → typed, validated views of what a model brings to its gates.

Submodules, one reader each: :mod:`~govern.evidence.bundle` (confinement, roles,
digest), :mod:`~govern.evidence.model_card`, :mod:`~govern.evidence.metrics`,
:mod:`~govern.evidence.junit`, :mod:`~govern.evidence.lineage` (+ ``openlineage``,
``lineage_graph``), :mod:`~govern.evidence.environment` and
:mod:`~govern.evidence.sources` (sign-off / waiver interfaces).

Evidence is untrusted input: every reader caps sizes, refuses paths leaving the bundle
and reports problems as positioned :class:`~govern.errors.Diagnostic` s inside an
:class:`~govern.errors.InputError` (one file unusable: the check reading it is in
``error``) or :class:`~govern.errors.EvidenceError` (the bundle as a whole is unusable).

Names are re-exported lazily so ``import govern.evidence`` costs nothing until a reader
is used (networkx and jsonschema only load with lineage).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EvidenceBundle": "bundle", "EvidenceFile": "files", "Manifest": "manifest",
    "ModelCard": "model_card", "Section": "model_card", "load_model_card": "model_card", "is_trivial": "model_card",
    "Metrics": "metrics", "MISSING": "metrics", "load_metrics": "metrics", "lookup": "metrics",
    "JUnitReport": "junit", "Suite": "junit", "Case": "junit", "load_junit": "junit",
    "build_lineage": "lineage", "lineage_from_bundle": "lineage",
    "unregistered_training_inputs": "lineage_graph", "pii_without_anonymisation": "lineage_graph",
    "sources_without_licence": "lineage_graph",
    "Environment": "environment", "load_environment": "environment", "load_seeds": "environment",
    "SignoffRecord": "sources", "WaiverRecord": "sources", "SignoffSource": "sources", "WaiverSource": "sources",
    "FileSignoffSource": "sources", "FileWaiverSource": "sources",
    "InMemorySignoffSource": "sources", "InMemoryWaiverSource": "sources",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'govern.evidence' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"govern.evidence.{module}"), name)
    globals()[name] = value
    return value
