"""Expressions in BOM and routing files, bound to the place they were written."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from bom.compiled import Compiled, compile_expr
from bom.errors import EngineeringError
from bom.source import Node
from configurator.expressions import Expr, ExpressionError, names, parse


@dataclass(frozen=True)
class Formula:
    """A parsed expression with the file, line and item it came from, for error messages."""

    text: str
    expr: Expr = field(compare=False)
    file: str
    line: int
    owner: str  # e.g. "line 'side_panel'" or "operation 'cut'"
    run: Compiled = field(compare=False, repr=False, default=None)  # type: ignore[assignment]

    constant: Decimal | None = field(compare=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.run is None:
            object.__setattr__(self, "run", compile_expr(self.expr))
        if not names(self.expr):  # a constant number is evaluated once, here
            try:
                value = self.run({})
            except ExpressionError:
                return
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                object.__setattr__(self, "constant", Decimal(value))

    def names(self) -> frozenset[str]:
        return names(self.expr)

    def fail(self, message: str) -> EngineeringError:
        return EngineeringError(self.file, self.line, self.owner, message)

    def value(self, env: Mapping[str, object]) -> object:
        try:
            return self.run(env)
        except ExpressionError as error:
            raise self.fail(f"{error.message} in {self.text!r}") from None

    def number(self, env: Mapping[str, object]) -> Decimal:
        if self.constant is not None:
            return self.constant
        result = self.value(env)
        if isinstance(result, bool) or not isinstance(result, int | Decimal):
            raise self.fail(f"{self.text!r} must give a number, gave {result!r}")
        return Decimal(result)

    def truth(self, env: Mapping[str, object]) -> bool:
        result = self.value(env)
        if not isinstance(result, bool):
            raise self.fail(f"{self.text!r} must give true or false, gave {result!r}")
        return result

    def check_names(self, known: Collection[str]) -> None:
        unknown = sorted(n for n in self.names() if n not in known)
        if unknown:
            raise self.fail(f"unknown name '{unknown[0]}' in {self.text!r}")


def formula(node: Node, key: str, owner: str, default: str | None = None) -> Formula | None:
    """Parse `node[key]` (text or a number) as an expression; None when absent and no default."""
    if key not in node or node[key] is None:
        if default is None:
            return None
        text = default
    else:
        raw = node[key]
        if isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, int | Decimal | str):
            text = str(raw)
        else:
            raise node.error(key, f"{owner}: '{key}' must be an expression or a number")
    line = node.line_of(key)
    try:
        expr = parse(text, file=node.file, line=line)
    except ExpressionError as error:
        raise EngineeringError(node.file, line, owner, f"{key}: {error.message}") from None
    return Formula(text, expr, node.file, line, owner)
