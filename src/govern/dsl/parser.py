"""Rule-language text → AST (:mod:`govern.dsl.nodes`), or DSL diagnostics with positions.

The grammar lives in ``rules_dsl/govern.lark`` (shipped inside the wheel as
``govern/dsl/govern.lark``). Parse errors are turned into ``file:line:col`` diagnostics
with a readable list of what was expected instead of lark's token names.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from importlib import resources
from pathlib import Path as FsPath

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.visitors import Transformer_NonRecursive

from govern.dsl import limits
from govern.dsl import nodes as n
from govern.dsl.values import MAX_NUMBER_CHARS, number_problem
from govern.errors import Diagnostic, GovernError, Span, line_at, shorten


class DslError(GovernError):
    """A rule or condition text could not be parsed or checked."""


def grammar_text() -> str:
    """The grammar from the installed package, or from the source tree in editable installs."""
    try:
        return resources.files("govern.dsl").joinpath("govern.lark").read_text("utf-8")
    except (FileNotFoundError, OSError):
        repo = FsPath(__file__).resolve().parents[3] / "rules_dsl" / "govern.lark"
        return repo.read_text("utf-8")


def _cache_file(grammar: str) -> str | bool:
    """Where lark may cache the built parser (a pickle): the private per-user folder, or nowhere.

    Building the LALR tables costs ~60 ms on every start; lark's cache saves that.
    """
    import hashlib

    from govern.user_cache import private_cache_dir

    folder = private_cache_dir("grammar")
    if folder is None:
        return False
    key = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    return os.path.join(folder, f"rules-grammar-{key}.lark-cache")


@functools.cache
def _lark() -> Lark:
    grammar = grammar_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["start", "expression"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=_cache_file(grammar),
    )


_TOKEN_NAMES = {
    "NAME": "a name", "FIELD": "a field name",
    "RULE_ID": "a rule id", "STRING": "a string", "NUMBER": "a number",
    "PERCENT": "a percentage", "DURATION": "a duration", "DATE": "a date",
    "UNDET_MODE": "`fire` or `skip`", "$END": "end of input",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`", "DOT": "`.`",
    "COLON": "`:`", "EQUAL": "`=`", "PLUS": "`+`", "MINUS": "`-`", "STAR": "`*`", "SLASH": "`/`",
    "LESSTHAN": "`<`", "MORETHAN": "`>`", "LESSEQUAL": "`<=`", "MOREEQUAL": "`>=`",
    "EQEQUAL": "`==`", "NOTEQUAL": "`!=`",
}


def _describe(terminal: str) -> str:
    if terminal in _TOKEN_NAMES:
        return _TOKEN_NAMES[terminal]
    if terminal.startswith("__ANON"):
        return "a token"
    return f"`{terminal.lower()}`"


def _expected(exc: UnexpectedInput) -> str:
    raw = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    if raw & {"NAME", "NUMBER", "STRING"} and len(raw) > 4:
        return "expected a value (a name, number, string, date, list or `(`)"
    names = sorted(x for x in {_describe(t) for t in raw} if x != "a token")
    if not names:
        return ""
    if len(names) > 6:
        return "expected an operator (`and`, `or`, `==`, `in`, `+`, …), `)` or the end of the expression"
    return "expected " + ", ".join(names)


_line = line_at


def _context_line(text: str, line: int, line_offset: int, col_offset: int, source: str | None) -> str | None:
    """The line as it stands in the user's file (a YAML file for embedded conditions)."""
    if source is not None:
        return _line(source, line + line_offset)
    found = _line(text, line)
    if found is None:
        return None
    return " " * (col_offset if line == 1 else 0) + found


def _hint_for(text: str, token: str) -> str | None:
    if token == "=":
        return "comparison is written `==`"
    if token in {"&&", "&"}:
        return "logical and is written `and`"
    if token in {"||", "|"}:
        return "logical or is written `or`"
    if token == "!":
        return "negation is written `not`"
    if token == "'":
        return "strings are written in double quotes"
    return None


