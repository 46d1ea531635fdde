"""The store's views as JSON documents: what `govern status -f json` prints and the console's API serves.

One builder per document, so the CLI and the HTTP API cannot drift apart: the API adds only a
``page`` member (offset, limit, total) to a paged list and otherwise sends the same shape.
History is :func:`govern.record.views.history` as it stands, the audit verification
``ChainReport.to_dict()``, a decision ``Decision.to_dict()`` as recorded: those already are
the documents, and both front ends serialise them with :func:`json_bytes`.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Iterable

from govern.output.common import _JSON_RAW


def status_document(items: Iterable[Any], *, today: _dt.date, days: int,
                    checkpoint: dict[str, Any] | None, aggregate: Iterable[Any] = ()) -> dict[str, Any]:
    """The inventory (``InventoryItem``s) and the aggregate risk per pack and tier (``TierRisk``s)
    as `govern status -f json` prints it."""
    return {"as_of": today.isoformat(), "expiring_within_days": days,
            "use_cases": [i.to_dict() for i in items], "aggregate": [r.to_dict() for r in aggregate],
            "checkpoint": checkpoint}


def json_bytes(data: Any, *, indent: int | None = None) -> bytes:
    """Compact UTF-8 JSON (dates as ISO text), with the controls JSON leaves raw escaped, as in every output."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=_default)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _default(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return str(value)
