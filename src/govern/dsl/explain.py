"""AST → closures that compute a condition's value *and* record what decided it.

A regulator reading a classification wants to know, for every rule, why it came out as it
did: which conjunct of `when` was false, which exception in `unless` lifted it, which answer
was missing. Re-walking the AST after the fact costs an order of magnitude more than the
decision itself, so the explanation is recorded while the compiled closures run.

Each explaining closure is ``fn(env, out) -> value``. Its *atoms* -- a comparison, a call,
a field, anything that is not `and`/`or`/`not` -- run the fast closure of
:mod:`govern.dsl.compiler` unchanged, so both paths compute the same value by construction,
and append ``(Atom, value)`` to ``out``. The logical operators keep, of what their operands
appended, only the part that decided the result, in Kleene logic:

- ``a and b`` false: the false side(s) -- the left one when it was false (the right is not
  evaluated), else the right one; true: both; undetermined: the undetermined side(s).
- ``a or b`` is the dual; ``not a`` keeps what decided ``a``.

A definition used as a condition (``unless art6_3_derogation``) is recorded as one
``(Named, value, reasons)`` entry holding what decided it, so an exception is reported by
its own name and citation (``let name = expr because "..."``) with the facts behind it.
The fact values themselves are not copied: ``Atom.paths`` says which fields an atom reads,
and the environment the closures ran on is kept by the caller and read when the
explanation is shown. :func:`explain_reference` is the same specification by tree walking;
property tests keep the two in agreement.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from govern.dsl import nodes as n
from govern.dsl import ops
from govern.dsl.compiler import Compiler
from govern.dsl.values import UNDETERMINED as U
from govern.dsl.values import EvalError

ExplainFn = Callable[[dict, list], Any]


class Atom:
    """A sub-expression explained by its own value: its node and the field paths it reads."""

    __slots__ = ("node", "paths", "dotted", "_text")

    def __init__(self, node: n.Expr, paths: tuple[tuple[str, ...], ...]) -> None:
        self.node = node
        self.paths = paths
        self.dotted = tuple(".".join(p) for p in paths)
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The condition as the rule language prints it (printed once, when first explained)."""
        if self._text is None:
            from govern.dsl.printer import to_text

            self._text = to_text(self.node)
        return self._text

    def __repr__(self) -> str:
        return f"Atom({self.node!r})"


class Named:
    """A definition used as a condition: its name, citation (if the pack gives one) and node."""

    __slots__ = ("name", "citation", "node")

    def __init__(self, name: str, citation: str | None, node: n.Expr) -> None:
        self.name = name
        self.citation = citation
        self.node = node

    def __repr__(self) -> str:
        return f"Named({self.name!r})"


def field_paths(expr: n.Expr, definitions: Mapping[str, n.Expr], seen: set[str] | None = None) -> list[str]:
    """Dotted field paths an expression reads, through the definitions it uses (each once)."""
    seen = set() if seen is None else seen
    out: list[str] = []
    for node in n.walk(expr):
        if isinstance(node, n.Path):
            if len(node.parts) == 1 and node.parts[0] in definitions:
                if node.parts[0] not in seen:
                    seen.add(node.parts[0])
                    out.extend(field_paths(definitions[node.parts[0]], definitions, seen))
            else:
                out.append(node.dotted)
    return out


def _is_logical(node: n.Expr) -> bool:
    return (isinstance(node, n.Binary) and node.op in n.LOGICAL_OPS) or (isinstance(node, n.Unary)
                                                                         and node.op == "not")


