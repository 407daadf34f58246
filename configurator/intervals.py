"""Bounds of a numeric expression over sets of possible feature values (for price search)."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from configurator.expressions import (
    Binary,
    Call,
    Cond,
    Const,
    Expr,
    ExpressionError,
    Ref,
    Unary,
    _round,
    evaluate,
    features,
)
from configurator.folding import Attributes

Bounds = tuple[Decimal, Decimal]
Domains = Mapping[str, Sequence[object]]
ENUMERATION_LIMIT = 256
_MONOTONE = ("min", "max", "round", "ceil", "floor")


def bounds(expr: Expr, domains: Domains, attributes: Attributes) -> Bounds:
    """Lowest and highest value ``expr`` takes over the product of the domains.

    Exact by interval arithmetic when every feature occurs once under monotone operations
    (the expression is then monotone in each feature, so its extremes sit at domain ends),
    exact by enumeration when the product is small, a sound outer bound otherwise."""
    if _monotone_single_use(expr):
        return _interval(expr, domains, attributes)
    support = _support(expr)
    size = math.prod(len(domains[name]) for name in support)
    if size <= ENUMERATION_LIMIT:
        return _enumerate(expr, support, domains, attributes)
    return _interval(expr, domains, attributes)


@functools.cache
def _monotone_single_use(expr: Expr) -> bool:
    return _single_use(expr, set())


@functools.cache
def _support(expr: Expr) -> tuple[str, ...]:
    return tuple(sorted(features(expr)))


def _single_use(node: Expr, seen: set[str]) -> bool:
    """Every feature occurs once, under monotone operations; a condition may pick between
    branches when its own features occur nowhere else (each branch is then exact alone)."""
    match node:
        case Const(_):
            return True
        case Ref(feature, _):
            if feature in seen:
                return False
            seen.add(feature)
            return True
        case Unary("-", operand):
            return _single_use(operand, seen)
        case Binary(op, left, right) if op in ("+", "-", "*", "/"):
            return _single_use(left, seen) and _single_use(right, seen)
        case Call(func, args) if func in _MONOTONE:
            return all(_single_use(arg, seen) for arg in args)
        case Cond(test, body, orelse):
            tested = features(test)
            if tested & (seen | features(body) | features(orelse)):
                return False
            seen |= tested
            branches = [set(seen), set(seen)]
            if not (_single_use(body, branches[0]) and _single_use(orelse, branches[1])):
                return False
            seen |= branches[0] | branches[1]
            return True
    return False


def _enumerate(expr: Expr, support: Sequence[str], domains: Domains, attributes: Attributes
               ) -> Bounds:
    found: list[Decimal] = []
    for combo in itertools.product(*(domains[name] for name in support)):
        env = _environment(support, combo, attributes)
        found.append(Decimal(as_number(evaluate(expr, env))))
    if not found:
        return Decimal(0), Decimal(0)
    return min(found), max(found)


def as_number(value: object) -> int | Decimal:
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, int | Decimal):
        raise ExpressionError(f"price expression gave {value!r}, not a number")
    return value


def _interval(expr: Expr, domains: Domains, attributes: Attributes) -> Bounds:
    match expr:
        case Const(value):
            number = Decimal(as_number(value))
            return number, number
        case Ref(feature, attribute):
            values = domains[feature] if attribute is None else [
                attributes[feature][v][attribute] for v in domains[feature]]
            numbers = [Decimal(as_number(v)) for v in values]
            return min(numbers), max(numbers)
        case Unary("-", operand):
            low, high = _interval(operand, domains, attributes)
            return -high, -low
        case Binary(op, left, right) if op in ("+", "-", "*", "/"):
            return _binary(op, _interval(left, domains, attributes),
                           _interval(right, domains, attributes))
        case Cond(test, body, orelse):
            branches = [body if truth else orelse for truth in _truths(test, domains, attributes)]
            parts = [_interval(branch, domains, attributes) for branch in branches]
            return min(part[0] for part in parts), max(part[1] for part in parts)
        case Call(func, args) if func in ("min", "max", "round", "ceil", "floor", "abs"):
            return _call(func, [_interval(a, domains, attributes) for a in args])
    return _too_large_to_bound(expr)


def _truths(test: Expr, domains: Domains, attributes: Attributes) -> list[bool]:
    """Which way a condition can go over the domains (both ways when too many to try)."""
    support = _support(test)
    if math.prod(len(domains[name]) for name in support) > ENUMERATION_LIMIT:
        return [True, False]
    outcomes = set()
    for combo in itertools.product(*(domains[name] for name in support)):
        outcomes.add(evaluate(test, _environment(support, combo, attributes)) is True)
    return sorted(outcomes)


def _environment(support: Sequence[str], combo: Sequence[object], attributes: Attributes
                 ) -> dict[str, object]:
    env: dict[str, object] = dict(zip(support, combo, strict=True))
    for name, value in list(env.items()):
        for key, attribute in attributes.get(name, {}).get(value, {}).items():
            env[f"{name}.{key}"] = attribute
    return env


def _too_large_to_bound(expr: Expr) -> Bounds:
    raise ExpressionError("price expression too large to bound; simplify it or narrow the"
                          f" feature domains: {expr!r}")


def _binary(op: str, a: Bounds, b: Bounds) -> Bounds:
    if op == "+":
        return a[0] + b[0], a[1] + b[1]
    if op == "-":
        return a[0] - b[1], a[1] - b[0]
    if op == "/":
        if b[0] <= 0 <= b[1]:
            raise ExpressionError("price expression may divide by zero")
        b = (1 / b[1], 1 / b[0])
    products = [x * y for x in a for y in b]
    return min(products), max(products)


def _call(func: str, args: list[Bounds]) -> Bounds:
    if func == "min":
        return min(a[0] for a in args), min(a[1] for a in args)
    if func == "max":
        return max(a[0] for a in args), max(a[1] for a in args)
    low, high = args[0]
    if func == "abs":
        return (Decimal(0) if low <= 0 <= high else min(abs(low), abs(high))), max(
            abs(low), abs(high))
    if func == "round":  # monotone, so rounding the ends is exact
        places = int(args[1][0]) if len(args) > 1 and args[1][0] == args[1][1] else None
        if places is None:
            return Decimal(math.floor(low)), Decimal(math.ceil(high))
        return Decimal(_round([low, places])), Decimal(_round([high, places]))
    if func == "ceil":
        return Decimal(math.ceil(low)), Decimal(math.ceil(high))
    return Decimal(math.floor(low)), Decimal(math.floor(high))
