"""The safe expression language of product models (see sample_products/README.md).

Text is parsed with the standard ``ast`` module and converted into a small tree of frozen
dataclasses; only whitelisted forms are accepted and nothing is ever passed to ``eval``.
Numbers stay exact: integers as ``int``, decimal literals and ``/`` as ``Decimal``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation

from configurator.errors import ModelError

Number = int | Decimal
Value = object


class ExpressionError(ModelError):
    """A syntax, name or type problem in one expression."""


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Ref:
    """A feature value (``seats``) or an attribute of its chosen option (``seats.modules``)."""

    feature: str
    attribute: str | None = None

    @property
    def key(self) -> str:
        return self.feature if self.attribute is None else f"{self.feature}.{self.attribute}"


@dataclass(frozen=True)
class Unary:
    op: str  # '-', '+', 'not'
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # '+', '-', '*', '/', '//', '%'
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logic:
    op: str  # 'and', 'or'
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    """A (possibly chained) comparison; ``in``/``not in`` take a ``Seq`` on the right."""

    left: Expr
    ops: tuple[str, ...]
    rights: tuple[Expr, ...]


@dataclass(frozen=True)
class Cond:
    test: Expr
    body: Expr
    orelse: Expr


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Seq:
    items: tuple[Expr, ...]


Expr = Const | Ref | Unary | Binary | Logic | Compare | Cond | Call | Seq

_BINOPS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
}
_CMPOPS: dict[type, str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
_UNARY: dict[type, str] = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
_ARITY: dict[str, tuple[int, int]] = {
    "implies": (2, 2), "iff": (2, 2), "min": (1, 99), "max": (1, 99), "abs": (1, 1),
    "ceil": (1, 1), "floor": (1, 1), "round": (1, 2),
}
FUNCTIONS = frozenset(_ARITY)
_BOOL_NAMES = {"true": True, "false": False, "True": True, "False": False}


def parse(text: str, *, file: str = "<expr>", line: int | None = None) -> Expr:
    """Parse expression ``text``; errors name ``file``, ``line`` and the offending token."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression", file=file, line=line, token=str(text))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        token = _token_at(text.strip(), error.offset)
        raise ExpressionError(
            f"syntax error in {text.strip()!r} near {token!r}", file=file, line=line, token=token
        ) from None
    return _Converter(text.strip(), file, line).convert(tree.body)


def _token_at(text: str, offset: int | None) -> str:
    start = max((offset or 1) - 1, 0)
    rest = text[start:].split()
    return rest[0] if rest else text[start - 1 : start] or text


