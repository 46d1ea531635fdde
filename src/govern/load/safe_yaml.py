"""Untrusted YAML text → plain Python data plus the line and column of every value.

PyYAML's safe loader already refuses arbitrary objects; on top of it this module caps the
file size, the nesting, the number of alias uses and of constructed nodes (alias "billion
laughs" bombs), rejects duplicate keys (which PyYAML silently overwrites) and keeps a
position map so that later validation errors can point at ``file:line:col``.

Scalars PyYAML would turn into an exception or a value nothing downstream can use are
errors at their position too: impossible dates (``2026-13-45``), numbers longer than
:data:`~govern.dsl.values.MAX_NUMBER_CHARS` (Python's ``int()`` is quadratic and capped),
and numbers that are not finite doubles (``.inf``, ``.nan``, ``1.0e+999999``), as the JSON
reader does for evidence.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govern.dsl.values import MAX_NUMBER_CHARS, number_problem
from govern.errors import Diagnostic, InputError, Span, line_at, shorten

MAX_BYTES = 5 * 1024 * 1024
MAX_ALIASES = 100
MAX_NODES = 200_000
#: Nesting of mappings and lists; building the data recurses once per level.
MAX_DEPTH = 64

Loc = tuple[str | int, ...]

try:  # the C loader composes ~10x faster; both produce the same node tree
    _Loader: type = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass
class YamlDocument:
    """Loaded data with a map from location (tuple of keys/indices) to its position."""

    path: str
    text: str
    data: Any
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def span(self, loc: Loc = (), *, key: bool = False) -> Span:
        """Span of the value at ``loc`` (or of its key), falling back to the nearest parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(loc)
        while True:
            if probe in table:
                line, col = table[probe]
                return Span(self.path, line, col)
            if key and probe in self.positions:
                line, col = self.positions[probe]
                return Span(self.path, line, col)
            if not probe:
                return Span(self.path, 1, 1)
            probe = probe[:-1]

    def source_line(self, line: int) -> str | None:
        return line_at(self.text, line)

    def diagnostic(self, code: str, message: str, loc: Loc = (), hint: str | None = None,
                   *, key: bool = False) -> Diagnostic:
        span = self.span(loc, key=key)
        return Diagnostic(code, message, span, hint, self.source_line(span.line))


