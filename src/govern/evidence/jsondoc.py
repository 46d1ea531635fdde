"""JSON text → data plus the line/column of every value, as a :class:`YamlDocument`.

Python's :mod:`json` accepts ``NaN``/``Infinity`` (and turns ``1e999`` into infinity),
silently keeps the last of duplicate keys and reports no positions for values. Evidence
needs all three handled: non-finite numbers and duplicate keys are errors, and
schema errors must point at ``file:line:col``. Syntax is still checked by :mod:`json`
(its ``lineno``/``colno`` are exact); a second, light walk over the now-valid text
records positions. Returning a ``YamlDocument`` lets JSON and YAML evidence share the
same ``span``/``diagnostic`` helpers and pydantic error mapping.
"""

from __future__ import annotations

import bisect
import json
import math
from json.decoder import scanstring
from json.scanner import NUMBER_RE
from typing import Any

from govern.errors import Diagnostic, InputError, Span
from govern.load.safe_yaml import Loc, YamlDocument

#: Deeper nesting than this is not honest evidence, and deep recursion is a DoS vector.
MAX_DEPTH = 64


class _BadNumber:
    """Placeholder the json hooks return for NaN, ±Infinity and overflowing numbers."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(text)


def _parse_int(text: str) -> int | _BadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than Python's int-from-string limit
        return _BadNumber(text[:20] + "…")


def load_json_text(text: str, name: str, *, line_offset: int = 0) -> YamlDocument:
    """Parse one JSON document; every problem is collected into one :class:`InputError`.

    ``line_offset`` shifts reported lines, for documents that are one line of a JSON Lines file.
    """
    try:
        data = json.loads(text, parse_constant=_BadNumber, parse_float=_parse_float, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = exc.lineno
        raise InputError(Diagnostic(
            "json-syntax", f"invalid JSON: {exc.msg}", Span(name, line + line_offset, exc.colno),
            source_line=lines[line - 1] if 0 < line <= len(lines) else None)) from None
    except RecursionError:
        raise InputError(Diagnostic("json-too-deep", f"{name} nests deeper than Python can parse",
                                    Span(name, 1 + line_offset, 1))) from None
    doc = YamlDocument(name, "\n" * line_offset + text, data)
    problems: list[Diagnostic] = []
    _Indexer(text, doc, problems, line_offset).run()
    if not problems:
        _find_bad_numbers(data, (), doc, problems)
    if problems:
        raise InputError(problems)
    return doc


def _find_bad_numbers(value: Any, loc: Loc, doc: YamlDocument, out: list[Diagnostic]) -> None:
    if isinstance(value, _BadNumber):
        out.append(doc.diagnostic("json-non-finite", f"`{value.text}` is not a finite number", loc,
                                  "NaN and infinite values have no place in evidence; fix the producer"))
    elif isinstance(value, dict):
        for key, child in value.items():
            _find_bad_numbers(child, loc + (key,), doc, out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _find_bad_numbers(child, loc + (i,), doc, out)


_WS = " \t\n\r"
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


class _Indexer:
    """Walks text already accepted by :mod:`json`, recording positions and duplicate keys."""

    def __init__(self, text: str, doc: YamlDocument, problems: list[Diagnostic], line_offset: int) -> None:
        self.text = text
        self.doc = doc
        self.problems = problems
        self.line_offset = line_offset
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def pos(self, idx: int) -> tuple[int, int]:
        line = bisect.bisect_left(self.newlines, idx)
        start = self.newlines[line - 1] + 1 if line else 0
        return line + 1 + self.line_offset, idx - start + 1

    def skip(self, idx: int) -> int:
        text = self.text
        while idx < len(text) and text[idx] in _WS:
            idx += 1
        return idx

    def run(self) -> None:
        try:
            self.value(self.skip(0), (), 0)
        except _TooDeep as exc:
            line, col = self.pos(exc.idx)
            self.problems.append(Diagnostic("json-too-deep", f"JSON nests deeper than {MAX_DEPTH} levels",
                                            Span(self.doc.path, line, col)))

    def value(self, idx: int, loc: Loc, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _TooDeep(idx)
        self.doc.positions.setdefault(loc, self.pos(idx))
        ch = self.text[idx]
        if ch == "{":
            return self.obj(idx + 1, loc, depth)
        if ch == "[":
            return self.arr(idx + 1, loc, depth)
        if ch == '"':
            return scanstring(self.text, idx + 1)[1]
        for lit in _LITERALS:
            if self.text.startswith(lit, idx):
                return idx + len(lit)
        match = NUMBER_RE.match(self.text, idx)
        assert match is not None, "text was validated by json.loads"
        return match.end()

    def obj(self, idx: int, loc: Loc, depth: int) -> int:
        seen: set[str] = set()
        idx = self.skip(idx)
        if self.text[idx] == "}":
            return idx + 1
        while True:
            key_at = idx
            key, idx = scanstring(self.text, idx + 1)
            child = loc + (key,)
            if key in seen:
                line, col = self.pos(key_at)
                self.problems.append(Diagnostic(
                    "json-duplicate-key", f"duplicate key `{key}`", Span(self.doc.path, line, col),
                    "JSON parsers disagree on which duplicate wins; keep one", self.doc.source_line(line)))
            seen.add(key)
            self.doc.key_positions.setdefault(child, self.pos(key_at))
            idx = self.skip(self.skip(idx) + 1)  # past ':'
            idx = self.skip(self.value(idx, child, depth + 1))
            if self.text[idx] == "}":
                return idx + 1
            idx = self.skip(idx + 1)  # past ','

    def arr(self, idx: int, loc: Loc, depth: int) -> int:
        idx = self.skip(idx)
        if self.text[idx] == "]":
            return idx + 1
        i = 0
        while True:
            idx = self.skip(self.value(idx, loc + (i,), depth + 1))
            i += 1
            if self.text[idx] == "]":
                return idx + 1
            idx = self.skip(idx + 1)


class _TooDeep(Exception):
    def __init__(self, idx: int) -> None:
        self.idx = idx
