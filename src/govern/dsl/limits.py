"""The size limits of rule-language text, and the checks that enforce them at a position.

Policies are untrusted input: a pack from a pull request must not be able to exhaust the
memory or the stack of the CI runner that validates it. Every stage after parsing (the
checker, the compiler, the printer, the evaluated closures) recurses over the tree, and
lark parses at roughly 30k tokens a second, so the text, the nesting and the fan-out are
capped -- far above anything a hand-written policy needs (the largest shipped rules file
is 7.5 KiB; no shipped condition nests more than 11 levels). The numbers are documented in ``rules_dsl/README.md``;
a violation is an ordinary ``dsl-limit`` diagnostic at the place where the limit is crossed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Mapping

from govern.dsl import nodes as n
from govern.errors import Diagnostic, Span

#: UTF-8 bytes of one ``.rules`` file or one condition: about a second of parsing at the
#: worst token density (`[1,1,1,...]`), nine times the largest shipped rules file.
MAX_SOURCE_BYTES: Final = 64 * 1024
#: Nesting levels of one expression, counting each operator, call and list, and each
#: definition it uses as written out in place. Every stage after parsing recurses about
#: three Python frames per level; 100 levels keeps that well inside Python's default
#: recursion limit of 1,000 wherever govern is called from.
MAX_DEPTH: Final = 100
#: Items of one list literal, and arguments of one call.
MAX_LIST_ITEMS: Final = 10_000
#: Nodes of one expression with every definition it uses written out in place: what one
#: evaluation may visit. Definitions that use each other twice over double at every step,
#: so this is what stops `let a2 = a1 and a1` from taking forever to evaluate.
MAX_EXPANDED_NODES: Final = 100_000


def source_too_large(text: str, file: str, what: str, line_offset: int = 0,
                     col_offset: int = 0) -> Diagnostic | None:
    """A diagnostic at the first character past :data:`MAX_SOURCE_BYTES`, or ``None``."""
    if len(text) * 4 <= MAX_SOURCE_BYTES:  # no UTF-8 character is longer than 4 bytes
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_SOURCE_BYTES:
        return None
    cut = len(text.encode("utf-8", "surrogatepass")[:MAX_SOURCE_BYTES].decode("utf-8", "ignore"))
    line = text.count("\n", 0, cut) + 1
    column = cut - (text.rfind("\n", 0, cut) + 1) + 1
    return Diagnostic("dsl-limit", f"this {what} is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,} bytes "
                      "and it is crossed here", Span(file, line + line_offset,
                                                     column + (col_offset if line == 1 else 0)),
                      "split the rules into several files, or name repeated parts with `let`")


def too_deep(span: Span) -> tuple[str, Span, str]:
    """(message, span, hint) of a nesting error; one wording for the parser, checker and compiler."""
    return (f"this expression nests more than {MAX_DEPTH} levels deep (each operator, call, list and "
            "definition used counts as a level)", span,
            "write long chains of `or`/`and` as `any([...])`/`all([...])`, or split them with `let`")


@dataclass(frozen=True, slots=True)
class Shape:
    """An expression measured with the definitions it uses written out in place."""

    height: int  # nesting levels; a leaf is 1, a use of a definition is 1 + the definition's height
    size: int  # nodes, capped at MAX_EXPANDED_NODES + 1 (beyond, only the fact matters)
    #: the first use of a definition (in reading order) where the nesting passes MAX_DEPTH --
    #: unless that definition passes it by itself, which is reported at the definition
    too_deep_at: Span | None = None
    #: whether a definition used here is over MAX_EXPANDED_NODES by itself (reported there)
    uses_oversized: bool = False
    #: the first node (in reading order) nested deeper than MAX_DEPTH in the text itself
    deepest_node: n.Expr | None = None


_NO_SHAPES: Mapping[str, Shape] = {}


def measure(expr: n.Expr, shapes: Mapping[str, Shape] = _NO_SHAPES) -> Shape:
    """The shape of ``expr``, given the shapes of the definitions it may use (a name without
    a shape -- not a definition, or one inside a cycle -- counts as a plain name).

    Iterative and linear in the expression; one tight loop because every rule and condition
    of a pack goes through it on load.
    """
    height = size = 0
    too_deep_at: Span | None = None
    deepest_node: n.Expr | None = None
    oversized = False
    stack: list[tuple[n.Expr, int]] = [(expr, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        size += 1
        reach = depth
        kind = type(node)
        if kind is n.Binary:
            push((node.right, depth + 1))  # type: ignore[union-attr]
            push((node.left, depth + 1))  # type: ignore[union-attr]
        elif kind is n.Path:
            if shapes and len(node.parts) == 1:  # type: ignore[union-attr]
                shape = shapes.get(node.parts[0])  # type: ignore[union-attr]
                if shape is not None:
                    reach += shape.height
                    size += shape.size
                    oversized |= shape.size > MAX_EXPANDED_NODES
                    if too_deep_at is None and reach > MAX_DEPTH >= shape.height:
                        too_deep_at = node.span
        elif kind is n.Unary:
            push((node.operand, depth + 1))  # type: ignore[union-attr]
        elif kind is not n.Literal:
            for child in reversed(n.children(node)):
                push((child, depth + 1))
        if reach > height:
            height = reach
        if depth > MAX_DEPTH and deepest_node is None:
            deepest_node = node
    return Shape(height, min(size, MAX_EXPANDED_NODES + 1), too_deep_at, oversized, deepest_node)


def _used(expr: n.Expr, definitions: Mapping[str, n.Expr]) -> list[str]:
    return [node.parts[0] for node in n.walk(expr)
            if type(node) is n.Path and len(node.parts) == 1 and node.parts[0] in definitions]


def definition_shapes(definitions: Mapping[str, n.Expr]) -> dict[str, Shape]:
    """The shape of every definition, each measured once after those it uses.

    An iterative depth-first walk of the definitions' use graph (a chain of 5,000 `let`s
    must not recurse 5,000 deep); a cycle, reported by the checker, is cut where it closes.
    """
    shapes: dict[str, Shape] = {}
    open_: set[str] = set()  # on the current path of the walk
    for first in definitions:
        stack: list[tuple[str, bool]] = [(first, False)]
        while stack:
            name, finished = stack.pop()
            if name in shapes:
                continue
            if finished:
                open_.discard(name)
                shapes[name] = measure(definitions[name], shapes)
                continue
            if name in open_:
                continue
            open_.add(name)
            stack.append((name, True))
            stack.extend((used, False) for used in _used(definitions[name], definitions)
                         if used not in shapes and used not in open_)
    return shapes


_last: tuple[Mapping[str, n.Expr], tuple[tuple[str, n.Expr], ...], dict[str, Shape]] | None = None


def shapes_of(definitions: Mapping[str, n.Expr]) -> dict[str, Shape]:
    """:func:`definition_shapes`, remembered for the last mapping while it holds the same definitions.

    A pack is checked by three checkers (rules, check conditions, applicability) over one
    mapping of definitions; measuring it once keeps loading a pack as fast as before.
    """
    global _last
    items = tuple(definitions.items())
    if _last is not None and _last[0] is definitions and len(_last[1]) == len(items) and all(
            a[0] == b[0] and a[1] is b[1] for a, b in zip(_last[1], items)):
        return _last[2]
    shapes = definition_shapes(definitions)
    _last = (definitions, items, shapes)
    return shapes


def shape_problem(expr: n.Expr) -> Diagnostic | None:
    """The first node (in reading order) nested deeper than :data:`MAX_DEPTH`, as a diagnostic.

    Runs right after parsing, before anything that recurses over the tree.
    """
    node = measure(expr).deepest_node
    if node is None:
        return None
    message, span, hint = too_deep(node.span)
    return Diagnostic("dsl-limit", message, span, hint)