#: Words the expression grammar never reads as a name (see NAME in govern.lark).
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "let", "rule", "constraint", "when", "unless",
                      "because"})

#: Tokens after which a value must follow: when it does not, the mistake is the operator.
_NEEDS_OPERAND = frozenset({"and", "or", "not", "in", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
                            "=", "when", "unless"})
_VALUE_STARTS = frozenset({"NAME", "NUMBER", "STRING", "LPAR", "LSQB"})


#: Tokens that end an expression: found where a value should be, the mistake is before them.
_ENDS_EXPRESSION = frozenset({"$END", "RPAR", "RSQB", "COMMA"})


def _dangling_operator(exc: UnexpectedInput) -> Token | None:
    """The operator left without its right-hand side (`a and unless ...`), if that is the mistake.

    Only when what follows ends the expression (a keyword, a closing bracket, the end): in
    `a + * b` the mistake is the `*`, and that is where the error stays.
    """
    if not isinstance(exc, UnexpectedToken) or not _VALUE_STARTS & set(exc.expected or ()):
        return None
    if exc.token.type not in _ENDS_EXPRESSION and str(exc.token) not in KEYWORDS:
        return None
    stack = getattr(getattr(exc, "state", None), "value_stack", None)
    previous = stack[-1] if stack else None
    if isinstance(previous, Token) and previous.value in _NEEDS_OPERAND and previous.line is not None:
        return previous
    return None


def _syntax_error(exc: UnexpectedInput, text: str, file: str, line_offset: int, col_offset: int,
                  source: str | None) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    col = getattr(exc, "column", 1) or 1
    at_end = isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")
    hint: str | None = None
    operator = _dangling_operator(exc)
    if operator is not None:
        found = "the end of input" if at_end else f"`{shorten(str(exc.token))}`"
        line, col = operator.line, operator.column
        message = f"expected a value after `{operator}`, found {found}"
        hint = f"complete the expression after `{operator}`, or remove the `{operator}`"
        if not at_end and str(exc.token) in {"let", "rule", "constraint", "when", "unless", "because"}:
            hint += f"; `{exc.token}` starts the next part of the rule, it is never a field name"
        found = str(operator)
    elif at_end:
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
        message = "unexpected end of input"
        found = ""
    elif isinstance(exc, UnexpectedCharacters):
        found = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        two = text[exc.pos_in_stream: exc.pos_in_stream + 2]
        if two in {"&&", "||"}:
            found = two
        message = f"unexpected character `{found}`"
    else:
        assert isinstance(exc, UnexpectedToken)
        found = str(exc.token)
        message = f"unexpected `{shorten(found)}`"
        if found in KEYWORDS and "NAME" in (exc.expected or ()):
            hint = f"`{found}` is a keyword and cannot be a name"
    if operator is None:
        expected = _expected(exc)
        if expected:
            message = f"{message}; {expected}"
    span_col = col + (col_offset if line == 1 else 0)
    where = Span(file, line + line_offset, span_col)
    return Diagnostic("dsl-syntax", message, where, hint or _hint_for(text, found),
                      _context_line(text, line, line_offset, col_offset, source))


_ESCAPES = re.compile(r"\\([\\\"n])")


