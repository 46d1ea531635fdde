"""The one error family users see: diagnostics with a code, a source span and a hint.

Every stage (YAML loading, DSL parsing, static checking, pack validation, evidence
reading) reports problems as :class:`Diagnostic` values so that the CLI can print all of
them, sorted by position, as ``file:line:col: message`` with the source line and a caret,
and exit 2 -- never a Python traceback for a user mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence


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
            text = self.source_line.rstrip("\n")
            lines.append(f"    {text}")
            col = max(self.span.column, 1)
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > col:
                width = self.span.end_column - col
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


def line_at(text: str | None, line: int) -> str | None:
    """Line ``line`` (1-based) of a source text, for the caret display of a diagnostic."""
    if text is None or line <= 0:
        return None
    lines = text.splitlines()
    return lines[line - 1] if line <= len(lines) else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest known name, as compilers do for typos."""
    import difflib

    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches and len(name) >= 3:  # abbreviations: `prod` for `production`
        matches = [c for c in pool if c.startswith(name)][:1]
    return f"did you mean `{matches[0]}`?" if matches else None
