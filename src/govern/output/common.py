"""Decision → the classification every CI format shares: locations, levels, measured values as text.

JUnit, SARIF, GitHub annotations and Markdown must agree on what blocks the target, what
only warns and what concerns a gate beyond the target, so those rules live here once.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from typing import Any

FINGERPRINT_KEY = "governCheck/v1"

_LOCATION = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?$")


# --- shared helpers --------------------------------------------------------------------------

def parse_location(location: str) -> tuple[str, int | None, int | None]:
    """``templates/high.yaml:23:11`` → (``templates/high.yaml``, 23, 11); parts may be absent."""
    match = _LOCATION.match(location or "")
    assert match is not None  # the pattern matches every string
    line, col = match["line"], match["col"]
    return match["path"], (int(line) if line else None), (int(col) if col else None)


def repo_root(env_var: str) -> str | None:
    """The folder named by ``env_var`` as a clean path relative to the repository root, or None.

    Absolute paths are accepted only inside ``$GITHUB_WORKSPACE``; paths leaving the
    repository (``..``) are ignored rather than producing a wrong annotation.
    """
    raw = os.environ.get(env_var, "").strip().replace("\\", "/")
    if not raw:
        return None
    if raw.startswith("/"):
        workspace = os.environ.get("GITHUB_WORKSPACE", "").rstrip("/")
        if not workspace or not (raw == workspace or raw.startswith(workspace + "/")):
            return None
        raw = raw[len(workspace):].lstrip("/") or "."
    path = posixpath.normpath(raw)
    if path == ".." or path.startswith("../"):
        return None
    return "" if path == "." else path


def in_repo(env_var: str, path: str) -> str:
    """``path`` (relative to the pack or bundle) as a repository path when ``env_var`` is set."""
    root = repo_root(env_var)
    return posixpath.join(root, path) if root else path


def gate_scopes(decision) -> dict[str, str]:
    """gate id → ``in`` (its problems decide the target), ``out`` (not needed for the target)
    or ``blocked`` (an upstream gate has not passed, so its own results decide nothing yet)."""
    determining = set(decision.determining)
    scopes: dict[str, str] = {}
    for gate in decision.gates:
        if gate.status == "blocked":
            scopes[gate.id] = "blocked"
        elif gate.passing:
            scopes[gate.id] = "in"
        else:
            ids = {c.qualified_id for c in gate.checks} | {signoff_id(s) for s in gate.signoffs}
            scopes[gate.id] = "in" if ids & determining else "out"
    return scopes


def signoff_id(signoff) -> str:
    return f"{signoff.gate}.signoff:{signoff.role}"


def check_level(check, scope: str) -> str | None:
    """error | warning | note, or None when there is nothing to report (passed, waived)."""
    if check.status == "warned" or (check.status == "error" and check.enforcement != "block"):
        return "warning"
    if check.blocks:
        return "error" if scope == "in" else "note"
    return None


def signoff_level(signoff, scope: str) -> str | None:
    if signoff.status == "passed":
        return None
    return "error" if scope == "in" else "note"


def scope_note(decision, gate, scope: str) -> str:
    if scope == "blocked":
        return f"gate `{gate.id}` is blocked by {', '.join(gate.blocked_by)}"
    if scope == "out":
        return f"not required for target `{decision.target}`"
    return ""


def fmt_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        shown = [fmt_value(v) for v in value[:5]]
        return "[" + ", ".join(shown) + (", …" if len(value) > 5 else "") + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(v)}" for k, v in list(value.items())[:5]) \
            + (", …" if len(value) > 5 else "") + "}"
    return str(value)


def measured_text(measured: dict[str, Any], limit: int = 6) -> str:
    """The measured values worth a glance: scalars and non-empty lists (nested tables are left
    to the JSON output). ``measured`` should be the rounded form from ``to_dict()``."""
    parts = []
    for key, value in measured.items():
        if isinstance(value, dict) or (isinstance(value, list) and not value):
            continue
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            continue  # per-group and per-feature tables: the JSON output and the report carry them
        parts.append(f"{key} = {fmt_value(value)}")
    if len(parts) > limit:
        parts = parts[:limit] + ["…"]
    return ", ".join(parts)


def check_summary(check) -> str:
    """One paragraph: message, condition, measured values and the evidence read."""
    data = check.to_dict()
    text = ("evidence error: " if check.status == "error" else "") + check.message
    if check.expected:
        text += f"\ncondition: {check.expected}"
    measured = measured_text(data["measured"])
    if measured:
        text += f"\nmeasured: {measured}"
    if check.evidence:
        text += "\nevidence: " + ", ".join(f"{e.path} (sha256:{e.sha256[:12]})" for e in check.evidence)
    for detail in check.details[:10]:
        text += f"\n- {detail}"
    if len(check.details) > 10:
        text += f"\n- … and {len(check.details) - 10} more"
    return text


def fingerprint(decision, qualified_id: str) -> str:
    """Stable across runs and machines: what was checked, not what was measured."""
    key = "\0".join((decision.use_case_id, qualified_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# --- SARIF -----------------------------------------------------------------------------------
