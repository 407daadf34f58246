"""Exact checks of BOM and routing conditions against the configurator's compiled model.

A condition over configuration features (and `let` names, which are inlined) is built as a
BDD with the configurator's own builder and conjoined with the compiled model: if nothing
is left, the condition can never hold in a valid product; if two lines of one exclusive
group can hold together, a witness configuration is reported. Conditions that read
sub-assembly parameters, or that the builder cannot compile, are left to the sampled checks
in `routing.validate`, and `checked`/`skipped` say which were which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bom.errors import EngineeringError
from bom.formula import Formula
from bom.model import BomLine
from configurator.bddbuild import BddBuilder
from configurator.compiler import CompiledModel, compile_problem
from configurator.errors import CompileError, ModelError
from configurator.expressions import Binary as BinaryOp
from configurator.expressions import Call, Compare, Cond, Expr, Logic, Ref, Seq, Unary, names
from configurator.problem import problem_of
from routing.engineer import EngineeringModel


@dataclass(frozen=True)
class ExactReport:
    checked: tuple[str, ...]  # lines and operations whose conditions were checked exactly
    skipped: tuple[str, ...]  # left to sampling (parameters, or not compilable)


def inline(expr: Expr, lets: Mapping[str, Expr]) -> Expr:
    """`expr` with every `let` name replaced by its (already inlined) definition."""
    match expr:
        case Ref(name, None) if name in lets:
            return lets[name]
        case Unary(op, operand):
            return Unary(op, inline(operand, lets))
        case BinaryOp(op, left, right):
            return BinaryOp(op, inline(left, lets), inline(right, lets))
        case Logic(op, operands):
            return Logic(op, tuple(inline(o, lets) for o in operands))
        case Compare(left, ops, rights):
            return Compare(inline(left, lets), ops, tuple(inline(r, lets) for r in rights))
        case Cond(test, body, orelse):
            return Cond(inline(test, lets), inline(body, lets), inline(orelse, lets))
        case Call(_, args):
            return replace(expr, args=tuple(inline(a, lets) for a in args))
        case Seq(items):
            return Seq(tuple(inline(i, lets) for i in items))
    return expr


class _Checker:
    def __init__(self, model: EngineeringModel, compiled: CompiledModel) -> None:
        self.model, self.compiled, self.bdd = model, compiled, compiled.bdd
        self.builder = BddBuilder(compiled.bdd, compiled.encoding, compiled.problem.attributes)
        lets: dict[str, Expr] = {}
        for name, formula in model.bom.lets:
            lets[name] = inline(formula.expr, lets)
        self.lets = lets
        self.features = set(model.product.feature_names)

    def condition(self, formula: Formula | None) -> Any | None:
        """The BDD of a condition within valid products (None: cannot be checked exactly)."""
        if formula is None:
            return self.compiled.root
        expr = inline(formula.expr, self.lets)
        if any(_base(name) not in self.features for name in _names(expr)):
            return None
        try:
            return self.compiled.root & self.builder.build(expr, formula.owner)
        except (CompileError, ModelError, KeyError, TypeError, ArithmeticError):
            return None

    def witness(self, u: Any) -> dict[str, object]:
        return self.compiled.encoding.decode(self.bdd.pick(u) or {})


def _names(expr: Expr) -> set[str]:
    return set(names(expr))


def _base(name: str) -> str:
    return name.split(".", 1)[0]


def check_exactly(model: EngineeringModel, compiled: CompiledModel | None = None
                  ) -> ExactReport:
    """Raise on a condition that can never hold or on two exclusive lines selectable together."""
    checker = _Checker(model, compiled or compile_problem(problem_of(model.product)))
    checked: list[str] = []
    skipped: list[str] = []
    for assembly in model.bom.assemblies.values():
        exact: dict[str, Any] = {}
        for line in assembly.lines:
            u = checker.condition(line.when)
            (checked if u is not None else skipped).append(f"line {line.id}")
            if u is None:
                continue
            if u == checker.bdd.false:
                raise _never(model.bom.file, line.line, f"line '{line.id}'")
            exact[line.id] = u
        _check_groups(model, checker, assembly.lines, exact)
    for op in model.routing.operations.values():
        u = checker.condition(op.when)
        (checked if u is not None else skipped).append(f"operation {op.id}")
        if u is not None and u == checker.bdd.false:
            raise _never(model.routing.file, op.line, f"operation '{op.id}'")
    return ExactReport(tuple(checked), tuple(skipped))


def _never(file: str, line: int, owner: str) -> EngineeringError:
    return EngineeringError(file, line, owner, "its condition can never hold in a valid "
                            "configuration of the product model")


def _check_groups(model: EngineeringModel, checker: _Checker, lines: tuple[BomLine, ...],
                  exact: Mapping[str, Any]) -> None:
    grouped = [line for line in lines if line.group is not None and line.id in exact]
    for i, first in enumerate(grouped):
        for second in grouped[i + 1:]:
            if first.group != second.group:
                continue
            both = exact[first.id] & exact[second.id]
            if both != checker.bdd.false:
                raise EngineeringError(
                    model.bom.file, second.line, f"line '{second.id}'",
                    f"can be selected together with '{first.id}' although both are in "
                    f"exclusive group '{first.group}', e.g. {checker.witness(both)}")
