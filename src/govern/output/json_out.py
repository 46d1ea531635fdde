"""Decision → JSON: the complete machine-readable record (what the audit store and report embed)."""

from __future__ import annotations

import json


def render(decision) -> str:
    return json.dumps(decision.to_dict(), indent=2, ensure_ascii=False) + "\n"
