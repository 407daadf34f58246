"""Expressions compiled to Python closures, with the configurator's evaluation semantics.

Engineering evaluates the same few hundred formulas for every order; walking the expression
tree each time costs most of the run time, so each tree is turned into nested closures once
at load. Arithmetic and functions are the configurator's own (`arithmetic`, `call`); truth
and comparison follow `configurator.expressions.evaluate` exactly (a test compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from configurator.expressions import (
    Binary,
    Call,
    Compare,
    Cond,
    Const,
    Expr,
    ExpressionError,
    Logic,
    Ref,
    Seq,
    Unary,
    arithmetic,
    call,
    evaluate,
)

Env = Mapping[str, object]
Compiled = Callable[[Env], object]


def compile_expr(expr: Expr) -> Compiled:
    match expr:
        case Const(value):
            return lambda env: value
        case Ref():
            return _ref(expr.key)
        case Logic(op, operands):
            return _logic(op == "and", [compile_expr(o) for o in operands])
        case Cond(test, body, orelse):
            t, b, o = compile_expr(test), compile_expr(body), compile_expr(orelse)
            return lambda env: b(env) if _truth(t(env)) else o(env)
        case Call("implies", (left, right)):
            a, c = compile_expr(left), compile_expr(right)
            return lambda env: (not _truth(a(env))) or _truth(c(env))
        case Seq(items):
            parts = [compile_expr(i) for i in items]
            return lambda env: tuple(p(env) for p in parts)
        case Compare(left, ops, rights):
            return _comparison(compile_expr(left), ops, [compile_expr(r) for r in rights])
        case Unary(op, operand):
            return _unary(op, compile_expr(operand))
        case Binary(op, left, right):
            return _binary(op, compile_expr(left), compile_expr(right))
        case Call(func, args):
            parts = [compile_expr(a) for a in args]
            return lambda env: call(func, [p(env) for p in parts])
    return lambda env: evaluate(expr, env)


_EXACT = {int, Decimal}  # exact types only: bool is an int subclass and must take the checks
_FAST = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    fast = _FAST.get(op)
    if fast is None:  # division and modulo normalise and report division by zero
        return lambda env: arithmetic(op, left(env), right(env))

    def apply(env: Env) -> object:
        a, b = left(env), right(env)
        if type(a) in _EXACT and type(b) in _EXACT:
            return fast(a, b)
        return arithmetic(op, a, b)

    return apply


def _ref(key: str) -> Compiled:
    def read(env: Env) -> object:
        try:
            return env[key]
        except KeyError:
            raise ExpressionError(f"unknown name {key!r}", token=key) from None

    return read


def _logic(conjunction: bool, parts: list[Compiled]) -> Compiled:
    # Plain loops: all()/any() over a generator cost a frame per call on the hot path.
    def both(env: Env) -> bool:
        for part in parts:  # noqa: SIM110
            if not _truth(part(env)):
                return False
        return True

    def either(env: Env) -> bool:
        for part in parts:  # noqa: SIM110
            if _truth(part(env)):
                return True
        return False

    return both if conjunction else either


def _unary(op: str, operand: Compiled) -> Compiled:
    if op == "not":
        return lambda env: not _truth(operand(env))
    if op == "-":
        return lambda env: -_number(operand(env))
    return lambda env: _number(operand(env))


def _truth(value: object) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"expected true/false, got {value!r}", token=str(value))
    return value


def _number(value: object) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ExpressionError(f"expected a number, got {value!r}", token=str(value))
    return value


def _comparison(left: Compiled, ops: tuple[str, ...], rights: list[Compiled]) -> Compiled:
    pairs = list(zip(ops, rights, strict=True))

    def compare(env: Env) -> bool:
        a = left(env)
        for op, right in pairs:
            b = right(env)
            if not _compare_once(a, op, b):
                return False
            a = b
        return True

    return compare


def _compare_once(left: object, op: str, right: object) -> bool:
    if op == "==":
        return isinstance(left, bool) == isinstance(right, bool) and left == right
    if op == "!=":
        return not (isinstance(left, bool) == isinstance(right, bool) and left == right)
    if op == "in":
        return left in right  # type: ignore[operator]
    if op == "not in":
        return left not in right  # type: ignore[operator]
    a, b = _number(left), _number(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b