class _Converter:
    def __init__(self, text: str, file: str, line: int | None) -> None:
        self.text, self.file, self.line = text, file, line

    def fail(self, node: ast.AST, what: str) -> ExpressionError:
        token = ast.get_source_segment(self.text, node) or type(node).__name__
        return ExpressionError(f"{what}: {token!r}", file=self.file, line=self.line, token=token)

    def convert(self, node: ast.AST) -> Expr:
        handler: Callable[[ast.AST], Expr] | None = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.fail(node, "not allowed in an expression")
        return handler(node)

    def _Constant(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Constant)
        value = node.value
        if isinstance(value, bool | str | int):
            return Const(value)
        if isinstance(value, float):
            return Const(Decimal(ast.get_source_segment(self.text, node) or repr(value)))
        raise self.fail(node, "unsupported literal")

    def _Name(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Name)
        if node.id in _BOOL_NAMES:
            return Const(_BOOL_NAMES[node.id])
        if node.id in FUNCTIONS:
            raise self.fail(node, "function used as a value")
        return Ref(node.id)

    def _Attribute(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Attribute)
        if not isinstance(node.value, ast.Name):
            raise self.fail(node, "only feature.attribute is allowed")
        return Ref(node.value.id, node.attr)

    def _UnaryOp(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.UnaryOp)
        op = _UNARY.get(type(node.op))
        if op is None:
            raise self.fail(node, "operator not allowed")
        operand = self.convert(node.operand)
        if op == "-" and isinstance(operand, Const) and _is_number(operand.value):
            return Const(-operand.value)  # type: ignore[operator]
        return Unary(op, operand)

    def _BinOp(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.BinOp)
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(node, "operator not allowed")
        return Binary(op, self.convert(node.left), self.convert(node.right))

    def _BoolOp(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.BoolOp)
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Logic(op, tuple(self.convert(value) for value in node.values))

    def _Compare(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Compare)
        ops = []
        for op_node, right in zip(node.ops, node.comparators, strict=True):
            op = _CMPOPS.get(type(op_node))
            if op is None:
                raise self.fail(node, "comparison not allowed")
            if op in ("in", "not in") and not isinstance(right, ast.Tuple | ast.List):
                raise self.fail(right, "'in' needs a literal tuple on the right")
            ops.append(op)
        rights = tuple(self.convert(right) for right in node.comparators)
        return Compare(self.convert(node.left), tuple(ops), rights)

    def _Tuple(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Tuple | ast.List)
        return Seq(tuple(self.convert(item) for item in node.elts))

    _List = _Tuple

    def _IfExp(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.IfExp)
        return Cond(self.convert(node.test), self.convert(node.body), self.convert(node.orelse))

    def _Call(self, node: ast.AST) -> Expr:
        assert isinstance(node, ast.Call)
        if not isinstance(node.func, ast.Name) or node.func.id not in _ARITY:
            raise self.fail(node.func, "unknown function")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        low, high = _ARITY[node.func.id]
        if not low <= len(node.args) <= high:
            raise self.fail(node, f"{node.func.id}() takes {low}..{high} arguments")
        return Call(node.func.id, tuple(self.convert(arg) for arg in node.args))


def names(expr: Expr) -> frozenset[str]:
    """The environment keys ``expr`` reads: feature names and ``feature.attribute`` keys."""
    found: set[str] = set()
    _walk_refs(expr, lambda ref: found.add(ref.key))
    return frozenset(found)


def refs(expr: Expr) -> frozenset[Ref]:
    found: set[Ref] = set()
    _walk_refs(expr, found.add)
    return frozenset(found)


def features(expr: Expr) -> frozenset[str]:
    """The feature names ``expr`` depends on (``seats.modules`` counts as ``seats``)."""
    return frozenset(ref.feature for ref in refs(expr))


def children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Unary(_, operand):
            return (operand,)
        case Binary(_, left, right):
            return (left, right)
        case Logic(_, operands):
            return operands
        case Compare(left, _, rights):
            return (left, *rights)
        case Cond(test, body, orelse):
            return (test, body, orelse)
        case Call(_, args):
            return args
        case Seq(items):
            return items
    return ()


def _walk_refs(expr: Expr, visit: Callable[[Ref], object]) -> None:
    if isinstance(expr, Ref):
        visit(expr)
    for child in children(expr):
        _walk_refs(child, visit)


def evaluate(expr: Expr, env: Mapping[str, object]) -> Value:
    """Evaluate ``expr``; ``env`` maps feature names and ``feature.attribute`` keys to values."""
    match expr:
        case Const(value):
            return value
        case Ref():
            try:
                return env[expr.key]
            except KeyError:
                raise ExpressionError(f"unknown name {expr.key!r}", token=expr.key) from None
        case Logic("and", operands):
            return all(_truth(evaluate(operand, env)) for operand in operands)
        case Logic(_, operands):
            return any(_truth(evaluate(operand, env)) for operand in operands)
        case Cond(test, body, orelse):
            return evaluate(body if _truth(evaluate(test, env)) else orelse, env)
        case Call("implies", (left, right)):
            return (not _truth(evaluate(left, env))) or _truth(evaluate(right, env))
        case Seq(items):
            return tuple(evaluate(item, env) for item in items)
        case Compare(left, ops, rights):
            return _compare(evaluate(left, env), ops, [evaluate(r, env) for r in rights])
        case Unary(op, operand):
            return _unary(op, evaluate(operand, env))
        case Binary(op, left, right):
            return arithmetic(op, evaluate(left, env), evaluate(right, env))
        case Call(func, args):
            return call(func, [evaluate(arg, env) for arg in args])
    raise ExpressionError(f"cannot evaluate {expr!r}")