def _unescape(raw: str) -> str:
    return _ESCAPES.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), raw[1:-1])


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive):
    """lark tree → frozen AST nodes with spans shifted to the position in the file.

    Non-recursive because the tree of `not not not ...` or of a 10,000-term `or` is as deep
    as it is long; the depth limit is checked on the result. Bad literals are collected
    (with a placeholder in the tree) so that one run reports all of them.
    """

    def __init__(self, file: str, line_offset: int = 0, col_offset: int = 0) -> None:
        super().__init__()
        self.file = file
        self.line_offset = line_offset
        self.col_offset = col_offset
        self.problems: list[Diagnostic] = []

    def _bad(self, token: Token, message: str) -> n.Literal:
        span = self._tok_span(token)
        self.problems.append(Diagnostic("dsl-literal", message, span))
        return n.Literal(0, span)

    def _numeral(self, token: Token, what: str) -> str | None:
        """The token's text, or ``None`` after recording that it is too long to be a number."""
        text = str(token)
        if len(text) > MAX_NUMBER_CHARS:
            self._bad(token, f"{what} `{shorten(text, 24)}` has {len(text):,} characters; "
                             f"the limit is {MAX_NUMBER_CHARS}")
            return None
        return text

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file)
        shift = self.col_offset if meta.line == 1 else 0
        end_shift = self.col_offset if meta.end_line == 1 else 0
        return Span(self.file, meta.line + self.line_offset, meta.column + shift,
                    meta.end_line + self.line_offset, meta.end_column + end_shift)

    def _tok_span(self, tok: Token) -> Span:
        shift = self.col_offset if tok.line == 1 else 0
        return Span(self.file, tok.line + self.line_offset, tok.column + shift,
                    (tok.end_line or tok.line) + self.line_offset, (tok.end_column or tok.column) + shift)

    # items -------------------------------------------------------------
    def start(self, meta, items):
        return tuple(items)

    def expression(self, meta, items):
        return items[0]

    def definition(self, meta, items):
        name, expr, citation = items
        return n.Definition(str(name), expr, self._span(meta), citation)

    def citation(self, meta, items):
        return _unescape(str(items[0]))

    def constraint(self, meta, items):
        constraint_id, expr, citation = items
        return n.Constraint(str(constraint_id), expr, _unescape(str(citation)), self._span(meta))

    def rule(self, meta, items):
        rule_id, tier, when, unless, citation, undetermined = items
        return n.Rule(str(rule_id), str(tier), when, unless, _unescape(str(citation)), undetermined,
                      self._span(meta), self._tok_span(tier))

    def unless(self, meta, items):
        return items[0]

    def undetermined(self, meta, items):
        return str(items[0])

    # expressions --------------------------------------------------------
    def _binary(op):  # noqa: N805 - a small factory used at class creation
        def build(self, meta, items):
            return n.Binary(op, items[0], items[1], self._span(meta))
        return build

    or_ = _binary("or")
    and_ = _binary("and")
    eq = _binary("==")
    ne = _binary("!=")
    lt = _binary("<")
    le = _binary("<=")
    gt = _binary(">")
    ge = _binary(">=")
    in_ = _binary("in")
    not_in = _binary("not in")
    add = _binary("+")
    sub = _binary("-")
    mul = _binary("*")
    div = _binary("/")
    del _binary

    def not_(self, meta, items):
        return n.Unary("not", items[0], self._span(meta))

    def neg(self, meta, items):
        return n.Unary("-", items[0], self._span(meta))

    def number(self, meta, items):
        text = self._numeral(items[0], "number")
        if text is None:
            return n.Literal(0, self._span(meta))
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        problem = number_problem(value)
        if problem is not None:
            return self._bad(items[0], f"number `{shorten(text, 24)}` {problem}")
        return n.Literal(value, self._span(meta))

    def percent(self, meta, items):
        text = self._numeral(items[0], "percentage")
        if text is None:
            return n.Literal(0, self._span(meta))
        value = _percent_value(text[:-1])
        problem = number_problem(value)
        if problem is not None:
            return self._bad(items[0], f"percentage `{shorten(text, 24)}` {problem}")
        return n.Literal(value, self._span(meta), style="percent")

    def duration(self, meta, items):
        text = self._numeral(items[0], "duration")
        if text is None:
            return n.Literal(0, self._span(meta))
        amount, unit = float(text[:-1]), text[-1]
        days = {"d": 1.0, "h": 1 / 24, "w": 7.0}[unit] * amount
        try:
            value = _dt.timedelta(days=days)
        except OverflowError:
            return self._bad(items[0], f"duration `{shorten(text, 24)}` is out of range "
                                       f"(at most {_dt.timedelta.max.days:,} days)")
        return n.Literal(value, self._span(meta), style=text)

    def date(self, meta, items):
        text = str(items[0])
        try:
            value = _dt.date.fromisoformat(text)
        except ValueError as exc:
            return self._bad(items[0], f"`{text}` is not a valid calendar date ({exc})")
        return n.Literal(value, self._span(meta))

    def string(self, meta, items):
        return n.Literal(_unescape(str(items[0])), self._span(meta))

    def true(self, meta, items):
        return n.Literal(True, self._span(meta))

    def false(self, meta, items):
        return n.Literal(False, self._span(meta))

    def list(self, meta, items):
        items = tuple(i for i in items if i is not None)
        self._check_fan_out(items, "list", "items")
        return n.ListExpr(items, self._span(meta))

    def call(self, meta, items):
        name, *args = items
        args = tuple(a for a in args if a is not None)
        self._check_fan_out(args, f"call of `{name}`", "arguments")
        return n.Call(str(name), args, self._span(meta))

    def _check_fan_out(self, items: tuple, what: str, unit: str) -> None:
        if len(items) > limits.MAX_LIST_ITEMS:
            self.problems.append(Diagnostic(
                "dsl-limit", f"this {what} has {len(items):,} {unit}; the limit is {limits.MAX_LIST_ITEMS:,} "
                "and it is crossed here", items[limits.MAX_LIST_ITEMS].span,
                "a long list of values belongs in the questionnaire (`facts.yaml`) or pack parameters"))

    def path(self, meta, items):
        # a quoted field is a key that is no identifier (`"german-credit"`); quotes are syntax, not part of it
        return n.Path(tuple(_unescape(str(t)) if t.type == "STRING" else str(t) for t in items), self._span(meta))


