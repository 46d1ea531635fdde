"""`custom` check: a measurement computed by a policy author's own Python, found by entry point.

A pack names an entry point of the ``govern.checks`` group (``params.entry_point``); the
installed distribution that declares it supplies a callable ``check(evidence, options)``.
It gets the evidence only through :class:`EvidenceReader`, the same confined, size-capped
readers the built-in kinds use, and every file it reads is listed with its digest in the
check result: a decision never rests on bytes nobody can name.

The callable returns a mapping (its ``measured`` values, judged by the template's
``condition``) or a :class:`~govern.checks.base.Measurement`. Whatever goes wrong inside it
-- an exception, a value that is not JSON data, a NaN -- makes the check ``error``, never
``passed``: code the engine cannot vouch for only ever counts when it answered cleanly.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from govern.checks.base import EvidenceRef, Measurement
from govern.errors import Diagnostic, GovernError, InputError

if TYPE_CHECKING:
    from govern.checks.context import EvaluationContext
    from govern.policy.model import CheckSpec

#: The entry-point group packages declare their checks in (``[project.entry-points."govern.checks"]``).
GROUP = "govern.checks"
#: What a custom check may return, as canonical JSON: a summary, not a data dump.
MAX_MEASURED_BYTES = 256 * 1024
_MAX_DEPTH = 16


class EvidenceReader:
    """The evidence bundle as a custom check sees it: read-only, confined, capped, and recorded.

    Files are named by role (``metrics``, ``data``, a policy's own role such as
    ``bias_audit_report``) or by bundle-relative path; paths that leave the bundle, links
    out of it and oversized files are refused exactly as for the built-in checks.
    """

    def __init__(self, ctx: "EvaluationContext") -> None:
        self._ctx = ctx
        self._read: dict[str, EvidenceRef] = {}

    @property
    def as_of(self) -> _dt.date:
        """The evaluation date (today in UTC, or the labelled replay date of ``--as-of``)."""
        return self._ctx.as_of

    def files(self, role: str | None = None) -> list[str]:
        """Bundle-relative paths, all of them or those with one role, sorted."""
        found = self._ctx.bundle.files if role is None else self._ctx.bundle.files_with_role(role)
        return sorted(f.path for f in found)

    def columns(self) -> dict[str, Any]:
        """The evidence manifest's column mapping (target, prediction, score, sensitive, …)."""
        return dict(self._ctx.columns())

    def read_bytes(self, role_or_path: str) -> bytes:
        from govern.evidence.reading import read_bytes

        source = self._ctx.file(role_or_path)
        raw, _ = read_bytes(source, source.role, allow_empty=True)
        # Digest what was read, not what the file holds later: a file swapped during the
        # evaluation would otherwise be decided on one content and recorded with another.
        sha = hashlib.sha256(raw).hexdigest()
        if sha != source.sha256:
            raise InputError(Diagnostic("evidence-changed", f"{source.path} changed while it was being evaluated"))
        self._read[source.path] = EvidenceRef(source.path, sha)
        return raw

    def read_text(self, role_or_path: str) -> str:
        from govern.load.safe_yaml import decode_utf8

        raw = self.read_bytes(role_or_path)
        return decode_utf8(raw, self._ctx.file(role_or_path).path)

    def metrics(self) -> dict[str, Any]:
        """The parsed metrics file (the same reader `metric` checks use)."""
        found = self._ctx.file("metrics")
        data = self._ctx.metrics().data
        self._read[found.path] = self._ctx.ref(found)
        return copy.deepcopy(data)  # the parsed file is shared with the other checks

    def model_card(self) -> dict[str, Any]:
        """The model card's metadata (front matter)."""
        found = self._ctx.file("model_card")
        data = self._ctx.model_card().metadata
        self._read[found.path] = self._ctx.ref(found)
        return copy.deepcopy(data)

    @property
    def evidence(self) -> list[EvidenceRef]:
        return [self._read[p] for p in sorted(self._read)]


