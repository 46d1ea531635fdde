"""Decision → JSON: the complete machine-readable record (what the audit store and report embed)."""

from __future__ import annotations

from govern.output.common import json_text


def render(decision) -> str:
    return json_text(decision.to_dict())
