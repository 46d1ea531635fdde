"""Where a data check finds its table and columns: check params first, then the bundle's column mapping.

A pack stays generic ("four-fifths rule on every sensitive attribute"); the evidence says
which columns are sensitive, which hold the decision and the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    import pandas as pd

    from govern.checks.context import EvaluationContext
    from govern.checks.base import EvidenceRef


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
    """A data file of the bundle, read once per evaluation (checks often share one)."""
    from govern.stats.frames import read_table

    source = ctx.file(name)
    frame = ctx.cached(f"table:{source.path}", lambda: read_table(source.abs_path))
    if columns:
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            from govern.errors import did_you_mean

            hint = did_you_mean(absent[0], list(frame.columns)) or f"columns: {', '.join(map(str, frame.columns[:20]))}"
            raise InputError(Diagnostic("evidence-column-missing", f"{source.path} has no column "
                                        + ", ".join(f"`{c}`" for c in absent), hint=hint))
    return frame, ctx.ref(source)


def data_file(params: dict[str, Any], default: str) -> str:
    return str(params.get("file") or params.get("role") or default)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]