def _truth(value: Value) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"expected true/false, got {value!r}", token=str(value))
    return value


def _is_number(value: Value) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _number(value: Value) -> Number:
    if not _is_number(value):
        raise ExpressionError(f"expected a number, got {value!r}", token=str(value))
    return value  # type: ignore[return-value]


def _unary(op: str, value: Value) -> Value:
    if op == "not":
        return not _truth(value)
    number = _number(value)
    return -number if op == "-" else number


def arithmetic(op: str, left: Value, right: Value) -> Number:
    a, b = _number(left), _number(right)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return _normal(Decimal(a) / Decimal(b))
        if op == "//":
            return a // b
        return a % b
    except (ZeroDivisionError, DivisionByZero, InvalidOperation):
        raise ExpressionError(f"division by zero in {a} {op} {b}", token=op) from None


def _normal(value: Decimal) -> Number:
    """Exact quotients that are whole numbers become ``int`` so that ``==`` on ints works."""
    return int(value) if value == value.to_integral_value() else value


def _compare(left: Value, ops: tuple[str, ...], rights: list[Value]) -> bool:
    for op, right in zip(ops, rights, strict=True):
        if not _compare_once(left, op, right):
            return False
        left = right
    return True


def _compare_once(left: Value, op: str, right: Value) -> bool:
    if op == "in":
        return left in right  # type: ignore[operator]
    if op == "not in":
        return left not in right  # type: ignore[operator]
    if op == "==":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    a, b = _number(left), _number(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _same(left: Value, right: Value) -> bool:
    # True == 1 holds in Python; in models a boolean never equals a number.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return left == right


def call(func: str, args: list[Value]) -> Value:
    if func == "iff":
        return _truth(args[0]) == _truth(args[1])
    if func == "implies":
        return (not _truth(args[0])) or _truth(args[1])
    numbers = [_number(arg) for arg in args]
    if func == "min":
        return min(numbers)
    if func == "max":
        return max(numbers)
    if func == "abs":
        return abs(numbers[0])
    if func == "ceil":
        return math.ceil(numbers[0])
    if func == "floor":
        return math.floor(numbers[0])
    return _round(numbers)


def _round(numbers: list[Number]) -> Number:
    """Commercial rounding (half away from zero), as price lists expect."""
    places = int(numbers[1]) if len(numbers) > 1 else 0
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(numbers[0]).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(rounded) if places <= 0 else rounded


def to_text(expr: Expr) -> str:
    """Readable source form (used in explanations and error messages)."""
    match expr:
        case Const(value):
            return repr(value) if isinstance(value, str) else str(value).lower() \
                if isinstance(value, bool) else str(value)
        case Ref():
            return expr.key
        case Unary(op, operand):
            return f"not {to_text(operand)}" if op == "not" else f"{op}{to_text(operand)}"
        case Binary(op, left, right):
            return f"({to_text(left)} {op} {to_text(right)})"
        case Logic(op, operands):
            return "(" + f" {op} ".join(to_text(o) for o in operands) + ")"
        case Compare(left, ops, rights):
            pairs = zip(ops, rights, strict=True)
            return " ".join([to_text(left)] + [f"{o} {to_text(r)}" for o, r in pairs])
        case Cond(test, body, orelse):
            return f"({to_text(body)} if {to_text(test)} else {to_text(orelse)})"
        case Call(func, args):
            return f"{func}({', '.join(to_text(a) for a in args)})"
        case Seq(items):
            trailer = "," if len(items) == 1 else ""
            return "(" + ", ".join(to_text(i) for i in items) + trailer + ")"
    return repr(expr)
