"""What a check implementation returns, and the helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EvidenceRef:
    path: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}


@dataclass
class Measurement:
    """A check's measurement: `measured` becomes `result.*` in its condition.

    ``ok`` is the kind's own verdict, used when the template gives no condition and the
    kind has no default condition; None means "a condition is needed to judge this".
    """

    measured: dict[str, Any] = field(default_factory=dict)
    ok: bool | None = None
    message: str = ""
    evidence: list[EvidenceRef] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def param_list(params: dict[str, Any], key: str) -> list[str]:
    value = params.get(key) or []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
