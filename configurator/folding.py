"""Partial evaluation: substitute known feature values into an expression and fold constants.

The compiler enumerates a constraint's variables one at a time; folding after each step makes
equal remainders share one sub-diagram (expressions are hashable) and stops enumeration early
as soon as the remainder is a constant.
"""

from __future__ import annotations

from collections.abc import Mapping

from configurator.expressions import (
    Binary,
    Call,
    Compare,
    Cond,
    Const,
    Expr,
    Logic,
    Ref,
    Seq,
    Unary,
    children,
    evaluate,
)

Attributes = Mapping[str, Mapping[object, Mapping[str, object]]]  # feature -> value -> attrs


def fold(expr: Expr, values: Mapping[str, object], attributes: Attributes) -> Expr:
    match expr:
        case Const():
            return expr
        case Ref(feature, attribute):
            if feature not in values:
                return expr
            value = values[feature]
            return Const(value if attribute is None else attributes[feature][value][attribute])
        case Logic(op, operands):
            return _logic(op, [fold(o, values, attributes) for o in operands])
        case Cond(test, body, orelse):
            test = fold(test, values, attributes)
            if isinstance(test, Const):
                return fold(body if test.value else orelse, values, attributes)
            return Cond(test, fold(body, values, attributes), fold(orelse, values, attributes))
        case Call("implies", (left, right)):
            return _implies(fold(left, values, attributes), fold(right, values, attributes))
    return _generic(expr, values, attributes)


def _generic(expr: Expr, values: Mapping[str, object], attributes: Attributes) -> Expr:
    parts = tuple(_seq_const(fold(child, values, attributes)) for child in children(expr))
    if all(isinstance(part, Const) for part in parts) and not isinstance(expr, Seq):
        rebuilt = _rebuild(expr, parts)
        return Const(evaluate(rebuilt, {}))
    return _rebuild(expr, parts)


def _rebuild(expr: Expr, parts: tuple[Expr, ...]) -> Expr:
    match expr:
        case Unary(op, _):
            return Unary(op, parts[0])
        case Compare(_, ops, _):
            return Compare(parts[0], ops, parts[1:])
        case Call(func, _):
            return Call(func, parts)
        case Seq():
            return Seq(parts)
    assert isinstance(expr, Binary)
    return Binary(expr.op, parts[0], parts[1])


def _seq_const(part: Expr) -> Expr:
    if isinstance(part, Seq) and all(isinstance(item, Const) for item in part.items):
        return Const(tuple(item.value for item in part.items))  # type: ignore[union-attr]
    return part


def _logic(op: str, operands: list[Expr]) -> Expr:
    neutral, absorbing = (True, False) if op == "and" else (False, True)
    kept: list[Expr] = []
    for operand in operands:
        if isinstance(operand, Const):
            if operand.value is absorbing:
                return Const(absorbing)
            continue
        kept.append(operand)
    if not kept:
        return Const(neutral)
    return kept[0] if len(kept) == 1 else Logic(op, tuple(kept))


def _implies(left: Expr, right: Expr) -> Expr:
    if isinstance(left, Const):
        return right if left.value else Const(True)
    if isinstance(right, Const):
        return Const(True) if right.value else Unary("not", left)
    return Call("implies", (left, right))
