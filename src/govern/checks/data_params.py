"""Where a data check finds its table and columns: check params first, then the bundle's column mapping.

A pack stays generic ("four-fifths rule on every sensitive attribute"); the evidence says
which columns are sensitive, which hold the decision and the outcome — and, through the
manifest's ``data`` section, where the rows are (files, a DuckDB database, a Spark table) and
which engine counts them. The check's parameters are the same on every engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    import pandas as pd

    from govern.checks.context import EvaluationContext
    from govern.checks.base import EvidenceRef
    from govern.evidence.datasources import DataSource
    from govern.evidence.files import EvidenceFile
    from govern.stats.engines.base import Engine


def setting(params: dict[str, Any], ctx: "EvaluationContext", key: str, mapping_key: str | None = None,
            default: Any = None) -> Any:
    if params.get(key) is not None:
        return params[key]
    mapped = ctx.columns().get(mapping_key or key)
    if mapped not in (None, [], {}):
        return mapped
    return default


def table(ctx: "EvaluationContext", name: str, *, columns: list[str] | None = None
          ) -> "tuple[pd.DataFrame, EvidenceRef]":
    """A data file (or ``parquet:``/``csv:`` source) of the bundle in memory, read once per evaluation.

    For checks that need rows in pandas (``stability`` feeds them to a model). A DuckDB or Spark
    source is refused here with a diagnostic: those are counted where they live, by the checks
    that run on engines (:func:`open_data`).
    """
    from govern.evidence.datasources import is_source, resolve

    if is_source(ctx.bundle, name):
        source = resolve(ctx.bundle, name)
        if source.kind != "files":
            raise InputError(Diagnostic("evidence-engine-unsupported",
                                        f"`{name}` is a {source.engine} source; this check reads rows in memory",
                                        Span(name), "drift, fairness, performance_by_group, data_quality and "
                                        "latency run on DuckDB and Spark; this check needs rows (a model runs on "
                                        "them): give it a parquet: or csv: source"))
        frame = _frame(ctx, source.files)
        refs = [ctx.ref(f) for f in source.files]
        first = refs[0]
    else:
        evidence_file = ctx.file(name)
        frame = _frame(ctx, (evidence_file,))
        first = ctx.ref(evidence_file)
    _require(frame.columns, columns, name)
    return frame, first


def _frame(ctx: "EvaluationContext", files: "tuple[EvidenceFile, ...]") -> "pd.DataFrame":
    from govern.stats.frames import read_table

    frames = [ctx.cached(f"table:{f.path}", lambda f=f: read_table(f.abs_path)) for f in files]
    if len(frames) == 1:
        return frames[0]
    import pandas as pd

    return ctx.cached("tables:" + "\n".join(f.path for f in files),
                      lambda: pd.concat(frames, ignore_index=True))


def _require(available: Any, wanted: list[str] | None, name: str) -> None:
    if not wanted:
        return
    present = [str(c) for c in available]
    absent = [c for c in wanted if c not in present]
    if absent:
        from govern.errors import did_you_mean

        hint = did_you_mean(absent[0], present) or f"columns: {', '.join(present[:20])}"
        raise InputError(Diagnostic("evidence-column-missing", f"{name} has no column "
                                    + ", ".join(f"`{c}`" for c in absent), hint=hint))


@dataclass
class Data:
    """Tables a check reads, on the one engine that counts them, and what each read is digested as."""

    engine: "Engine[Any]"
    tables: list[Any]
    refs: list["EvidenceRef"]

    @property
    def in_memory(self) -> bool:
        return self.engine.name == "pandas"

    def require(self, index: int, columns: list[str] | None, name: str) -> None:
        _require(self.engine.columns(self.tables[index]), columns, name)


def open_data(ctx: "EvaluationContext", names: list[str]) -> Data:
    """The named tables on the engine their sources need (files alone: the manifest's ``data.engine``,
    else pandas). One check computes on one engine: KS needs both samples in the same place."""
    from govern.evidence.datasources import is_source, manifest_engine, resolve

    sources = [resolve(ctx.bundle, n) if is_source(ctx.bundle, n) else None for n in names]
    needed = {s.engine for s in sources if s is not None and s.engine is not None}
    chosen = manifest_engine(ctx.bundle)
    if len(needed) > 1 or (chosen is not None and needed and chosen not in needed):
        engines = sorted(needed | ({chosen} if chosen else set()))
        raise InputError(Diagnostic("evidence-engine-conflict", f"{', '.join(names)} need different engines "
                                    f"({', '.join(engines)})", Span("manifest data"),
                                    "a check compares its tables on one engine: put them in one place"))
    engine_name = next(iter(needed)) if needed else (chosen or "pandas")
    if engine_name == "pandas":
        from govern.stats.engines.pandas_engine import PandasEngine

        frames, refs = [], []
        for name in names:
            frame, _ = table(ctx, name)
            frames.append(frame)
            files = resolve(ctx.bundle, name).files if is_source(ctx.bundle, name) else (ctx.file(name),)
            refs.extend(ctx.ref(f) for f in files)
        return Data(PandasEngine(), frames, refs)
    engine = ctx.cached(f"engine:{engine_name}", lambda: _make_engine(ctx, engine_name))
    tables, refs = [], []
    for name, source in zip(names, sources):
        if source is None:
            from govern.evidence.datasources import DataSource

            evidence_file = ctx.file(name)
            fmt = "parquet" if evidence_file.path.lower().endswith(".parquet") else "csv"
            source = DataSource(name, "files", fmt, (evidence_file,))
        tables.append(_engine_table(engine, source, name))
        refs.extend(ctx.ref(f) for f in source.digested)
        if source.kind == "spark_table":
            from govern.canonical import digest
            from govern.checks.base import EvidenceRef

            listing = engine.listing(tables[-1])
            refs.append(EvidenceRef(f"spark:{source.table}", digest(["spark-table", source.table, listing])
                                    .removeprefix("sha256:")))
    return Data(engine, tables, refs)


def _engine_table(engine: Any, source: "DataSource", name: str) -> Any:
    if source.kind == "files" or source.kind == "spark_files":
        paths = [f.abs_path for f in source.files]
        if engine.name == "spark":
            return engine.files([str(p) for p in paths], source.format, label=name)
        return engine.files(paths, source.format, label=name)
    if source.kind == "duckdb_table":
        assert source.database is not None and source.table is not None
        return engine.table(source.database.abs_path, source.table, label=name)
    if source.kind == "duckdb_query":
        assert source.database is not None and source.query is not None
        return engine.query(source.database.abs_path, source.query, label=name)
    assert source.table is not None
    return engine.table(source.table, label=name)


def _make_engine(ctx: "EvaluationContext", name: str) -> Any:
    """The evaluation's engine. Its resources are the operator's to set, in the environment
    (``GOVERN_DUCKDB_MEMORY_LIMIT``, ``GOVERN_DUCKDB_THREADS``, ``SPARK_REMOTE``, ``GOVERN_SPARK_MASTER``),
    never the evidence's."""
    if name == "duckdb":
        from govern.evidence.datasources import declared_databases
        from govern.stats.engines.duckdb_engine import DuckDBEngine

        threads = os.environ.get("GOVERN_DUCKDB_THREADS")
        return DuckDBEngine(root=ctx.bundle.root, databases=[f.abs_path for f in declared_databases(ctx.bundle)],
                            memory_limit=os.environ.get("GOVERN_DUCKDB_MEMORY_LIMIT") or None,
                            threads=int(threads) if threads and threads.isdigit() else None)
    from govern.stats.engines.spark_engine import SparkEngine

    return SparkEngine()


def data_file(params: dict[str, Any], default: str) -> str:
    return str(params.get("file") or params.get("role") or default)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]
