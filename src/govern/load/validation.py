"""YAML document + pydantic model → validated model, or diagnostics at ``file:line:col``.

Pydantic knows *what* is wrong and where in the data; the YAML position map knows where
that is in the file. Unknown keys get a did-you-mean from the model's own field names.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govern.errors import Diagnostic, did_you_mean, shorten
from govern.load.safe_yaml import Loc, YamlDocument

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: YamlDocument, model: type[M], *, data: Any = None,
                      loc_prefix: Loc = ()) -> tuple[M | None, list[Diagnostic]]:
    payload = doc.data if data is None else data
    if payload is None:
        return None, [doc.diagnostic("empty-document", f"{doc.path} is empty; expected a {_describe(model)}",
                                     loc_prefix)]
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        return None, [_diagnostic(doc, model, err, loc_prefix) for err in exc.errors()]


def _describe(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or model.__name__).strip().splitlines()[0]
    return doc.rstrip(".")


def _diagnostic(doc: YamlDocument, model: type[BaseModel], err: dict, prefix: Loc) -> Diagnostic:
    loc: Loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    dotted = ".".join(str(p) for p in loc) or "document"
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _field_names(model, tuple(err["loc"][:-1]))
        hint = did_you_mean(str(loc[-1]), known) if known else None
        if hint is None and known:
            hint = "allowed keys: " + ", ".join(f"`{k}`" for k in sorted(known))
        return doc.diagnostic("unknown-key", f"unknown key `{loc[-1]}`", loc, hint, key=True)
    if kind == "missing":
        return doc.diagnostic("missing-key", f"missing required key `{loc[-1]}` in `{_parent(loc)}`", loc[:-1])
    message = err["msg"]
    if kind.startswith("value_error"):
        message = message.removeprefix("Value error, ")
    given = err.get("input")
    shown = "" if isinstance(given, (dict, list)) else f" (got {shorten(repr(given))})"
    return doc.diagnostic("invalid-value", f"`{dotted}`: {message}{shown}", loc)


def _parent(loc: Loc) -> str:
    return ".".join(str(p) for p in loc[:-1]) or "document"


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names of the (nested) model found at ``loc``, following list/dict/Optional."""
    current: Any = model
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return _strip_optional(field.annotation) if field else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args:
        return _strip_optional(args[0])
    if origin is dict and len(args) == 2:
        return _strip_optional(args[1])
    return None


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            return models[0]
        return options[0] if len(options) == 1 else None
    return annotation
