"""Decision → what every output format shares: levels, locations, measured values, safe text.

JUnit, SARIF, GitHub annotations and Markdown must agree with the decision's ``determining``
list on what blocks the target (and whether it is a failure or a sign-off still awaited), what
only warns and what concerns a gate beyond the target, so :func:`findings` decides it once.
And every format that lands in a log or a page must keep hostile text inert, so
:func:`printable` is the one escape for control characters.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from typing import Any

FINGERPRINT_KEY = "governCheck/v1"

_LOCATION = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?$")

# C0 and C1 controls (CR/LF, ESC of ANSI sequences, BEL, ...), DEL, the Unicode line and
# paragraph separators, and the bidirectional overrides that reorder how a line reads
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# what json.dumps(ensure_ascii=False) leaves raw of the above (it escapes C0 itself)
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def headline(decision: Any) -> str:
    """The verdict sentence every format shows; a replay (`--as-of`) says so before anything else,
    so a decision at a chosen date is never read as today's."""
    if getattr(decision, "replay", False):
        return f"REPLAY as of {decision.as_of.isoformat()}: {decision.verdict}"
    return decision.verdict


def printable(text: object) -> str:
    """Untrusted text (names, messages, evidence excerpts) as one inert line.

    Use-case names, evidence and policy text are hostile: a newline in a name would start a new
    log line, and a CI runner reads a line that starts with ``::`` as a workflow command; an ANSI
    escape can rewrite what a terminal shows. Every control character becomes a visible escape
    (``\\n``, ``\\x1b``, ``\\u202e``); everything else is kept. Idempotent, so text escaped twice
    reads the same.
    """
    def visible(match: re.Match[str]) -> str:
        char = match.group()
        if char in _NAMED:
            return _NAMED[char]
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROL.sub(visible, str(text))


def json_text(data: Any) -> str:
    """``data`` as indented JSON with the controls JSON leaves raw (DEL, C1, line separators,
    bidi overrides) written as ``\\uXXXX`` escapes: the same value to a parser, inert in a log."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


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


# --- what each result means for the target ------------------------------------------------

#: levels of a finding, shared by every CI format:
#: ``error``   - stands between the model and the target (in ``decision.determining``): a failed
#:               or errored blocking check, or a rejected sign-off — whether or not its gate is
#:               reachable yet, since an upstream block does not make a real failure less real;
#: ``pending`` - in ``determining`` too, but only a person's sign-off is awaited: nothing is
#:               wrong with the model, so CI shows it apart from failures;
#: ``warning`` - a ``warn`` check that failed or could not be evaluated: reported, never blocking;
#: ``note``    - a problem in a gate that does not decide this target (a later stage);
#: ``waived``  - a failure accepted by a signed waiver in force.
ERROR, PENDING, WARNING, NOTE, WAIVED = "error", "pending", "warning", "note", "waived"


@dataclass(frozen=True)
class Finding:
    """One check or sign-off of the decision with the level every format reports it at."""

    gate: Any  # GateResult
    item: Any  # CheckResult | SignoffResult
    qualified_id: str
    level: str | None  # one of the levels above; None: passed, nothing to report
    context: str = ""  # why a note decides nothing, or that the gate also waits upstream

    @property
    def is_signoff(self) -> bool:
        return not hasattr(self.item, "kind")

    @property
    def status(self) -> str:
        return self.item.status


def signoff_id(signoff) -> str:
    """The sign-off's qualified id as the decision's ``determining`` list spells it (by its
    template id, which is its role unless two sign-offs of one role are told apart)."""
    return f"{signoff.gate}.signoff:{signoff.id or signoff.role}"


def findings(decision) -> list[Finding]:
    """Every check and sign-off in gate order, classified from the decision's own ``determining``
    list, so no format can disagree with the verdict about what blocks."""
    determining = set(decision.determining)
    out: list[Finding] = []
    for gate in decision.gates:
        waiting = f"gate `{gate.id}` also waits for {', '.join(gate.blocked_by)}" if gate.blocked_by else ""
        outside = f"not required for target `{decision.target}`" + (f"; {waiting}" if waiting else "")
        for check in gate.checks:
            qid = check.qualified_id
            if check.status == "passed":
                level = None
            elif check.status == "waived":
                level = WAIVED
            elif qid in determining:
                level = ERROR
            elif check.status == "warned" or check.enforcement != "block":
                level = WARNING
            else:
                level = NOTE
            out.append(Finding(gate, check, qid, level, _context(level, waiting, outside)))
        for signoff in gate.signoffs:
            qid = signoff_id(signoff)
            if signoff.status == "passed":
                level = None
            elif qid in determining:
                level = PENDING if signoff.status == "pending" else ERROR
            else:
                level = NOTE
            out.append(Finding(gate, signoff, qid, level, _context(level, waiting, outside)))
    return out


def _context(level: str | None, waiting: str, outside: str) -> str:
    if level == NOTE:
        return outside
    return waiting if level in (ERROR, PENDING) else ""


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
    """Lines of one paragraph: message, condition, measured values and the evidence read.

    Each line is :func:`printable`, so the line breaks are the summary's own and a format may
    turn them into its line separator (``%0A``, ``<br>``) without evidence text adding lines.
    """
    data = check.to_dict()
    lines = [("evidence error: " if check.status == "error" else "") + printable(check.message)]
    if check.expected:
        lines.append(f"condition: {printable(check.expected)}")
    measured = measured_text(data["measured"])
    if measured:
        lines.append(f"measured: {printable(measured)}")
    if check.evidence:
        lines.append("evidence: " + ", ".join(f"{printable(e.path)} (sha256:{printable(e.sha256[:12])})"
                                               for e in check.evidence))
    lines += [f"- {printable(detail)}" for detail in check.details[:10]]
    if len(check.details) > 10:
        lines.append(f"- … and {len(check.details) - 10} more")
    return "\n".join(lines)


def signoff_summary(signoff) -> str:
    """The sign-off's state and each record that did not count, one printable line each."""
    lines = [f"sign-off {signoff.status}: {printable(signoff.message)}"]
    lines += [f"- {printable(record.get('signer', 'record'))}: did not count — {printable(record.get('problem', ''))}"
              for record in signoff.rejected]
    return "\n".join(lines)


def fingerprint(decision, qualified_id: str) -> str:
    """Stable across runs and machines: what was checked, not what was measured."""
    key = "\0".join((decision.use_case_id, qualified_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

