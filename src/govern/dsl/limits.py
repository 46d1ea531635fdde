"""The size limits of rule-language text, and the checks that enforce them at a position.

Policies are untrusted input: a pack from a pull request must not be able to exhaust the
memory or the stack of the CI runner that validates it. Every stage after parsing (the
checker, the compiler, the printer, the evaluated closures) recurses over the tree, and
lark parses at roughly 30k tokens a second, so the text, the nesting and the fan-out are
capped -- far above anything a hand-written policy needs (the largest shipped rules file
is 7.5 KiB and nests 12 levels). The numbers are documented in ``rules_dsl/README.md``;
a violation is an ordinary ``dsl-limit`` diagnostic at the place where the limit is crossed.
"""

from __future__ import annotations

from typing import Final

from govern.dsl import nodes as n
from govern.errors import Diagnostic, Span

#: UTF-8 bytes of one ``.rules`` file or one condition; ~2 s of parsing at the worst token density.
MAX_SOURCE_BYTES: Final = 128 * 1024
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


def source_too_large(text: str, file: str, line_offset: int = 0, col_offset: int = 0) -> Diagnostic | None:
    """A diagnostic at the first character past :data:`MAX_SOURCE_BYTES`, or ``None``."""
    if len(text) * 4 <= MAX_SOURCE_BYTES:  # no UTF-8 character is longer than 4 bytes
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_SOURCE_BYTES:
        return None
    cut = len(text.encode("utf-8", "surrogatepass")[:MAX_SOURCE_BYTES].decode("utf-8", "ignore"))
    line = text.count("\n", 0, cut) + 1
    column = cut - (text.rfind("\n", 0, cut) + 1) + 1
    what = "rules file" if line_offset == 0 and col_offset == 0 else "condition"
    return Diagnostic("dsl-limit", f"this {what} is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,} bytes "
                      "and it is crossed here", Span(file, line + line_offset,
                                                     column + (col_offset if line == 1 else 0)),
                      "split the rules into several files, or name repeated parts with `let`")


def too_deep(span: Span) -> tuple[str, Span, str]:
    """(message, span, hint) of a nesting error; one wording for the parser, checker and compiler."""
    return (f"this expression nests more than {MAX_DEPTH} levels deep (each operator, call, list and "
            "definition used counts as a level)", span,
            "write long chains of `or`/`and` as `any([...])`/`all([...])`, or split them with `let`")


def shape_problem(expr: n.Expr) -> Diagnostic | None:
    """The first node (in reading order) nested deeper than :data:`MAX_DEPTH`, as a diagnostic.

    Iterative on purpose: this runs right after parsing, before anything that recurses.
    """
    stack: list[tuple[n.Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            message, span, hint = too_deep(node.span)
            return Diagnostic("dsl-limit", message, span, hint)
        children = n.children(node)
        if children:
            stack.extend((child, depth + 1) for child in reversed(children))
    return None
