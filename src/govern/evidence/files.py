"""Bundle file facts (path, role, size) → an :class:`EvidenceFile` with a lazily cached sha256.

Kept apart from :mod:`govern.evidence.bundle` so that every reader can accept an
``EvidenceFile`` (and know its size limit) without importing the bundle walker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from govern.canonical import file_sha256

#: Structured files (model card, metrics, JUnit, lineage, records) are parsed into memory;
#: 20 MB is far above any honest one and well below what hurts.
STRUCTURED_MAX_BYTES = 20 * 1024 * 1024
#: Data files are only streamed or handed to the stats checks.
DATA_MAX_BYTES = 2 * 1024 * 1024 * 1024

#: Every role a file can have. ``other`` is any file the bundle holds without a known purpose;
#: it is still part of the bundle digest and addressable by path.
ROLES: tuple[str, ...] = (
    "manifest", "model_card", "metrics", "champion_metrics", "junit", "lineage", "openlineage",
    "environment", "seeds", "data", "signoff", "waiver", "registration", "artifact", "suite_results", "other",
)
#: Roles govern parses into memory; every other role (data, artifacts, documents a policy names
#: by a role of its own, such as `risk_management_plan`) is only digested or streamed.
_STRUCTURED_ROLES = frozenset({"manifest", "model_card", "metrics", "champion_metrics", "junit", "lineage",
                               "openlineage", "environment", "seeds", "signoff", "waiver", "registration",
                               "training_record", "suite_results"})


def limit_for(role: str) -> int:
    """The size cap of a role, read at call time so tests (and callers) can lower it."""
    return STRUCTURED_MAX_BYTES if role in _STRUCTURED_ROLES else DATA_MAX_BYTES


@dataclass(eq=False)
class EvidenceFile:
    """One regular file of a bundle; ``path`` is posix and relative to the bundle root.

    The digest is computed on first use and cached: opening a bundle must stay cheap
    when it holds gigabytes of data that no check of the current run reads.
    """

    path: str
    abs_path: Path
    size: int
    role: str = "other"
    #: the sha256 the manifest promises (hex), if it gives one; :meth:`EvidenceBundle.verify` compares
    declared_sha256: str | None = field(default=None, repr=False)

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the content (no ``sha256:`` prefix, as ``sha256sum`` prints it)."""
        return file_sha256(self.abs_path)

    @property
    def digest(self) -> str:
        """``sha256:<hex>``, the form decision records use."""
        return "sha256:" + self.sha256

    @property
    def max_bytes(self) -> int:
        return limit_for(self.role)

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "role": self.role, "size": self.size, "sha256": self.sha256}
