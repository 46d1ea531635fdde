"""Pydantic validation errors + the source document → positioned diagnostics.

Manifests, lineage graphs and sign-off records are validated by pydantic models; users
need ``file:line:col`` and the field path, not pydantic's error dump.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govern.errors import Diagnostic, InputError
from govern.load.safe_yaml import YamlDocument

M = TypeVar("M", bound=BaseModel)


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def diagnostics_from(exc: ValidationError, doc: YamlDocument, code: str) -> list[Diagnostic]:
    """One diagnostic per pydantic error, placed at the offending value (or key, for unknown keys)."""
    out: list[Diagnostic] = []
    for err in exc.errors(include_url=False):
        # pydantic appends union-member / validator names to loc; keep only real data keys
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith(("function-", "tagged-")))
        kind = err["type"]
        where = dotted(tuple(err["loc"]))
        if kind == "extra_forbidden":
            message, hint = f"unknown key `{err['loc'][-1]}`", "remove it or check its spelling"
            out.append(doc.diagnostic(code, message, loc, hint, key=True))
            continue
        message = f"{where}: {err['msg']}"
        if kind == "missing":
            message = f"missing required key `{err['loc'][-1]}`" + (f" in {dotted(tuple(err['loc'][:-1]))}"
                                                                   if len(err["loc"]) > 1 else "")
        out.append(doc.diagnostic(code, message, loc))
    return out


def validate(model: type[M], doc: YamlDocument, code: str) -> M:
    """``model`` built from the document, or an :class:`InputError` listing every problem."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(diagnostics_from(exc, doc, code)) from None