def read_text(path: Path, *, max_bytes: int = MAX_BYTES, display: str | None = None) -> str:
    """Read a UTF-8 text file with a size cap; every failure is an :class:`InputError`."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(Diagnostic("file-not-found", f"no such file: {name}", Span(name))) from None
    except OSError as exc:
        raise InputError(Diagnostic("file-unreadable", f"cannot read {name}: {exc.strerror}", Span(name))) from None
    if path.is_dir():
        raise InputError(Diagnostic("file-is-directory", f"{name} is a directory, expected a file", Span(name)))
    if size > max_bytes:
        raise InputError(Diagnostic(
            "file-too-large", f"{name} is {size} bytes; the limit is {max_bytes} bytes", Span(name),
            hint="large data belongs in evidence data files, not in YAML"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Diagnostic("file-unreadable", f"cannot read {name}: {exc.strerror}", Span(name))) from None
    return decode_utf8(raw, name)


def decode_utf8(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(Diagnostic(
            "not-utf8", f"{name} is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", Span(name, line, col))) from None
    return text.replace("\r\n", "\n")


def load_yaml_file(path: Path, *, display: str | None = None, max_bytes: int = MAX_BYTES) -> YamlDocument:
    name = display or str(path)
    return load_yaml_text(read_text(path, max_bytes=max_bytes, display=name), name)


def load_yaml_text(text: str, name: str = "<string>") -> YamlDocument:
    """Parse one YAML document; syntax errors carry the parser's own line and column."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InputError(Diagnostic("file-too-large", f"{name} exceeds {MAX_BYTES} bytes", Span(name)))
    doc = YamlDocument(name, text, None)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = (exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.problem:
            message = f"{exc.problem} ({exc.context})"
        raise InputError(Diagnostic("yaml-syntax", f"invalid YAML: {message}", Span(name, line, col),
                                    source_line=doc.source_line(line))) from None
    except yaml.YAMLError as exc:
        raise InputError(Diagnostic("yaml-syntax", f"invalid YAML: {exc}", Span(name, 1, 1))) from None
    if node is None:
        return doc
    builder = _Builder(doc)
    doc.data = builder.build(node, ())
    return doc


_SCALAR_LOADER = yaml.SafeLoader("")


class _Builder:
    """Turns a composed node tree into data while counting nodes and aliases."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()

    def _fail(self, code: str, message: str, node: yaml.Node, hint: str | None = None) -> InputError:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        return InputError(Diagnostic(code, message, Span(self.doc.path, line, col), hint,
                                     self.doc.source_line(line)))

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        if len(loc) > MAX_DEPTH:
            raise self._fail("yaml-too-deep", f"values nest more than {MAX_DEPTH} levels deep", node,
                             "policies and evidence are flat documents; is this generated by mistake?")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._fail("yaml-too-many-nodes", f"document expands to more than {MAX_NODES} values", node,
                             "is this an alias bomb? govern caps aliases and expanded size")
        key = id(node)
        if key in self.active:
            raise self._fail("yaml-recursive-alias", "recursive alias", node)
        if key in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise self._fail("yaml-too-many-aliases", f"more than {MAX_ALIASES} alias uses", node,
                                 "govern caps YAML aliases to defuse alias bombs")
        self.seen.add(key)
        self.doc.positions.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, loc + (i,)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
        finally:
            self.active.discard(key)
        raise self._fail("yaml-unsupported", f"unsupported YAML node {node.tag}", node)  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._fail("yaml-merge-key", "YAML merge keys (`<<`) are not supported", key_node,
                                 "write the keys out; policies are easier to review that way")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail("yaml-complex-key", "mapping keys must be plain scalars", key_node)
            try:
                key = self._scalar(key_node)
            except InputError as exc:
                if exc.diagnostics[0].code not in ("yaml-bad-number", "yaml-bad-date"):
                    raise
                key = key_node.value  # a key is a name: `2026-13-45:` means its text, as `1.0:` does
            if isinstance(key, bool) or key is None or isinstance(key, (_dt.date, float)):
                key = key_node.value  # `on:` or `1.0:` as keys mean their text, not a boolean
            key = str(key)
            if key in out:
                raise self._fail("yaml-duplicate-key", f"duplicate key `{key}`", key_node,
                                 "YAML would silently keep only the last value")
            child = loc + (key,)
            self.doc.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child)
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _KNOWN_TAGS:
            raise self._fail("yaml-unsupported-tag", f"unsupported YAML tag {node.tag}", node,
                             "only plain YAML types are accepted in policies and evidence")
        numeric = node.tag in _NUMBER_TAGS
        if numeric and len(node.value) > MAX_NUMBER_CHARS:
            raise self._fail("yaml-bad-number", f"number `{shorten(node.value, 24)}` has {len(node.value):,} "
                             f"characters; the limit is {MAX_NUMBER_CHARS}", node,
                             "quote it if it is an identifier, not a quantity")
        if node.tag == _STR:  # most scalars: what PyYAML's constructor would return, without the call
            return node.value
        try:
            # the tag's constructor itself: construct_object would also remember every node it
            # ever built in the shared loader, a leak across every document of a long run
            value = _SCALAR_LOADER.yaml_constructors[node.tag](_SCALAR_LOADER, node)
        except Exception as exc:  # noqa: BLE001 - `!!bool maybe` is a KeyError, `!!timestamp x` another
            why = f" ({exc})" if isinstance(exc, ValueError) else ""  # `month must be in 1..12`
            if node.tag == _TIMESTAMP:
                raise self._fail("yaml-bad-date", f"`{shorten(node.value)}` is not a valid date{why}", node,
                                 "dates are written YYYY-MM-DD; quote the value if it is text") from None
            kind = node.tag.rsplit(":", 1)[-1]
            raise self._fail("yaml-bad-scalar", f"`{shorten(node.value)}` is not a valid {kind}",
                             node) from None
        if numeric and not isinstance(value, bool):
            problem = number_problem(value)
            if problem is not None:
                raise self._fail("yaml-bad-number", f"number `{shorten(node.value, 24)}` {problem}", node,
                                 "write a finite number; quote the value if it is text")
        return value


_KNOWN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)
_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