class Explainer:
    """Compiles explaining closures; atoms share the fast closures (and their cache) of ``compiler``."""

    def __init__(self, compiler: Compiler, definitions: Mapping[str, n.Expr],
                 citations: Mapping[str, str] | None = None) -> None:
        self._fast = compiler
        self._definitions = dict(definitions)
        self._citations = dict(citations or {})
        self._named: dict[str, ExplainFn] = {}
        self._compiling: set[str] = set()
        self._definition_paths: dict[str, list[str]] = {}

    def compile(self, expr: n.Expr) -> ExplainFn:
        if isinstance(expr, n.Binary) and expr.op == "and":
            return self._and(expr)
        if isinstance(expr, n.Binary) and expr.op == "or":
            return self._or(expr)
        if isinstance(expr, n.Unary) and expr.op == "not" and self._structured(expr.operand):
            return self._not(expr)
        if isinstance(expr, n.Path) and len(expr.parts) == 1 and expr.parts[0] in self._definitions:
            return self._definition(expr.parts[0])
        return self._atom(expr)

    def _paths_of(self, node: n.Expr) -> list[str]:
        """:func:`field_paths`, each definition's paths computed once for the whole pack (atoms share them)."""
        out: dict[str, None] = {}
        for sub in n.walk(node):
            if isinstance(sub, n.Path):
                if len(sub.parts) == 1 and sub.parts[0] in self._definitions:
                    name = sub.parts[0]
                    if name not in self._definition_paths:
                        self._definition_paths[name] = []  # a cycle reads nothing more (the checker refuses it)
                        self._definition_paths[name] = self._paths_of(self._definitions[name])
                    out.update(dict.fromkeys(self._definition_paths[name]))
                else:
                    out[sub.dotted] = None
        return list(out)

    def _structured(self, node: n.Expr) -> bool:
        """Whether a node is explained by its parts (a logical operator or a definition used as a condition)."""
        if _is_logical(node):
            return True
        return isinstance(node, n.Path) and len(node.parts) == 1 and node.parts[0] in self._definitions

    # atoms and names ------------------------------------------------------------
    def _atom(self, node: n.Expr) -> ExplainFn:
        info = Atom(node, tuple(tuple(p.split(".")) for p in self._paths_of(node)))
        if isinstance(node, n.Path) and len(node.parts) == 2 and isinstance(self._fast.resolve(node), n.Path):
            # a boolean field as a condition (`use_case.safety_component`), the commonest atom: read inline,
            # exactly as the fast closure for a two-part path does
            p0, p1 = node.parts

            def field_atom(env: dict, out: list) -> Any:
                v = env.get(p0)
                if v.__class__ is dict:
                    v = v.get(p1, U)
                    if v is None:
                        v = U
                elif isinstance(v, dict):
                    v = v.get(p1, U)
                    if v is None:
                        v = U
                else:
                    v = U
                out.append((info, v))
                return v
            return field_atom
        fast = self._fast.compile(node)

        def atom(env: dict, out: list) -> Any:
            value = fast(env)
            out.append((info, value))
            return value
        return atom

    def _definition(self, name: str) -> ExplainFn:
        found = self._named.get(name)
        if found is not None:
            return found
        if name in self._compiling:  # a cycle: the checker refuses the pack; the fast closure fails if run
            return self._atom(n.Path((name,)))
        expr = self._definitions[name]
        info = Named(name, self._citations.get(name), expr)
        self._compiling.add(name)
        try:
            inner = self.compile(expr)
        finally:
            self._compiling.discard(name)

        def named(env: dict, out: list) -> Any:
            mark = len(out)
            value = inner(env, out)
            reasons = out[mark:]
            del out[mark:]
            out.append((info, value, reasons))
            return value
        self._named[name] = named
        return named

    # operators (same Kleene semantics and error behaviour as compiler._and/_or/_unary) --------
    def _chain(self, node: n.Binary) -> ExplainFn:
        """`a and b and c` (left-nested, one operator) as one closure: fewer calls on the hot path.

        The same as nesting the binary closures: the first operand equal to the operator's
        stop value (false for `and`, true for `or`) decides alone; otherwise, if any operand is
        undetermined the result is, explained by the undetermined ones; else by all of them.
        """
        operands: list[n.Expr] = []
        current: n.Expr = node
        while isinstance(current, n.Binary) and current.op == node.op:
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        fns = [self.compile(o) for o in operands]
        op, span = node.op, node.span
        stop, go = (False, True) if op == "and" else (True, False)

        def chain(env: dict, out: list) -> Any:
            mark = len(out)
            undetermined: list[tuple[int, int]] | None = None
            for fn in fns:
                start = len(out)
                v = fn(env, out)
                if v is stop:
                    del out[mark:start]
                    return stop
                if v is go:
                    continue
                if v is not U:
                    ops.logical_value(v, op, span)
                if undetermined is None:
                    undetermined = []
                undetermined.append((start, len(out)))
            if undetermined is None:
                return go
            kept = [item for a, b in undetermined for item in out[a:b]]
            out[mark:] = kept
            return U
        return chain

    def _and(self, node: n.Binary) -> ExplainFn:
        if isinstance(node.left, n.Binary) and node.left.op == "and":
            return self._chain(node)
        left, right, span = self.compile(node.left), self.compile(node.right), node.span

        def and_(env: dict, out: list) -> Any:
            mark = len(out)
            a = left(env, out)
            if a is False:
                return False
            if a is not True and a is not U:
                ops.logical_value(a, "and", span)
            middle = len(out)
            b = right(env, out)
            if b is False:
                del out[mark:middle]
                return False
            if b is True:
                if a is not True:  # undetermined because of the left side only
                    del out[middle:]
                return a
            if b is U:
                if a is True:
                    del out[mark:middle]
                return U
            return ops.logical_value(b, "and", span)
        return and_

    def _or(self, node: n.Binary) -> ExplainFn:
        if isinstance(node.left, n.Binary) and node.left.op == "or":
            return self._chain(node)
        left, right, span = self.compile(node.left), self.compile(node.right), node.span

        def or_(env: dict, out: list) -> Any:
            mark = len(out)
            a = left(env, out)
            if a is True:
                return True
            if a is not False and a is not U:
                ops.logical_value(a, "or", span)
            middle = len(out)
            b = right(env, out)
            if b is True:
                del out[mark:middle]
                return True
            if b is False:
                if a is not False:
                    del out[middle:]
                return a
            if b is U:
                if a is False:
                    del out[mark:middle]
                return U
            return ops.logical_value(b, "or", span)
        return or_

    def _not(self, node: n.Unary) -> ExplainFn:
        operand, span = self.compile(node.operand), node.span

        def not_(env: dict, out: list) -> Any:
            v = operand(env, out)
            if v is True:
                return False
            if v is False:
                return True
            return ops.negate(v, span)
        return not_


