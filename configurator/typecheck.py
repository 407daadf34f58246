"""Static checks of model expressions: unknown names, unknown option codes, type errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from configurator.errors import ModelError
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
    to_text,
)
from configurator.model import FeatureType, ProductModel

BOOL, NUMBER, TEXT = "true/false", "number", "text"


@dataclass(frozen=True)
class _Where:
    file: str
    line: int | None
    field: str

    def fail(self, message: str, token: str) -> ModelError:
        return ModelError(f"{self.field}: {message}", file=self.file, line=self.line,
                          field=self.field, token=token)


def check_model_expressions(model: ProductModel) -> None:
    for constraint in model.constraints:
        where = _Where(model.file, constraint.line, f"constraint {constraint.id!r}")
        _expect(model, constraint.formula, BOOL, where)
    for rule in model.prices:
        where = _Where(model.file, rule.line, f"price {rule.id!r}")
        _expect(model, rule.amount, NUMBER, where)
        if rule.when is not None:
            _expect(model, rule.when, BOOL, where)


def check_expression(model: ProductModel, expr: Expr, expected: str, *, file: str,
                     line: int | None, field: str) -> None:
    """Check an expression from another file (BOM, routing) against ``model``."""
    _expect(model, expr, expected, _Where(file, line, field))


def _expect(model: ProductModel, expr: Expr, expected: str, where: _Where) -> None:
    found = _infer(model, expr, where)
    if _base(found) != expected:
        raise where.fail(f"expected {expected}, but {to_text(expr)!r} is {_base(found)}",
                         to_text(expr))


def _base(kind: str) -> str:
    return TEXT if kind.startswith("code:") else kind


def _infer(model: ProductModel, expr: Expr, where: _Where) -> str:
    match expr:
        case Const(value):
            if isinstance(value, bool):
                return BOOL
            return TEXT if isinstance(value, str) else NUMBER
        case Ref():
            return _ref(model, expr, where)
        case Unary(op, operand):
            _expect(model, operand, BOOL if op == "not" else NUMBER, where)
            return BOOL if op == "not" else NUMBER
        case Binary(_, left, right):
            _expect(model, left, NUMBER, where)
            _expect(model, right, NUMBER, where)
            return NUMBER
        case Logic(_, operands):
            for operand in operands:
                _expect(model, operand, BOOL, where)
            return BOOL
        case Compare(left, ops, rights):
            _compare(model, left, ops, rights, where)
            return BOOL
        case Cond(test, body, orelse):
            _expect(model, test, BOOL, where)
            kind = _infer(model, body, where)
            _expect(model, orelse, _base(kind), where)
            return kind
        case Call(func, args):
            wanted = BOOL if func in ("implies", "iff") else NUMBER
            for arg in args:
                _expect(model, arg, wanted, where)
            return wanted
        case Seq():
            raise where.fail("a tuple is only allowed after 'in'", to_text(expr))
    raise where.fail("unsupported expression", to_text(expr))


def _ref(model: ProductModel, ref: Ref, where: _Where) -> str:
    try:
        feature = model.feature(ref.feature)
    except KeyError:
        raise where.fail(f"unknown name {ref.feature!r}", ref.feature) from None
    if ref.attribute is None:
        return {FeatureType.CHOICE: f"code:{feature.name}", FeatureType.BOOLEAN: BOOL,
                FeatureType.INTEGER: NUMBER}[feature.type]
    if feature.type is not FeatureType.CHOICE:
        raise where.fail(f"{feature.name!r} has no options, so no attribute "
                         f"{ref.attribute!r}", ref.key)
    kinds = set()
    for option in feature.options:
        if ref.attribute not in option.attributes:
            raise where.fail(f"option {option.code!r} of {feature.name!r} has no attribute "
                             f"{ref.attribute!r}", ref.key)
        value = option.attributes[ref.attribute]
        kinds.add(NUMBER if isinstance(value, int | Decimal) else TEXT)
    if len(kinds) > 1:
        raise where.fail(f"attribute {ref.key!r} mixes numbers and text", ref.key)
    return kinds.pop()


def _compare(model: ProductModel, left: Expr, ops: tuple[str, ...], rights: tuple[Expr, ...],
             where: _Where) -> None:
    current = left
    for op, right in zip(ops, rights, strict=True):
        if op in ("in", "not in"):
            assert isinstance(right, Seq)
            for item in right.items:
                _pair(model, current, "==", item, where)
        else:
            _pair(model, current, op, right, where)
        current = right


def _pair(model: ProductModel, left: Expr, op: str, right: Expr, where: _Where) -> None:
    kinds = (_infer(model, left, where), _infer(model, right, where))
    if _base(kinds[0]) != _base(kinds[1]):
        raise where.fail(f"cannot compare {to_text(left)!r} ({_base(kinds[0])}) with "
                         f"{to_text(right)!r} ({_base(kinds[1])})", to_text(right))
    if op not in ("==", "!=") and _base(kinds[0]) != NUMBER:
        raise where.fail(f"{op!r} needs numbers", op)
    for kind, other in ((kinds[0], right), (kinds[1], left)):
        if kind.startswith("code:") and isinstance(other, Const):
            feature = model.feature(kind[5:])
            if other.value not in feature.domain:
                raise where.fail(f"{other.value!r} is not an option of {feature.name!r}",
                                 str(other.value))
