"""Building BDDs for single constraints over the log-encoded features.

Boolean structure (and, or, not, implies, iff, if-else) is compiled node by node, so each
atom only enumerates its own few features. An atom is compiled by Shannon expansion over its
features (smallest domains first) with partial evaluation; when one integer feature remains
and the remainder is ``x OP constant``, its allowed values form an interval, built directly
from the code bits instead of value by value.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from configurator.encoding import Encoding, Variable, code_bits
from configurator.errors import CompileError
from configurator.expressions import (
    Call,
    Compare,
    Cond,
    Const,
    Expr,
    Logic,
    Ref,
    Unary,
    features,
)
from configurator.folding import Attributes, fold

Function = Any  # dd.cudd.Function (untyped extension type)
MAX_ENUMERATION = 3_000_000
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class BddBuilder:
    def __init__(self, bdd: Any, encoding: Encoding, attributes: Attributes) -> None:
        self.bdd, self.encoding, self.attributes = bdd, encoding, attributes
        self._value_cache: dict[tuple[str, int], Function] = {}

    # -- domains and value sets -------------------------------------------------------------
    def value(self, name: str, index: int) -> Function:
        key = (name, index)
        if key not in self._value_cache:
            self._value_cache[key] = self.bdd.cube(code_bits(self.encoding[name], index))
        return self._value_cache[key]

    def interval(self, variable: Variable, low: int, high: int) -> Function:
        """Codes ``low..high`` (inclusive) of ``variable``, built bit by bit."""
        low, high = max(low, 0), min(high, len(variable.values) - 1)
        if low > high:
            return self.bdd.false
        return self._compare_bits(variable, low, at_least=True) & self._compare_bits(
            variable, high, at_least=False)

    def domain(self, variable: Variable) -> Function:
        return self.interval(variable, 0, len(variable.values) - 1)

    def _compare_bits(self, variable: Variable, bound: int, *, at_least: bool) -> Function:
        result = self.bdd.true
        width = variable.width
        for k in reversed(range(width)):  # least significant bit first
            bit = self.bdd.var(variable.bits[k])
            set_in_bound = (bound >> (width - 1 - k)) & 1
            if at_least:
                result = (bit & result) if set_in_bound else (bit | result)
            else:
                result = (~bit | result) if set_in_bound else (~bit & result)
        return result

    # -- expressions -----------------------------------------------------------------------
    def build(self, expr: Expr, label: str = "") -> Function:
        match expr:
            case Const(value):
                return self.bdd.true if value else self.bdd.false
            case Ref(name, None) if self.encoding[name].values == (False, True):
                return self.bdd.var(self.encoding[name].bits[0])
            case Logic("and", operands):
                return _fold_ops(self.bdd.true, [self.build(o, label) for o in operands], "&")
            case Logic(_, operands):
                return _fold_ops(self.bdd.false, [self.build(o, label) for o in operands], "|")
            case Unary("not", operand):
                return ~self.build(operand, label)
            case Call("implies", (left, right)):
                return ~self.build(left, label) | self.build(right, label)
            case Call("iff", (left, right)):
                return self.build(left, label).equiv(self.build(right, label))
            case Cond(test, body, orelse) if _is_boolean(body) and _is_boolean(orelse):
                return self.bdd.ite(self.build(test, label), self.build(body, label),
                                    self.build(orelse, label))
        return self.atom(expr, label)

    def atom(self, expr: Expr, label: str) -> Function:
        order = sorted(features(expr), key=lambda n: (len(self.encoding[n].values), n))
        size = math.prod(len(self.encoding[n].values) for n in order[:-1])
        if size > MAX_ENUMERATION:
            raise CompileError("", f"{label}: {size:,} combinations of {', '.join(order[:-1])} "
                               "are too many to enumerate")
        memo: dict[Expr, Function] = {}
        return self._expand(expr, order, memo)

    def _expand(self, expr: Expr, order: Sequence[str], memo: dict[Expr, Function]) -> Function:
        if isinstance(expr, Const):
            return self.bdd.true if expr.value is True else self.bdd.false
        if expr in memo:
            return memo[expr]
        remaining = [n for n in order if n in features(expr)]
        name = remaining[0]
        fast = self._interval_atom(expr, name) if len(remaining) == 1 else None
        if fast is not None:
            memo[expr] = fast
            return fast
        variable = self.encoding[name]
        by_rest: dict[Expr, list[int]] = {}
        for index, value in enumerate(variable.values):
            rest = fold(expr, {name: value}, self.attributes)
            by_rest.setdefault(rest, []).append(index)
        result = self.bdd.false
        for rest, indices in by_rest.items():
            part = self._expand(rest, remaining[1:], memo)
            if part != self.bdd.false:
                result |= self._indices(variable, indices) & part
        memo[expr] = result
        return result

    def _indices(self, variable: Variable, indices: list[int]) -> Function:
        """The codes in ``indices`` as runs of consecutive codes (one interval per run)."""
        result, start = self.bdd.false, indices[0]
        for previous, current in zip(indices, [*indices[1:], None], strict=True):
            if current is None or current != previous + 1:
                result |= self.interval(variable, start, previous)
                if current is not None:
                    start = current
        return result

    def _interval_atom(self, expr: Expr, name: str) -> Function | None:
        if not (isinstance(expr, Compare) and len(expr.ops) == 1):
            return None
        left, op, right = expr.left, expr.ops[0], expr.rights[0]
        if isinstance(right, Ref) and isinstance(left, Const):
            left, right, op = right, left, _MIRROR.get(op, "")
        if not (left == Ref(name) and isinstance(right, Const) and op in _MIRROR):
            return None
        values = self.encoding[name].values
        bound = right.value
        if isinstance(bound, bool) or not isinstance(bound, int | Decimal) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values):
            return None
        return self._threshold(self.encoding[name], op, bound)

    def _threshold(self, variable: Variable, op: str, bound: int | Decimal) -> Function:
        values = cast(list[int], list(variable.values))  # ascending integers
        lo = bisect.bisect_left(values, bound)
        hi = bisect.bisect_right(values, bound)
        last = len(values) - 1
        ranges = {"==": [(lo, hi - 1)], "!=": [(0, lo - 1), (hi, last)], "<": [(0, lo - 1)],
                  "<=": [(0, hi - 1)], ">": [(hi, last)], ">=": [(lo, last)]}[op]
        result = self.bdd.false
        for low, high in ranges:
            result |= self.interval(variable, low, high)
        return result

    # -- tables ----------------------------------------------------------------------------
    def table(self, columns: Sequence[str], rows: Sequence[Sequence[int]]) -> Function:
        """Allowed rows given as value indices; built as a trie so shared prefixes are shared."""
        variables = [self.encoding[c] for c in columns]
        return self._trie(variables, sorted(set(map(tuple, rows))), 0)

    def _trie(self, variables: list[Variable], rows: list[tuple[int, ...]], depth: int
              ) -> Function:
        if depth == len(variables) or not rows:
            return self.bdd.true if rows else self.bdd.false
        result = self.bdd.false
        start = 0
        for end in range(1, len(rows) + 1):
            if end == len(rows) or rows[end][depth] != rows[start][depth]:
                child = self._trie(variables, rows[start:end], depth + 1)
                result |= self.value(variables[depth].name, rows[start][depth]) & child
                start = end
        return result


def _fold_ops(start: Function, parts: list[Function], op: str) -> Function:
    result = start
    for part in parts:
        result = (result & part) if op == "&" else (result | part)
    return result


def _is_boolean(expr: Expr) -> bool:
    return isinstance(expr, Logic | Compare | Unary) or (
        isinstance(expr, Const) and isinstance(expr.value, bool)) or (
        isinstance(expr, Call) and expr.func in ("implies", "iff"))
