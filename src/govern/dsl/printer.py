"""AST → rule-language text that parses back to an equal AST (used by tests and `govern fmt`-like output)."""

from __future__ import annotations

import datetime as _dt

from govern.dsl import nodes as n

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "in": 4, "not in": 4, "+": 5, "-": 5, "*": 6, "/": 6}
_ATOM = 8


def _precedence(node: n.Expr) -> int:
    if isinstance(node, n.Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, n.Unary):
        return 3 if node.op == "not" else 7
    return _ATOM


def literal_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, _dt.timedelta):
        seconds = value.total_seconds()
        if seconds % 86400 == 0:
            return f"{int(seconds // 86400)}d"
        if seconds % 3600 == 0:
            return f"{int(seconds // 3600)}h"
        return f"{seconds / 86400!r}d"
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"no literal form for {value!r}")


MISSING_TEXT = "<missing>"


def value_text(value: object, number=str) -> str:
    """A value read by a rule, the way the rule language writes it (`<missing>` for no answer)."""
    if value is None or value == MISSING_TEXT:
        return MISSING_TEXT
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v, number) for v in value) + "]"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return number(value)


def to_text(node: n.Expr) -> str:
    if isinstance(node, n.Literal):
        return literal_text(node.value)
    if isinstance(node, n.ListExpr):
        return "[" + ", ".join(to_text(i) for i in node.items) + "]"
    if isinstance(node, n.Path):
        return node.dotted
    if isinstance(node, n.Call):
        return f"{node.name}(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, n.Unary):
        inner = _wrap(node.operand, _precedence(node))
        return f"not {inner}" if node.op == "not" else f"-{inner}"
    assert isinstance(node, n.Binary)
    mine = _PRECEDENCE[node.op]
    if mine == 4:  # comparisons do not chain: both sides must be sums
        left, right = _wrap(node.left, 5), _wrap(node.right, 5)
    else:  # left-associative
        left, right = _wrap(node.left, mine), _wrap(node.right, mine + 1)
    return f"{left} {node.op} {right}"


def _wrap(node: n.Expr, minimum: int) -> str:
    text = to_text(node)
    return f"({text})" if _precedence(node) < minimum else text


def rule_text(rule: n.Rule) -> str:
    lines = [f"rule {rule.id}: tier {rule.tier}", f"  when {to_text(rule.when)}"]
    if rule.unless is not None:
        lines.append(f"  unless {to_text(rule.unless)}")
    lines.append(f"  because {literal_text(rule.citation)}")
    if rule.undetermined:
        lines.append(f"  undetermined {rule.undetermined}")
    return "\n".join(lines)


def file_text(rule_file: n.RuleFile) -> str:
    parts = []
    for item in rule_file.items:
        if isinstance(item, n.Definition):
            cited = f" because {literal_text(item.citation)}" if item.citation is not None else ""
            parts.append(f"let {item.name} = {to_text(item.expr)}{cited}")
        elif isinstance(item, n.Constraint):
            parts.append(f"constraint {item.id}: {to_text(item.expr)}\n  because {literal_text(item.citation)}")
        else:
            parts.append(rule_text(item))
    return "\n\n".join(parts) + "\n"
