"""The solver-facing form of a model: finite domains plus constraints (from any source)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from configurator.expressions import Expr, features, to_text
from configurator.folding import Attributes
from configurator.model import ConstraintKind, FeatureType, Label, ProductModel


@dataclass(frozen=True)
class ConstraintSpec:
    """One constraint: a boolean expression, or a table of value indices (allowed/forbidden)."""

    id: str
    scope: tuple[str, ...]
    message: Label
    formula: Expr | None = None
    rows: tuple[tuple[int, ...], ...] | None = None
    forbidden: bool = False  # rows are the conflicts instead of the supports


@dataclass(frozen=True)
class Problem:
    name: str
    domains: tuple[tuple[str, tuple[object, ...]], ...]
    constraints: tuple[ConstraintSpec, ...]
    attributes: Attributes = field(default_factory=dict)
    fingerprint: str = ""

    def constraint(self, cid: str) -> ConstraintSpec:
        for spec in self.constraints:
            if spec.id == cid:
                return spec
        raise KeyError(cid)


def problem_of(model: ProductModel) -> Problem:
    domains = tuple((f.name, f.domain) for f in model.features)
    positions = {f.name: {v: i for i, v in enumerate(f.domain)} for f in model.features}
    specs = []
    for constraint in model.constraints:
        if constraint.kind is ConstraintKind.TABLE:
            rows = tuple(tuple(positions[c][v] for c, v in zip(constraint.columns, row,
                                                                 strict=True))
                         for row in constraint.rows)
            specs.append(ConstraintSpec(constraint.id, constraint.columns, constraint.message,
                                        rows=rows, forbidden=constraint.forbidden))
        else:
            scope = tuple(sorted(features(constraint.formula)))
            specs.append(ConstraintSpec(constraint.id, scope, constraint.message,
                                        formula=constraint.formula))
    attributes: Attributes = {
        f.name: {o.code: dict(o.attributes) for o in f.options}
        for f in model.features if f.type is FeatureType.CHOICE
    }
    fingerprint = _fingerprint(domains, specs, repr(sorted(attributes.items())))
    return Problem(model.name, domains, tuple(specs), attributes, fingerprint)


def _fingerprint(domains: tuple[tuple[str, tuple[object, ...]], ...],
                 specs: list[ConstraintSpec], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for name, values in domains:
        digest.update(repr((name, values)).encode())
    for spec in specs:
        body = to_text(spec.formula) if spec.formula is not None else repr(spec.rows)
        digest.update(repr((spec.id, spec.scope, spec.forbidden, body)).encode())
    return digest.hexdigest()
