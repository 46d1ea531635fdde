"""A data source named by a check → the confined files (or table) it reads, and what is digested.

A data check names its table the way it always did (``reference: data/reference.csv``, a role)
or by a source: a name the manifest's ``data.sources`` defines, or an inline string. The forms:

- ``parquet:<glob>`` / ``csv:<glob>`` — bundle files matching a glob (``data/window/*.parquet``);
- ``{duckdb: <database file>, table: <name>}`` or ``{duckdb: <file>, query: <SELECT …>}``;
- ``{spark: <catalog.schema.table>}`` or ``{spark: <bundle path>, format: parquet}``.

Globs are matched against the bundle's own (already confined, symlink-checked) file list, never
expanded by an engine, so a source cannot reach a file the bundle walk refused. What a decision
read is what is digested: every matched file, the database file, the files under a Spark
path — all bundle files, so already in the evidence digest. A Spark catalog table lives outside
the bundle: the check records the sorted list of files the table reads (its snapshot; lakehouse
data files are write-once) under a ``spark:`` reference.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.paths import normalise

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.files import EvidenceFile

FILE_SCHEMES = ("parquet", "csv")
_FILE_SUFFIXES = {"parquet": (".parquet",), "csv": (".csv", ".csv.gz")}

Kind = Literal["files", "duckdb_table", "duckdb_query", "spark_table", "spark_files"]


@dataclass(frozen=True)
class DataSource:
    """What a check reads: the kind, the bundle files involved, and for databases the table or query."""

    name: str
    kind: Kind
    format: str | None = None
    files: tuple["EvidenceFile", ...] = ()
    database: "EvidenceFile | None" = None
    table: str | None = None
    query: str | None = None

    @property
    def engine(self) -> str | None:
        """The engine this source needs (None: files, which every engine reads)."""
        if self.kind.startswith("duckdb"):
            return "duckdb"
        if self.kind.startswith("spark"):
            return "spark"
        return None

    @property
    def digested(self) -> tuple["EvidenceFile", ...]:
        """The bundle files whose bytes this source reads."""
        return self.files + ((self.database,) if self.database is not None else ())


def is_source(bundle: "EvidenceBundle", name: str) -> bool:
    """Whether a check's table name is a data source rather than a plain file role or path."""
    return _declared(bundle, name) is not None or name.split(":", 1)[0] in FILE_SCHEMES and ":" in name


def _declared(bundle: "EvidenceBundle", name: str) -> Any:
    manifest = bundle.manifest
    data = getattr(manifest, "data", None) if manifest is not None else None
    return data.sources.get(name) if data is not None else None


def declared_databases(bundle: "EvidenceBundle") -> list["EvidenceFile"]:
    """Every DuckDB database file the manifest's sources name (attached read-only, once, per evaluation)."""
    manifest = bundle.manifest
    data = getattr(manifest, "data", None) if manifest is not None else None
    found: list["EvidenceFile"] = []
    for name, spec in (data.sources.items() if data is not None else ()):
        if not isinstance(spec, str) and spec.duckdb is not None:
            database = _one_file(bundle, spec.duckdb, f"manifest data.sources.{name}")
            if database not in found:
                found.append(database)
    return found


def manifest_engine(bundle: "EvidenceBundle") -> str | None:
    manifest = bundle.manifest
    data = getattr(manifest, "data", None) if manifest is not None else None
    return data.engine if data is not None else None


def resolve(bundle: "EvidenceBundle", name: str) -> DataSource:
    """The source a check names, every path confined to the bundle; InputError naming what is wrong."""
    spec = _declared(bundle, name)
    where = f"manifest data.sources.{name}" if spec is not None else name
    spec = name if spec is None else spec
    if isinstance(spec, str):
        scheme, _, pattern = spec.partition(":")
        if scheme not in FILE_SCHEMES or not pattern:
            raise _error("evidence-source-invalid", f"`{spec}` is not a data source", where,
                         "write parquet:<glob> or csv:<glob>, or define the source under data.sources in the "
                         "manifest (duckdb: / spark:)")
        return DataSource(name, "files", scheme, _glob(bundle, pattern, scheme, where))
    if spec.duckdb is not None:
        database = _one_file(bundle, spec.duckdb, where)
        if spec.table is not None:
            return DataSource(name, "duckdb_table", None, (), database, table=spec.table)
        return DataSource(name, "duckdb_query", None, (), database, query=spec.query)
    assert spec.spark is not None
    if spec.format is None:
        return DataSource(name, "spark_table", None, table=spec.spark)
    norm = normalise(spec.spark.rstrip("/"))
    if norm is None:
        bundle.resolve(spec.spark)  # raises the precise path-escape diagnostic
    prefix = f"{norm}/"
    matched = tuple(f for f in bundle.files() if f.path == norm or f.path.startswith(prefix))
    matched = tuple(f for f in matched if not f.path.rsplit("/", 1)[-1].startswith((".", "_")))
    if not matched:
        raise _error("evidence-missing", f"no file under `{spec.spark}` in the bundle", where)
    return DataSource(name, "spark_files", spec.format, matched)


def _glob(bundle: "EvidenceBundle", pattern: str, scheme: str, where: str) -> tuple["EvidenceFile", ...]:
    norm = normalise(pattern)
    if norm is None:
        bundle.resolve(pattern)  # raises the precise path-escape diagnostic
        raise _error("evidence-path-escape", f"`{pattern}` is not a bundle path", where)
    matched = tuple(f for f in bundle.files() if fnmatch.fnmatchcase(f.path, norm))
    if not matched:
        raise _error("evidence-missing", f"no bundle file matches `{pattern}`", where,
                     "globs are relative to the bundle root: data/window/*.parquet")
    wrong = [f.path for f in matched if not f.path.lower().endswith(_FILE_SUFFIXES[scheme])]
    if wrong:
        raise _error("evidence-format", f"`{wrong[0]}` is not a {scheme} file", where,
                     f"a {scheme}: source matches only {', '.join(_FILE_SUFFIXES[scheme])} files")
    return matched


def _one_file(bundle: "EvidenceBundle", path: str, where: str) -> "EvidenceFile":
    try:
        return bundle.file(path)
    except InputError as exc:
        raise InputError([Diagnostic(d.code, f"{where}: {d.message}", d.span, d.hint)
                          for d in exc.diagnostics]) from None


def _error(code: str, message: str, where: str, hint: str | None = None) -> InputError:
    return InputError(Diagnostic(code, f"{where}: {message}", Span(where), hint))
