"""AST → Python closures, compiled once per pack; no ``eval``/``exec`` of user text.

Each node becomes a function ``env -> value``. Common shapes (a field compared with a
constant, membership in a constant list, a two-level field path) get specialised closures
because classification runs them for every use case of an inventory; everything else
calls the shared semantics in :mod:`govern.dsl.ops`, so the fast paths are the only thing
that can disagree with the reference interpreter -- and the property tests check they don't.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Mapping

from govern.dsl import limits
from govern.dsl import nodes as n
from govern.dsl import ops
from govern.dsl.values import UNDETERMINED as U
from govern.dsl.values import EvalError

Fn = Callable[[dict], Any]


def _failing(message: str, span) -> Fn:
    """A closure for an expression the checker rejects: compiling never fails, evaluating it would.

    Packs compile template conditions while their diagnostics are still being collected,
    so a problem the checker reports (an unknown function, a definition cycle, nesting past
    the limit) must not also crash the compiler; a pack with such a problem never loads.
    """
    def fail(env: dict) -> Any:
        raise EvalError(message, span)
    return fail


class Compiler:
    """Compiles expressions against a set of named definitions (each compiled once)."""

    def __init__(self, definitions: Mapping[str, n.Expr] | None = None,
                 constants: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._definitions = dict(definitions or {})
        # roots whose values are fixed for the life of the compiled pack (its `params`)
        self._constants = {root: dict(values) for root, values in (constants or {}).items()}
        self._compiled: dict[str, Fn] = {}
        self._compiling: set[str] = set()
        self._level = 0  # nesting of the node being compiled, definitions written out

    def _resolve(self, node: n.Expr, depth: int = 0) -> n.Expr:
        """See through definitions and fold constant paths, so fast paths apply to `x in banned` too."""
        if isinstance(node, n.Path):
            parts = node.parts
            if len(parts) == 1 and parts[0] in self._definitions and depth < 64:
                return self._resolve(self._definitions[parts[0]], depth + 1)
            if len(parts) == 2 and parts[0] in self._constants:
                value = self._constants[parts[0]].get(parts[1])
                if isinstance(value, (bool, int, float, str)):
                    return n.Literal(value, node.span)
        return node

    def resolve(self, node: n.Expr) -> n.Expr:
        """The node as compiled: a definition seen through, a constant parameter as a literal."""
        return self._resolve(node)

    def compile(self, expr: n.Expr) -> Fn:
        self._level += 1
        try:
            if self._level > limits.MAX_DEPTH:
                return _failing(limits.too_deep(expr.span)[0], expr.span)
            return getattr(self, "_" + type(expr).__name__.lower())(expr)
        finally:
            self._level -= 1

    # leaves ---------------------------------------------------------------
    def _literal(self, node: n.Literal) -> Fn:
        value = node.value
        return lambda env: value

    def _listexpr(self, node: n.ListExpr) -> Fn:
        if all(isinstance(i, n.Literal) for i in node.items):
            constant = [i.value for i in node.items]  # type: ignore[union-attr]
            return lambda env: constant
        items = [self.compile(i) for i in node.items]
        return lambda env: [f(env) for f in items]

    def _path(self, node: n.Path) -> Fn:
        parts = node.parts
        folded = self._resolve(node) if len(parts) == 2 else node
        if isinstance(folded, n.Literal):
            return self._literal(folded)
        if len(parts) == 1 and parts[0] in self._definitions:
            return self._definition(parts[0])
        if len(parts) == 1:
            (p0,) = parts

            def get1(env: dict) -> Any:
                v = env.get(p0, U)
                return U if v is None else v
            return get1
        if len(parts) == 2:
            p0, p1 = parts

            def get2(env: dict) -> Any:
                v = env.get(p0)
                if isinstance(v, dict):
                    v = v.get(p1, U)
                    return U if v is None else v
                return U
            return get2

        def getn(env: dict) -> Any:
            v: Any = env
            for part in parts:
                if not isinstance(v, dict):
                    return U
                v = v.get(part)
                if v is None:
                    return U
            return v
        return getn

    def _definition(self, name: str) -> Fn:
        if name in self._compiled:
            return self._compiled[name]
        if name in self._compiling:
            return _failing(f"definition `{name}` refers to itself", self._definitions[name].span)
        self._compiling.add(name)
        try:
            fn = self.compile(self._definitions[name])
        finally:
            self._compiling.discard(name)
        self._compiled[name] = fn
        return fn

    # operators --------------------------------------------------------------
    def _unary(self, node: n.Unary) -> Fn:
        operand = self.compile(node.operand)
        span = node.span
        if node.op == "not":
            def not_(env: dict) -> Any:
                v = operand(env)
                if v is True:
                    return False
                if v is False:
                    return True
                return ops.negate(v, span)
            return not_
        return lambda env: ops.minus(operand(env), span)

    def _binary(self, node: n.Binary) -> Fn:
        if node.op == "and":
            return self._and(node)
        if node.op == "or":
            return self._or(node)
        if node.op in n.COMPARISON_OPS:
            return self._compare(node)
        left, right, op, span = self.compile(node.left), self.compile(node.right), node.op, node.span
        return lambda env: ops.arithmetic(op, left(env), right(env), span)

    def _and(self, node: n.Binary) -> Fn:
        left, right, span = self.compile(node.left), self.compile(node.right), node.span

        def and_(env: dict) -> Any:
            a = left(env)
            if a is False:
                return False
            if a is not True and a is not U:
                ops.logical_value(a, "and", span)
            b = right(env)
            if b is False:
                return False
            if b is True:
                return a
            if b is U:
                return U
            return ops.logical_value(b, "and", span)
        return and_

    def _or(self, node: n.Binary) -> Fn:
        left, right, span = self.compile(node.left), self.compile(node.right), node.span

        def or_(env: dict) -> Any:
            a = left(env)
            if a is True:
                return True
            if a is not False and a is not U:
                ops.logical_value(a, "or", span)
            b = right(env)
            if b is True:
                return True
            if b is False:
                return a
            if b is U:
                return U
            return ops.logical_value(b, "or", span)
        return or_

    def _compare(self, node: n.Binary) -> Fn:
        op, span = node.op, node.span
        left = self.compile(node.left)
        right_node = self._resolve(node.right)
        # field == "constant": strings compare exactly, no bool/number ambiguity to guard
        if op in ("==", "!=") and isinstance(right_node, n.Literal) and isinstance(right_node.value, str):
            constant = right_node.value
            if op == "==":
                return lambda env: U if (v := left(env)) is U else v == constant
            return lambda env: U if (v := left(env)) is U else v != constant
        # field in ["a", "b", ...]: a frozenset probe for string elements
        if (op in ("in", "not in") and isinstance(right_node, n.ListExpr) and right_node.items
                and all(isinstance(i, n.Literal) and isinstance(i.value, str) for i in right_node.items)):
            members = frozenset(i.value for i in right_node.items)  # type: ignore[union-attr]
            positive = op == "in"

            def member(env: dict) -> Any:
                v = left(env)
                if v is U:
                    return U
                if v.__class__ is str:
                    return (v in members) is positive
                return (ops.contains(members, v, span) is True) is positive
            return member
        right = self.compile(right_node)
        # field >= number: the common metric condition
        if (op in ("<", "<=", ">", ">=") and isinstance(right_node, n.Literal)
                and ops.is_number(right_node.value)):
            constant = right_node.value
            test = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}[op]

            def numeric(env: dict) -> Any:
                v = left(env)
                if v.__class__ is int or v.__class__ is float:
                    return test(v, constant)
                if v is U:
                    return U
                return ops.compare(op, v, constant, span)
            return numeric
        return lambda env: ops.compare(op, left(env), right(env), span)

    def _call(self, node: n.Call) -> Fn:
        if node.name not in ops.FUNCTIONS:
            return _failing(f"unknown function `{node.name}`", node.span)
        impl = ops.FUNCTIONS[node.name][0]
        args = [self.compile(a) for a in node.args]
        span = node.span
        if len(args) == 1:
            (only,) = args
            return lambda env: impl([only(env)], env, span)
        return lambda env: impl([a(env) for a in args], env, span)


def compile_expression(expr: n.Expr, definitions: Mapping[str, n.Expr] | None = None,
                       constants: Mapping[str, Mapping[str, Any]] | None = None) -> Fn:
    return Compiler(definitions, constants).compile(expr)