def _percent_value(text: str) -> float:
    """`80%` → 0.8 exactly as written (decimal shift, not float division noise)."""
    from decimal import Decimal

    return float(Decimal(text) / 100)


def _roots(result) -> list[n.Expr]:
    """The expressions of a parse result: a lone expression, or those of definitions and rules."""
    if not isinstance(result, tuple):
        return [result]
    out: list[n.Expr] = []
    for item in result:
        if isinstance(item, (n.Definition, n.Constraint)):
            out.append(item.expr)
        else:
            out.append(item.when)
            if item.unless is not None:
                out.append(item.unless)
    return out


def _run(text: str, start: str, file: str, line_offset: int, col_offset: int, source: str | None = None):
    def located(diagnostic: Diagnostic) -> Diagnostic:
        span = diagnostic.span
        assert span is not None
        return Diagnostic(diagnostic.code, diagnostic.message, span, diagnostic.hint,
                          _context_line(text, span.line - line_offset, line_offset, col_offset, source))

    too_large = limits.source_too_large(text, file, "rules file" if start == "start" else "condition",
                                        line_offset, col_offset)
    if too_large is not None:  # refused before lark spends time (and memory) on it
        raise DslError(located(too_large))
    try:
        tree: Tree = _lark().parse(text, start=start)
    except UnexpectedInput as exc:
        raise DslError(_syntax_error(exc, text, file, line_offset, col_offset, source)) from None
    builder = _ToAst(file, line_offset, col_offset)
    result = builder.transform(tree)
    problems = [located(d) for d in builder.problems]
    for root in _roots(result):
        deep = limits.shape_problem(root)
        if deep is not None:
            problems.append(located(deep))
    if problems:
        raise DslError(problems)
    return result


def parse_rules(text: str, file: str = "<rules>") -> n.RuleFile:
    """Parse a ``*.rules`` file: definitions and rules."""
    return n.RuleFile(file, _run(text, "start", file, 0, 0))


def parse_expression(text: str, file: str = "<expression>", *, line: int = 1, column: int = 1,
                     source: str | None = None) -> n.Expr:
    """Parse one expression; ``line``/``column`` place it inside ``source`` (a YAML file) for messages."""
    return _run(text, "expression", file, line - 1, column - 1, source)
