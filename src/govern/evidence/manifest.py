"""``manifest.yaml`` / ``manifest.json`` of a bundle → a validated :class:`Manifest`.

The manifest is optional; when present it names the bundle and model and gives files
their roles and, optionally, expected digests. Unknown keys are errors (a typo such as
``sha265`` must not silently disable a digest check).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from govern.errors import InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import read_text
from govern.evidence.validation import validate
from govern.load.safe_yaml import YamlDocument, load_yaml_text

Role = Literal[
    "model_card", "metrics", "champion_metrics", "junit", "lineage", "openlineage", "environment",
    "seeds", "data", "signoff", "waiver", "artifact", "other",
]
_SHA = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestModel(_Strict):
    name: StrictStr = Field(min_length=1)
    version: StrictStr = Field(min_length=1)


class ManifestFile(_Strict):
    path: StrictStr = Field(min_length=1)
    role: Role
    sha256: StrictStr | None = None

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        """Accept ``sha256:<hex>`` or bare hex (as sha256sum prints it); store bare lowercase hex."""
        if value is None:
            return None
        match = _SHA.match(value.strip().lower())
        if not match:
            raise ValueError("must be 64 hex digits, optionally prefixed with `sha256:`")
        return match.group(1)


class Manifest(_Strict):
    bundle: StrictStr = Field(min_length=1)
    model: ManifestModel
    files: list[ManifestFile] = Field(default_factory=list)


def load_manifest(path: Path, display: str) -> tuple[Manifest, YamlDocument]:
    """The manifest and its document (kept for positions of later errors, e.g. digest mismatches)."""
    text, _ = read_text(path, "manifest", display=display)
    if display.endswith(".json"):
        doc = load_json_text(text, display)
    else:
        doc = load_yaml_text(text, display)
    if not isinstance(doc.data, dict):
        raise InputError(doc.diagnostic("evidence-manifest-invalid", "the manifest must be a mapping"))
    return validate(Manifest, doc, "evidence-manifest-invalid"), doc
