"""DIMACS CNF feature models (``c <index> <name>`` lines) into boolean ProductModels."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal
from pathlib import Path

from configurator.errors import ModelError
from configurator.expressions import Expr, Logic, Ref, Unary
from configurator.model import Constraint, ConstraintKind, Feature, FeatureType, Label, ProductModel

_COMMENT = re.compile(r"c\s+(\d+)\s+(.*)")


def load_dimacs(path: str | Path) -> ProductModel:
    """Each variable becomes a boolean feature ``f<index>`` labelled with its feature name."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    names: dict[int, str] = {}
    clauses: list[tuple[int, list[int]]] = []
    declared = 0
    pending: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        declared = _line(line.strip(), number, str(path), names, clauses, pending, declared)
    if pending:
        raise ModelError("last clause is not terminated by 0", file=str(path))
    count = max([declared, *names, *(abs(x) for _, c in clauses for x in c)], default=0)
    features = tuple(
        Feature(f"f{i}", FeatureType.BOOLEAN, Label(names.get(i, f"f{i}")))
        for i in range(1, count + 1)
    )
    constraints = tuple(_clause(i, literals, names, line)
                        for i, (line, literals) in enumerate(clauses, start=1))
    return ProductModel(
        name=path.stem, version="dimacs", effective_from=datetime.date(1970, 1, 1),
        label=Label(path.stem), currency="CNY", base_price=Decimal(0), features=features,
        constraints=constraints, file=str(path),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _line(line: str, number: int, file: str, names: dict[int, str],
          clauses: list[tuple[int, list[int]]], pending: list[int], declared: int) -> int:
    if not line or line.startswith("%"):
        return declared
    if line.startswith("c"):
        match = _COMMENT.match(line)
        if match:
            names[int(match.group(1))] = match.group(2).strip()
        return declared
    if line.startswith("p"):
        parts = line.split()
        if len(parts) != 4 or parts[1] != "cnf":
            raise ModelError(f"bad problem line {line!r}", file=file, line=number, token=line)
        return int(parts[2])
    for token in line.split():
        try:
            literal = int(token)
        except ValueError:
            raise ModelError(f"not a literal: {token!r}", file=file, line=number,
                             token=token) from None
        if literal == 0:
            clauses.append((number, list(pending)))
            pending.clear()
        else:
            pending.append(literal)
    return declared


def _clause(index: int, literals: list[int], names: dict[int, str], line: int) -> Constraint:
    parts: list[Expr] = [Ref(f"f{abs(x)}") if x > 0 else Unary("not", Ref(f"f{abs(x)}"))
                         for x in literals]
    text = " or ".join(("" if x > 0 else "not ") + names.get(abs(x), f"f{abs(x)}")
                       for x in literals)
    return Constraint(f"clause{index}", ConstraintKind.RULE, Logic("or", tuple(parts)),
                      Label(text or "false", text or "false"), line=line)
