"""AST + environment → value, by walking the tree: the executable specification.

Deliberately plain and slow. The compiled closures in :mod:`govern.dsl.compiler` must agree
with it on every expression and input; property tests check that on generated programs.
"""

from __future__ import annotations

from typing import Any, Mapping

from govern.dsl import nodes as n
from govern.dsl import ops
from govern.dsl.values import UNDETERMINED, EvalError, lookup


def evaluate(expr: n.Expr, env: dict[str, Any], definitions: Mapping[str, n.Expr] | None = None) -> Any:
    defs = definitions or {}

    def ev(node: n.Expr) -> Any:
        if isinstance(node, n.Literal):
            return node.value
        if isinstance(node, n.ListExpr):
            return [ev(item) for item in node.items]
        if isinstance(node, n.Path):
            if len(node.parts) == 1 and node.parts[0] in defs:
                return ev(defs[node.parts[0]])
            return lookup(env, node.parts)
        if isinstance(node, n.Unary):
            value = ev(node.operand)
            return ops.negate(value, node.span) if node.op == "not" else ops.minus(value, node.span)
        if isinstance(node, n.Binary):
            if node.op == "and":
                left = ops.logical_value(ev(node.left), "and", node.span)
                if left is False:
                    return False
                right = ops.logical_value(ev(node.right), "and", node.span)
                if right is False:
                    return False
                return UNDETERMINED if UNDETERMINED in (left, right) else True
            if node.op == "or":
                left = ops.logical_value(ev(node.left), "or", node.span)
                if left is True:
                    return True
                right = ops.logical_value(ev(node.right), "or", node.span)
                if right is True:
                    return True
                return UNDETERMINED if UNDETERMINED in (left, right) else False
            left, right = ev(node.left), ev(node.right)
            if node.op in n.COMPARISON_OPS:
                return ops.compare(node.op, left, right, node.span)
            return ops.arithmetic(node.op, left, right, node.span)
        if isinstance(node, n.Call):
            if node.name not in ops.FUNCTIONS:
                raise EvalError(f"unknown function `{node.name}`", node.span)
            impl = ops.FUNCTIONS[node.name][0]
            return impl([ev(arg) for arg in node.args], env, node.span)
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    return ev(expr)
