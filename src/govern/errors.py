"""The one error family users see: diagnostics with a code, a source span and a hint.

Every stage (YAML loading, DSL parsing, static checking, pack validation, evidence
reading) reports problems as :class:`Diagnostic` values so that the CLI can print all of
them, sorted by position, as ``file:line:col: message`` with the source line and a caret,
and exit 2 -- never a Python traceback for a user mistake.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Collection, Iterable, Sequence


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, as editors show them."""

    file: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line or self.line,
            "end_column": self.end_column or self.column,
        }


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in user input; ``code`` is stable so tools can filter on it."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    source_line: str | None = None
    severity: str = "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.message)
        return (self.span.file, self.span.line, self.span.column, self.message)

    def render(self) -> str:
        """``file:line:col: error[code]: message`` + the source line, a caret and a hint."""
        where = f"{self.span}: " if self.span is not None else ""
        lines = [f"{where}{self.severity}[{self.code}]: {self.message}"]
        if self.source_line is not None and self.span is not None and self.span.line > 0:
            col = max(self.span.column, 1)
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > col:
                width = self.span.end_column - col
            text, col, width = _excerpt(self.source_line.rstrip("\n"), col, width)
            lines.append(f"    {text}")
            lines.append("    " + " " * (col - 1) + "^" * max(width, 1))
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": self.span.to_dict() if self.span else None,
            "hint": self.hint,
        }


class GovernError(Exception):
    """Base of every error govern raises on purpose; the CLI turns it into exit code 2."""

    exit_code = 2

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


class PolicyError(GovernError):
    """A policy pack (manifest, facts, rules, templates, tests) is invalid."""


class UseCaseError(GovernError):
    """A use-case descriptor does not match the pack's questionnaire."""


class InputError(GovernError):
    """A file could not be read safely (size, encoding, YAML structure, path)."""


class EvidenceError(GovernError):
    """An evidence bundle is unusable as a whole (not a single check's evidence)."""


@dataclass
class DiagnosticSink:
    """Collects diagnostics across a stage so that all errors of a file are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def error(
        self,
        code: str,
        message: str,
        span: Span | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        self.items.append(Diagnostic(code, message, span, hint, source_line))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, kind: type[GovernError] = GovernError) -> None:
        if self.items:
            raise kind(self.items)


#: Characters of a source line shown under a diagnostic: a minified one-line file must not
#: print itself once per error.
EXCERPT_CHARS = 160


def _excerpt(text: str, col: int, width: int) -> tuple[str, int, int]:
    """The part of a long line around the caret: (text, caret column, caret width) within it."""
    if len(text) <= EXCERPT_CHARS:
        return text, col, width
    start = max(0, min(col - 1 - EXCERPT_CHARS // 3, len(text) - EXCERPT_CHARS))
    end = start + EXCERPT_CHARS
    prefix = "…" if start > 0 else ""
    shown = prefix + text[start:end] + ("…" if end < len(text) else "")
    col = col - start + len(prefix)
    return shown, col, max(1, min(width, len(prefix) + end - start - col + 1))


@functools.lru_cache(maxsize=4)  # diagnostics come file by file; a few keep the split of each
def _lines(text: str) -> tuple[str, ...]:
    return tuple(text.splitlines())


def line_at(text: str | None, line: int) -> str | None:
    """Line ``line`` (1-based) of a source text, for the caret display of a diagnostic.

    The split is cached per text: a file with ten thousand errors is split once, not once
    per error, and every diagnostic on one line shares that line's string.
    """
    if text is None or line <= 0:
        return None
    lines = _lines(text)
    return lines[line - 1] if line <= len(lines) else None


def shorten(text: str, limit: int = 60) -> str:
    """User text quoted in a message, cut to ``limit`` characters: a message names, it does not copy."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Names longer than this are not typos of a known name (and difflib is quadratic in length).
_SUGGEST_MAX_CHARS = 200


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest known name, as compilers do for typos."""
    import difflib

    if len(name) > _SUGGEST_MAX_CHARS:
        return None
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches and len(name) >= 3:  # abbreviations: `prod` for `production`
        matches = [c for c in pool if c.startswith(name)][:1]
    return f"did you mean `{matches[0]}`?" if matches else None


class Suggester:
    """:func:`did_you_mean` with a work budget shared by one stage.

    Each suggestion costs time proportional to the number of candidates, so a file with
    thousands of misspellings against thousands of names would take quadratic time; once
    the budget (candidates compared, summed over calls) is spent, errors come without a hint.
    """

    def __init__(self, budget: int = 200_000) -> None:
        self.remaining = budget

    def __call__(self, name: str, candidates: Collection[str]) -> str | None:
        cost = len(candidates) + 1
        if cost > self.remaining:
            return None
        self.remaining -= cost
        return did_you_mean(name, candidates)