def rule_outcome(when: ExplainFn, unless: ExplainFn | None, undetermined: str, span: Any
                 ) -> Callable[[dict], tuple]:
    """A rule's ``when and not unless`` in Kleene logic, explained.

    ``env -> (status, effect, message, when value, when reasons, unless value, unless reasons)``:
    status is fired | not_fired | undetermined | error; effect what it does to the tier (fired |
    skipped | none; undetermined and errors do what ``undetermined`` says); a part not evaluated
    has ``None`` reasons. One closure per rule, bound once, and a flat tuple, because
    classification runs it for every rule of every use case. `classification.rule_value` is the
    same semantics on the fast closures.
    """
    on_undetermined = "fired" if undetermined == "fire" else "skipped"

    def outcome(env: dict) -> tuple:
        w = u = w_reasons = u_reasons = None
        try:
            w_reasons = []
            w = when(env, w_reasons)
            if w is False:
                return "not_fired", "none", None, w, w_reasons, None, None
            if w is not True and w is not U:
                raise EvalError(f"`when` gave {w!r}, not true/false", span)
            if unless is None:
                if w is True:
                    return "fired", "fired", None, w, w_reasons, None, None
                return "undetermined", on_undetermined, None, w, w_reasons, None, None
            u_reasons = []
            u = unless(env, u_reasons)
            if u is True:
                return "not_fired", "none", None, w, w_reasons, u, u_reasons
            if u is False:
                if w is True:
                    return "fired", "fired", None, w, w_reasons, u, u_reasons
            elif u is not U:
                raise EvalError(f"`unless` gave {u!r}, not true/false", span)
            return "undetermined", on_undetermined, None, w, w_reasons, u, u_reasons
        except EvalError as exc:
            # what was recorded before the error stays; the part that failed has no value
            if u_reasons is not None and u is None:
                u_reasons = None
            elif w is None:
                w_reasons = None
            return "error", on_undetermined, exc.message, w, w_reasons, u, u_reasons
    return outcome


def run(fn: ExplainFn, env: dict) -> tuple[Any, list]:
    """Value and reasons of one explaining closure."""
    out: list = []
    return fn(env, out), out


# --- the specification, by tree walking ----------------------------------------------------

def explain_reference(expr: n.Expr, env: dict[str, Any], definitions: Mapping[str, n.Expr]) -> tuple[Any, list]:
    """(value, reasons) by walking the tree: plain and slow, the executable specification.

    Reasons are ``(node, value)`` for atoms and ``(name, value, reasons)`` for definitions used
    as conditions -- what :func:`normalise` turns the compiled form into for comparison.
    """
    from govern.dsl.reference import evaluate

    def structured(node: n.Expr) -> bool:
        return _is_logical(node) or (isinstance(node, n.Path) and len(node.parts) == 1
                                     and node.parts[0] in definitions)

    def ev(node: n.Expr) -> tuple[Any, list]:
        if isinstance(node, n.Binary) and node.op in ("and", "or"):
            a, ra = ev(node.left)
            stop = False if node.op == "and" else True
            if a is stop:
                return a, ra
            ops.logical_value(a, node.op, node.span)
            b, rb = ev(node.right)
            if b is stop:
                return b, rb
            b = ops.logical_value(b, node.op, node.span)
            if a is U and b is U:
                return U, ra + rb
            if a is U:
                return U, ra
            if b is U:
                return U, rb
            return a, ra + rb  # both not-stop: a value equal on both sides, explained by both
        if isinstance(node, n.Unary) and node.op == "not" and structured(node.operand):
            v, r = ev(node.operand)
            return ops.negate(v, node.span), r
        if isinstance(node, n.Path) and len(node.parts) == 1 and node.parts[0] in definitions:
            name = node.parts[0]
            v, r = ev(definitions[name])
            return v, [(name, v, r)]
        v = evaluate(node, env, definitions)
        return v, [(node, v)]

    return ev(expr)


def normalise(reasons: list) -> list:
    """Compiled reasons in the reference's shape: ``(node, value)`` / ``(name, value, [...])``."""
    out = []
    for item in reasons:
        if isinstance(item[0], Named):
            out.append((item[0].name, item[1], normalise(item[2])))
        else:
            out.append((item[0].node, item[1]))
    return out


__all__ = ["Atom", "Named", "Explainer", "ExplainFn", "EvalError", "explain_reference", "field_paths", "normalise",
           "rule_outcome", "run"]
