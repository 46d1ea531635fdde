"""``manifest.yaml`` / ``manifest.json`` of a bundle → a validated :class:`Manifest`.

The manifest is optional; when present it names the bundle and model and gives files
their roles and, optionally, expected digests. Unknown keys are errors (a typo such as
``sha265`` must not silently disable a digest check).
"""

from __future__ import annotations

import re
from pathlib import Path

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from govern.errors import InputError
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import read_text
from govern.evidence.validation import validate
from govern.load.safe_yaml import YamlDocument, load_yaml_text

#: Built-in roles are model_card, metrics, champion_metrics, junit, lineage, openlineage,
#: environment, seeds, data, signoff, waiver, artifact, suite_results and other; a policy may also require
#: documents by a role of its own (e.g. `risk_management_plan`), which the manifest assigns.
ROLE_PATTERN = r"^[a-z][a-z0-9_.\-]*$"
_SHA = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestModel(_Strict):
    name: StrictStr = Field(min_length=1)
    version: StrictStr = Field(min_length=1)


class ManifestFile(_Strict):
    path: StrictStr = Field(min_length=1)
    role: StrictStr = Field(pattern=ROLE_PATTERN)
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


class Columns(_Strict):
    """Which data columns mean what, so policies can stay generic (Evidently calls this a column mapping)."""

    target: StrictStr | None = Field(None, description="Observed outcome; 1 (or `positive_label`) is favourable.")
    prediction: StrictStr | None = Field(None, description="The decision: 1 = selected / approved.")
    score: StrictStr | None = Field(None, description="Probability of the favourable outcome.")
    threshold: float | None = Field(None, description="Score at or above which the decision is favourable.")
    positive_label: StrictStr | int | None = None
    sensitive: list[StrictStr] = Field(default_factory=list, description="Attributes fairness checks split by.")
    bands: dict[StrictStr, list[float]] = Field(default_factory=dict,
                                                description="Band edges for continuous sensitive attributes.")
    segments: list[StrictStr] = Field(default_factory=list, description="Business segments for per-group checks.")
    features: list[StrictStr] | None = Field(None, description="Model inputs (drift, quality); default: all columns.")
    categorical: list[StrictStr] = Field(default_factory=list)


class MlflowSettings(_Strict):
    """How a run logged to MLflow maps onto the check vocabulary (docs/mlflow.md); read from the run's own
    ``manifest.yaml`` artifact by `govern evidence pull` and kept in the snapshot's manifest."""

    metrics: dict[StrictStr, StrictStr] = Field(
        default_factory=dict, description="Check path (e.g. `test.auc`) ← MLflow metric key (e.g. `test_auc`). "
        "Unmapped keys are split on `/` and `.`: `test/auc` is `metrics.test.auc`.")
    history: list[StrictStr] = Field(default_factory=list,
                                     description="Check paths that get every logged value (by step), not the latest.")
    champion_alias: StrictStr | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$",
                                             description="Registry alias of the champion (default `champion`).")


class SourceSpec(_Strict):
    """A data source that is not a plain file: a DuckDB database (table or query) or a Spark table/path.

    Files are named by a string instead (``parquet:data/window/*.parquet``, ``csv:data/x.csv``).
    """

    duckdb: StrictStr | None = Field(None, description="A DuckDB database file inside the bundle.")
    spark: StrictStr | None = Field(None, description="A Spark table name, or a path inside the bundle "
                                                      "read with `format`.")
    table: StrictStr | None = Field(None, description="The DuckDB table to read.")
    query: StrictStr | None = Field(None, description="A read-only SELECT run inside the DuckDB database.")
    format: Literal["parquet", "csv", "json", "orc"] | None = Field(
        None, description="The file format of a Spark path.")

    @model_validator(mode="after")
    def _one_kind(self) -> "SourceSpec":
        if (self.duckdb is None) == (self.spark is None):
            raise ValueError("give exactly one of `duckdb` (a database file) or `spark` (a table or a path)")
        if self.duckdb is not None and (self.table is None) == (self.query is None):
            raise ValueError("a DuckDB source needs exactly one of `table` or `query`")
        if self.spark is not None and (self.table is not None or self.query is not None):
            raise ValueError("a Spark source is `spark: <table>` or `spark: <path>` with `format`")
        return self


class DataSettings(_Strict):
    """Where the data checks compute (``engine``) and the named data sources they read."""

    engine: Literal["pandas", "duckdb", "spark"] | None = Field(
        None, description="pandas (in memory, the default for files), duckdb (out of core) or spark.")
    sources: dict[StrictStr, StrictStr | SourceSpec] = Field(
        default_factory=dict, description="Name → `parquet:<glob>`, `csv:<glob>`, or a DuckDB/Spark source; "
                                          "checks name a source where they name a file (e.g. `current: window`).")


class Manifest(_Strict):
    """An evidence bundle's manifest: what the bundle is, the role of each file and its digest."""

    bundle: StrictStr = Field(min_length=1)
    model: ManifestModel
    files: list[ManifestFile] = Field(default_factory=list)
    columns: Columns | None = None
    mlflow: MlflowSettings | None = None
    data: DataSettings | None = None


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
