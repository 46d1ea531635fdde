"""AST + schema → inferred types and diagnostics, before anything runs.

Catches what a risk officer gets wrong most: misspelt fields (with a did-you-mean),
values outside a fact's allowed values, comparing a string with a number, unknown
functions and tiers. Every problem is collected (not just the first) with its span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from govern.dsl import limits
from govern.dsl import nodes as n
from govern.dsl import ops
from govern.dsl import types as t
from govern.errors import Diagnostic, Span, Suggester, shorten


@dataclass
class Checker:
    """Infers types and collects diagnostics; one instance per schema, shared by a pack's expressions.

    Besides types it checks every top-level expression against the limits with its
    definitions written out in place (:mod:`govern.dsl.limits`): how deep it nests and how
    many nodes one evaluation may visit. The parser caps each expression on its own; only
    here, where definitions are known, can a chain of `let`s that use each other be
    measured. A definition is expanded for type inference only where it fits, so the
    inference never recurses deeper than the limit either.
    """

    schema: Mapping[str, t.Schema]
    definitions: Mapping[str, n.Expr] = field(default_factory=dict)
    source_line: Callable[[Span], str | None] = lambda span: None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _definition_types: dict[str, t.Type] = field(default_factory=dict)
    _shapes: dict[str, limits.Shape] | None = None  # of the definitions, measured on first use
    _active: list[str] = field(default_factory=list)
    _level: int = 0  # nesting level of the node being inferred, definitions written out
    _suggest: Suggester = field(default_factory=Suggester)
    _listings: dict[tuple[str, int], str | None] = field(default_factory=dict)
    _names: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    _known: list[str] | None = None

    # public -----------------------------------------------------------------
    def check_condition(self, expr: n.Expr, what: str = "condition") -> t.Type:
        """Infer and require a boolean (``when``, ``unless``, check conditions)."""
        found = self.infer(expr)
        if found.kind not in ("bool", "any"):
            self._error("dsl-type", f"{what} must be true or false, but this is a {found}", expr.span,
                        "compare it with something, e.g. `... == \"value\"` or `... >= 0.8`")
        return found

    def infer(self, node: n.Expr) -> t.Type:
        if self._level:
            return self._visit(node)
        shape = limits.measure(node, self._definition_shapes())
        # the text itself too deep is the parser's error; here only for trees built by hand
        deep = shape.too_deep_at or (shape.deepest_node.span if shape.deepest_node is not None else None)
        if deep is not None:
            self._error("dsl-limit", *limits.too_deep(deep))
        if shape.size > limits.MAX_EXPANDED_NODES and not shape.uses_oversized:
            self._error("dsl-limit", "with the definitions it uses written out, this expression has more "
                        f"than {limits.MAX_EXPANDED_NODES:,} parts", node.span,
                        "definitions that use another definition several times multiply its size; "
                        "simplify them")
        return self._visit(node)

    # helpers ------------------------------------------------------------------
    def _definition_shapes(self) -> dict[str, limits.Shape]:
        if self._shapes is None:
            self._shapes = limits.shapes_of(self.definitions)
        return self._shapes

    def _visit(self, node: n.Expr) -> t.Type:
        self._level += 1
        try:
            if self._level > limits.MAX_DEPTH:  # reported by infer; deeper would exhaust the stack
                return t.ANY
            return getattr(self, "_" + type(node).__name__.lower())(node)
        finally:
            self._level -= 1

    def _error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint, self.source_line(span)))

    def _dotted(self, prefix: str, fields: Mapping) -> list[str]:
        """The full names of a root's fields, built once per root: not once per misspelling."""
        key = (prefix, id(fields))
        if key not in self._names:
            self._names[key] = [f"{prefix}.{k}" if prefix else k for k in fields]
        return self._names[key]

    def _listing(self, what: str, names: Mapping | frozenset | list) -> str | None:
        """`available ...` hints, built once per collection: not once per error."""
        key = (what, id(names))
        if key not in self._listings:
            self._listings[key] = _available(what, names)
        return self._listings[key]

    # leaves -------------------------------------------------------------------
    def _literal(self, node: n.Literal) -> t.Type:
        return t.type_of_value(node.value)

    def _listexpr(self, node: n.ListExpr) -> t.Type:
        kinds = [self.infer(i) for i in node.items]
        distinct = {k.kind for k in kinds if not k.is_any}
        if len(distinct) > 1:
            self._error("dsl-type", f"list mixes {', '.join(sorted(distinct))}", node.span)
            return t.list_of(t.ANY)
        return t.list_of(t.Type(distinct.pop()) if distinct else t.ANY)

    def _path(self, node: n.Path) -> t.Type:
        parts = node.parts
        if len(parts) == 1:
            name = parts[0]
            if name in self.definitions:
                return self._definition(name, node.span)
            if name in self.schema:
                return t.ANY  # a whole root: only meaningful inside exists()
            if self._known is None:
                self._known = [*self.definitions, *self.schema]
            hint = self._suggest(name, self._known)
            self._error("dsl-unknown-name", f"unknown name `{name}`", node.span,
                        hint or self._listing("definitions", self.definitions))
            return t.ANY
        current: t.Schema = self.schema
        for depth, part in enumerate(parts):
            if isinstance(current, t.Type):
                if current.is_any:
                    return t.ANY
                self._error("dsl-unknown-field", f"`{'.'.join(parts[:depth])}` is a {current} and has no field "
                            f"`{part}`", node.span)
                return t.ANY
            if part not in current:
                prefix = n.dotted(parts[:depth])
                full = n.dotted(parts[: depth + 1])
                hint = self._suggest(full, self._dotted(prefix, current))
                what = "field" if depth else "root"
                self._error("dsl-unknown-field", f"unknown {what} `{full}`", node.span,
                            hint or self._listing(f"fields of `{prefix}`" if prefix else "roots", current))
                return t.ANY
            current = current[part]
        if isinstance(current, t.Type):
            return current
        return t.ANY  # a whole object: only useful for exists()

    def _definition(self, name: str, span: Span) -> t.Type:
        if name in self._definition_types:
            return self._definition_types[name]
        if name in self._active:
            cycle = " → ".join(self._active[self._active.index(name):] + [name])
            self._error("dsl-cycle", f"definitions refer to each other in a cycle: {cycle}", span)
            return t.ANY
        shape = self._definition_shapes().get(name)
        if shape is not None and self._level + shape.height > limits.MAX_DEPTH:
            return t.ANY  # too deep to expand here; reported by infer (or at the definition itself)
        self._active.append(name)
        try:
            found = self._visit(self.definitions[name])
        finally:
            self._active.pop()
        self._definition_types[name] = found
        return found

    # operators ----------------------------------------------------------------
    def _unary(self, node: n.Unary) -> t.Type:
        inner = self.infer(node.operand)
        if node.op == "not":
            if inner.kind not in ("bool", "any"):
                self._error("dsl-type", f"`not` needs true/false, got {inner}", node.span)
            return t.BOOL
        if inner.kind not in ("number", "duration", "any"):
            self._error("dsl-type", f"cannot negate a {inner}", node.span)
        return inner if inner.kind in ("number", "duration") else t.ANY

    def _binary(self, node: n.Binary) -> t.Type:
        left, right = self.infer(node.left), self.infer(node.right)
        op = node.op
        if op in n.LOGICAL_OPS:
            for side, found in ((node.left, left), (node.right, right)):
                if found.kind not in ("bool", "any"):
                    self._error("dsl-type", f"`{op}` needs true/false on both sides, got {found}", side.span,
                                "compare the value, e.g. `x == \"yes\"`")
            return t.BOOL
        if op in ("==", "!="):
            if not t.compatible(left, right):
                self._error("dsl-type", f"comparing {left} with {right} with `{op}` is always "
                            f"{'false' if op == '==' else 'true'}", node.span)
            self._check_enum_value(left, node.right)
            self._check_enum_value(right, node.left)
            return t.BOOL
        if op in ("<", "<=", ">", ">="):
            for found in (left, right):
                if not found.is_any and found.kind not in t.ORDERABLE:
                    self._error("dsl-type", f"`{op}` cannot order a {found}", node.span)
                    return t.BOOL
            if not left.is_any and not right.is_any and left.kind != right.kind:
                self._error("dsl-type", f"cannot compare {left} with {right} using `{op}`", node.span)
            return t.BOOL
        if op in ("in", "not in"):
            if right.kind == "string" and left.kind in ("string", "any"):
                return t.BOOL
            if not right.is_any and right.kind != "list":
                self._error("dsl-type", f"`{op}` needs a list on its right, got {right}", node.right.span,
                            "write a list: `x in [\"a\", \"b\"]`")
                return t.BOOL
            element = right.element or t.ANY
            if left.kind == "list":
                self._error("dsl-type", f"the left side of `{op}` is a list; to test for shared elements use "
                            "`overlaps(a, b)`", node.left.span)
            elif not t.compatible(left, element):
                self._error("dsl-type", f"`{op}` tests a {left} against a list of {element}", node.span)
            if isinstance(node.right, n.ListExpr):
                for item in node.right.items:
                    self._check_enum_value(left, item)
            self._check_enum_value(element, node.left)
            return t.BOOL
        return self._arithmetic(node, left, right)

    def _arithmetic(self, node: n.Binary, left: t.Type, right: t.Type) -> t.Type:
        op = node.op
        if left.is_any or right.is_any:
            return t.ANY
        k = (left.kind, right.kind)
        table = {
            "+": {("number", "number"): t.NUMBER, ("date", "duration"): t.DATE, ("duration", "date"): t.DATE,
                  ("duration", "duration"): t.DURATION},
            "-": {("number", "number"): t.NUMBER, ("date", "date"): t.DURATION, ("date", "duration"): t.DATE,
                  ("duration", "duration"): t.DURATION},
            "*": {("number", "number"): t.NUMBER, ("duration", "number"): t.DURATION,
                  ("number", "duration"): t.DURATION},
            "/": {("number", "number"): t.NUMBER, ("duration", "number"): t.DURATION,
                  ("duration", "duration"): t.NUMBER},
        }[op]
        if k not in table:
            self._error("dsl-type", f"cannot apply `{op}` to {left} and {right}", node.span)
            return t.ANY
        return table[k]

    def _call(self, node: n.Call) -> t.Type:
        arg_types = [self.infer(a) for a in node.args]
        if node.name not in ops.FUNCTIONS:
            self._error("dsl-unknown-function", f"unknown function `{node.name}`", node.span,
                        self._suggest(node.name, ops.FUNCTIONS) or self._listing("functions", ops.FUNCTIONS))
            return t.ANY
        _, lo, hi, _doc = ops.FUNCTIONS[node.name]
        count = len(node.args)
        if count < lo or (hi is not None and count > hi):
            expected = str(lo) if hi == lo else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
            self._error("dsl-arity", f"`{node.name}` takes {expected} argument{'s' if expected != '1' else ''}, "
                        f"got {count}", node.span)
            return t.ANY
        name = node.name
        first = arg_types[0]
        if name in ("any", "all"):
            self._want_list(node, first, t.BOOL)
            return t.BOOL
        if name == "count":
            self._want_list(node, first, None)
            return t.NUMBER
        if name == "exists":
            return t.BOOL
        if name == "overlaps":
            for found in arg_types:
                self._want_list(node, found, None)
            return t.BOOL
        if name in ("days_since", "business_days_since"):
            if first.kind not in ("date", "any"):
                self._error("dsl-type", f"`{name}` needs a date, got {first}", node.span)
            if name == "business_days_since":
                self._check_calendar(node.args[1], arg_types[1])
            return t.NUMBER
        if name == "abs":
            if first.kind not in ("number", "duration", "any"):
                self._error("dsl-type", f"`abs` needs a number, got {first}", node.span)
            return first if first.kind in ("number", "duration") else t.ANY
        # min / max
        if count == 1:
            if first.kind not in ("list", "any"):
                self._error("dsl-type", f"`{name}` of one argument needs a list, got {first}", node.span)
                return t.ANY
            return first.element or t.ANY if first.kind == "list" else t.ANY
        kinds = {a.kind for a in arg_types if not a.is_any}
        if len(kinds) > 1:
            self._error("dsl-type", f"`{name}` mixes {', '.join(sorted(kinds))}", node.span)
            return t.ANY
        return t.Type(kinds.pop()) if kinds else t.ANY

    def _check_calendar(self, arg: n.Expr, found: t.Type) -> None:
        """A calendar written in the rule is checked when the pack loads, not when a gate runs."""
        if found.kind not in ("string", "any"):
            self._error("dsl-type", f"`business_days_since` needs a calendar code such as \"US-NY\", got {found}",
                        arg.span)
        elif isinstance(arg, n.Literal):
            problem = ops.calendar_problem(arg.value)
            if problem is not None:
                self._error("dsl-unknown-value", problem, arg.span)

    def _want_list(self, node: n.Call, found: t.Type, element: t.Type | None) -> None:
        if found.kind not in ("list", "any"):
            self._error("dsl-type", f"`{node.name}` needs a list, got {found}", node.span)
        elif element is not None and found.kind == "list" and found.element and not t.compatible(found.element,
                                                                                                 element):
            self._error("dsl-type", f"`{node.name}` needs a list of {element}, got a list of {found.element}",
                        node.span)

    def _check_enum_value(self, declared: t.Type, other: n.Expr) -> None:
        """A literal compared with an enumerated fact must be one of its allowed values."""
        if declared.values is None or not isinstance(other, n.Literal) or not isinstance(other.value, str):
            return
        if other.value not in declared.values:
            hint = self._suggest(other.value, declared.values)
            key = ("values", id(declared.values))
            if key not in self._listings:
                shown = sorted(declared.values)
                more = ", …" if len(shown) > 20 else ""
                self._listings[key] = ", ".join(f'"{shorten(v)}"' for v in shown[:20]) + more
            self._error("dsl-unknown-value", f'"{shorten(other.value)}" is not an allowed value here; '
                        f"allowed: {self._listings[key]}", other.span, hint)


def _available(what: str, names) -> str | None:
    names = sorted(names)
    if not names:
        return None
    shown = ", ".join(f"`{x}`" for x in names[:12]) + (", …" if len(names) > 12 else "")
    return f"available {what}: {shown}"