def load_entry_point(name: str) -> Callable[..., Any]:
    """The callable an installed distribution declares as ``name`` in the ``govern.checks`` group."""
    from importlib.metadata import entry_points

    found = entry_points(group=GROUP, name=name)
    if not found:
        installed = sorted({ep.name for ep in entry_points(group=GROUP)})
        raise InputError(Diagnostic(
            "custom-check-missing", f"no `{GROUP}` entry point named `{name}` is installed",
            hint=("installed: " + ", ".join(installed)) if installed else
            f"install the package that declares it under [project.entry-points.\"{GROUP}\"]"))
    if len(found) > 1:
        sources = sorted(str(ep.value) for ep in found)
        raise InputError(Diagnostic("custom-check-ambiguous", f"{len(found)} installed packages declare "
                                    f"`{GROUP}` entry point `{name}`: {', '.join(sources)}",
                                    hint="uninstall all but one: which code decides must not depend on import order"))
    (ep,) = tuple(found)
    try:
        fn = ep.load()
    except Exception as exc:  # noqa: BLE001 -- the plugin's import failing is its error, reported as such
        raise InputError(Diagnostic("custom-check-import", f"entry point `{name}` ({ep.value}) failed to load: "
                                    f"{type(exc).__name__}: {exc}")) from None
    if not callable(fn):
        raise InputError(Diagnostic("custom-check-import", f"entry point `{name}` ({ep.value}) is not callable"))
    return fn


def run(spec: "CheckSpec", ctx: "EvaluationContext") -> Measurement:
    name = spec.params.get("entry_point")
    if not isinstance(name, str) or not name:
        raise InputError(Diagnostic("custom-check-missing", "a `custom` check needs `params.entry_point`"))
    options = spec.params.get("options") or {}
    if not isinstance(options, Mapping):
        raise InputError(Diagnostic("invalid-value", f"`options` of custom check `{spec.id}` must be a mapping"))
    fn = load_entry_point(name)
    reader = EvidenceReader(ctx)
    try:
        returned = fn(reader, dict(options))
    except GovernError:
        raise  # evidence missing, too large, outside the bundle: the reader's own precise error
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- any failure of the plugin is an `error` result
        raise InputError(Diagnostic("custom-check-raised", f"custom check `{name}` raised "
                                    f"{type(exc).__name__}: {exc}")) from None
    return _measurement(name, returned, reader.evidence)


def _measurement(name: str, returned: Any, evidence: list[EvidenceRef]) -> Measurement:
    if isinstance(returned, Measurement):
        measured, ok, message, details = returned.measured, returned.ok, returned.message, returned.details
    elif isinstance(returned, Mapping):
        measured, ok, message, details = returned, None, "", []
    else:
        raise InputError(Diagnostic("custom-check-result", f"custom check `{name}` returned "
                                    f"{type(returned).__name__}, expected a mapping of measured values"))
    if ok is not None and not isinstance(ok, bool):
        raise InputError(Diagnostic("custom-check-result", f"custom check `{name}` returned ok={ok!r}, "
                                    "expected true, false or none"))
    problem = _json_problem(measured, "result", 0)
    if problem is not None:
        raise InputError(Diagnostic("custom-check-result", f"custom check `{name}` returned {problem}"))
    from govern.canonical import canonical_json

    if len(canonical_json(dict(measured))) > MAX_MEASURED_BYTES:
        raise InputError(Diagnostic("custom-check-result", f"custom check `{name}` returned more than "
                                    f"{MAX_MEASURED_BYTES} bytes of measurements", hint="return a summary"))
    return Measurement(measured=dict(measured), ok=ok, message=str(message), evidence=evidence,
                       details=[str(d) for d in details])


def _json_problem(value: Any, where: str, depth: int) -> str | None:
    """Why a returned value is not plain, finite JSON data (what a decision record can hold)."""
    if depth > _MAX_DEPTH:
        return f"values nested deeper than {_MAX_DEPTH} at `{where}`"
    if value is None or isinstance(value, (bool, str, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"a non-finite number ({value}) at `{where}`"
    if isinstance(value, Mapping):
        for key, child in value.items():
            if not isinstance(key, str):
                return f"a non-string key {key!r} at `{where}`"
            problem = _json_problem(child, f"{where}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            problem = _json_problem(child, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
        return None
    return f"a {type(value).__name__} at `{where}`, which is not JSON data"
