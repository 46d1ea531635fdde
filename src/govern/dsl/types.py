"""Static types of the rule language and the schema of the fields an expression may read.

A pack's facts become the ``use_case`` part of the schema (with the allowed values of
enumerated facts), its parameters the ``params`` part; evidence roots such as ``metrics``
are dynamic (``any``) because their shape is only known at evaluation time.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping, Union


@dataclass(frozen=True, slots=True)
class Type:
    kind: str  # number | string | bool | date | duration | list | any
    element: "Type | None" = None
    values: frozenset[str] | None = None  # the allowed values of an enumerated string

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list of {self.element}" if self.element and self.element.kind != "any" else "list"
        return self.kind

    @property
    def is_any(self) -> bool:
        return self.kind == "any"


ANY = Type("any")
NUMBER = Type("number")
STRING = Type("string")
BOOL = Type("bool")
DATE = Type("date")
DURATION = Type("duration")


def list_of(element: Type) -> Type:
    return Type("list", element)


def enum(values: list[str] | tuple[str, ...] | frozenset[str]) -> Type:
    return Type("string", values=frozenset(values))


#: A schema node: a leaf type, or a mapping of field names to schema nodes.
Schema = Union[Type, Mapping[str, "Schema"]]


def type_of_value(value: Any) -> Type:
    """The static type of a parameter value written in YAML."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, _dt.timedelta):
        return DURATION
    if isinstance(value, (list, tuple)):
        kinds = {type_of_value(v) for v in value}
        element = kinds.pop() if len(kinds) == 1 else ANY
        if element.kind == "string":
            element = STRING
        return list_of(element)
    return ANY


def compatible(a: Type, b: Type) -> bool:
    """Whether values of the two types can be compared for equality meaningfully."""
    if a.is_any or b.is_any:
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "list":
        return compatible(a.element or ANY, b.element or ANY)
    return True


ORDERABLE = frozenset({"number", "string", "date", "duration"})
