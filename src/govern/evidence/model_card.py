"""A model card (YAML, JSON, or Markdown with YAML front matter) → :class:`ModelCard`.

Hugging Face model cards are Markdown with a YAML front-matter block; in-house cards
are often plain YAML or JSON. Both become metadata plus named sections, so that a
policy can require "Intended use" whether it is a heading or a key, and can reject
sections that are only template placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from govern.errors import Diagnostic, InputError, Span
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import YamlDocument, load_yaml_text

#: Fewer words than this (after removing placeholders) make a section trivial.
MIN_WORDS = 10


@dataclass(frozen=True)
class Section:
    """A heading and the text under it (including its sub-sections), or a metadata key's value."""

    title: str
    level: int
    text: str
    line: int


@dataclass
class ModelCard:
    metadata: dict[str, Any]
    sections: dict[str, Section]
    file: str
    format: str = "markdown"
    #: every heading in order, including ones whose normalised title repeats
    section_list: list[Section] = field(default_factory=list)
    #: the parsed front matter (Markdown) or whole document (YAML/JSON), for positions of later errors
    document: YamlDocument | None = field(default=None, repr=False, compare=False)

    def section(self, title: str) -> Section | None:
        """A section by case/punctuation-insensitive title; metadata keys count as sections too."""
        key = normalise_title(title)
        found = self.sections.get(key)
        if found is not None:
            return found
        for meta_key, value in self.metadata.items():
            if normalise_title(str(meta_key)) == key:
                return Section(str(meta_key), 0, _flatten(value), 0)
        return None

    def has_section(self, title: str) -> bool:
        return self.section(title) is not None


_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[ivxlc]+\.)\s+", re.I)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def normalise_title(title: str) -> str:
    """``"2. Intended Use:"``, ``"intended-use"`` and ``"intended_use"`` all give ``"intended use"``."""
    text = _LINK.sub(r"\1", title)
    text = _NUMBERING.sub("", text)
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


# -- triviality ------------------------------------------------------------------------------
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_PLACEHOLDERS = re.compile(
    r"\[\s*more information needed\s*\]|\bmore information needed\b|\bto be (?:determined|done|added)\b"
    r"|\bcoming soon\b|\btb[dac]\b|\btodo\b|\bfixme\b|\bxxx+\b|\bn/?a\b|\bnone\b|\bplaceholder\b"
    r"|\{\{[^}]*\}\}",  # unrendered template variables
    re.I,
)
_LOREM = re.compile(r"\blorem\s+ipsum\b", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def is_trivial(text: str | None, min_words: int = MIN_WORDS) -> bool:
    """True for empty text, template placeholders, lorem ipsum, or fewer than ``min_words`` real words.

    Placeholder words are removed before counting, so "TODO" padded with a few words is
    still trivial while a real paragraph that mentions a TODO is not.
    """
    if text is None:
        return True
    body = _COMMENT.sub(" ", text)
    if _LOREM.search(body):
        return True
    body = _PLACEHOLDERS.sub(" ", body)
    body = re.sub(r"https?://\S+", " ", body)
    return len(_WORD.findall(body)) < min_words


# -- parsing ---------------------------------------------------------------------------------
def load_model_card(source: Source) -> ModelCard:
    """Parse by extension: ``.md`` is Markdown (front matter optional), ``.json`` JSON, else YAML."""
    text, name = read_text(source, "model_card")
    lower = name.lower()
    if lower.endswith((".md", ".markdown")):
        return parse_markdown_card(text, name)
    doc = load_json_text(text, name) if lower.endswith(".json") else load_yaml_text(text, name)
    return _structured_card(doc, "json" if lower.endswith(".json") else "yaml")


def _structured_card(doc: YamlDocument, fmt: str) -> ModelCard:
    if not isinstance(doc.data, dict):
        raise InputError(doc.diagnostic("model-card-invalid", "a YAML/JSON model card must be a mapping"))
    card = ModelCard(doc.data, {}, doc.path, fmt, document=doc)
    for key, value in doc.data.items():
        line = doc.span((key,), key=True).line
        _add_section(card, Section(str(key), 1, _flatten(value), line))
        if isinstance(value, dict) and normalise_title(str(key)) == "sections":
            for sub, sub_value in value.items():
                _add_section(card, Section(str(sub), 2, _flatten(sub_value), doc.span((key, sub), key=True).line))
    return card


def parse_markdown_card(text: str, name: str) -> ModelCard:
    """Front matter (``---`` first line … ``---`` or ``...``) as metadata; ATX/setext headings as sections."""
    lines = text.split("\n")
    metadata: dict[str, Any] = {}
    doc: YamlDocument | None = None
    body_start = 0
    if lines and lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
        if end is None:
            raise InputError(Diagnostic("model-card-front-matter", "front matter opened with `---` is never closed",
                                        Span(name, 1, 1), "close it with a `---` line"))
        # one leading newline keeps YAML line numbers equal to the file's
        doc = load_yaml_text("\n" + "\n".join(lines[1:end]), name)
        if doc.data is not None and not isinstance(doc.data, dict):
            raise InputError(doc.diagnostic("model-card-front-matter", "front matter must be a YAML mapping"))
        metadata = doc.data or {}
        body_start = end + 1
    card = ModelCard(metadata, {}, name, "markdown", document=doc)
    for section in _sections(lines, body_start):
        _add_section(card, section)
    return card


def _add_section(card: ModelCard, section: Section) -> None:
    card.section_list.append(section)
    card.sections.setdefault(normalise_title(section.title), section)


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def _sections(lines: list[str], start: int) -> list[Section]:
    """Headings outside fenced code; a section's text runs to the next heading of equal or higher rank."""
    heads: list[tuple[int, int, str, int]] = []  # (line index, level, title, index where text starts)
    fence: str | None = None
    i = start
    while i < len(lines):
        line = lines[i]
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            i += 1
            continue
        if fence_match:
            fence = fence_match.group(1)
            i += 1
            continue
        atx = _ATX.match(line)
        if atx:
            heads.append((i, len(atx.group(1)), (atx.group(2) or "").strip(), i + 1))
        elif (line.strip() and i + 1 < len(lines) and _SETEXT.match(lines[i + 1])
              and not (i > start and lines[i - 1].strip() and not _ATX.match(lines[i - 1]))):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            heads.append((i, level, line.strip(), i + 2))
            i += 1
        i += 1
    out: list[Section] = []
    for n, (at, level, title, text_from) in enumerate(heads):
        end = len(lines)
        for later_at, later_level, _, _ in heads[n + 1:]:
            if later_level <= level:
                end = later_at
                break
        out.append(Section(title, level, "\n".join(lines[text_from:end]).strip(), at + 1))
    return out


def _flatten(value: Any) -> str:
    """Readable text of a metadata value, so nested YAML sections can be judged for triviality."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # values only: key names are structure, not content
        return "\n".join(_flatten(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_flatten(v) for v in value)
    return str(value)
