"""XCSP 2.1 (extensional constraints) into a ProductModel of choice features and tables."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from configurator.errors import ModelError
from configurator.expressions import Const
from configurator.model import (
    Constraint,
    ConstraintKind,
    Feature,
    FeatureType,
    Label,
    Option,
    ProductModel,
)


def load_xcsp(path: str | Path, value_names: str | Path | None = None) -> ProductModel:
    """Load an XCSP 2.1 instance; ``value_names`` lines ``VarN: NAME0 NAME1 ...`` name values."""
    path = Path(path)
    data = path.read_bytes()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ModelError(f"XML: {error}", file=str(path), line=error.position[0]) from None
    names = _value_names(Path(value_names)) if value_names else {}
    domains = {d.get("name", ""): _domain(d.text or "", str(path)) for d in root.iter("domain")}
    features = tuple(
        _feature(v.get("name", ""), domains[v.get("domain", "")], names)
        for v in root.iter("variable")
    )
    relations = {r.get("name", ""): r for r in root.iter("relation")}
    by_var = {f.label.en: f for f in features}
    constraints = tuple(_constraint(c, relations, by_var, str(path), path.stem)
                        for c in root.iter("constraint"))
    digest = hashlib.sha256(data)
    if value_names:
        digest.update(Path(value_names).read_bytes())
    return ProductModel(
        name=path.stem, version="xcsp", effective_from=datetime.date(1970, 1, 1),
        label=Label(path.stem, path.stem), currency="CNY", base_price=Decimal(0),
        features=features, constraints=constraints, file=str(path),
        content_hash=digest.hexdigest(),
    )


def _value_names(path: Path) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            key, _, rest = line.partition(":")
            names[key.strip()] = rest.split()
    return names


def _domain(text: str, file: str) -> list[int]:
    values: list[int] = []
    for part in text.split():
        low, _, high = part.partition("..")
        try:
            values.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            raise ModelError(f"bad domain value {part!r}", file=file, token=part) from None
    return values


def _feature(name: str, values: list[int], names: dict[str, list[str]]) -> Feature:
    labels = names.get(f"Var{name}")
    if labels is not None and len(labels) != len(values):
        labels = None  # names that do not fit are ignored rather than mislabel values
    options = tuple(
        Option(code=labels[i] if labels else str(value), label=Label(labels[i] if labels
               else str(value)))
        for i, value in enumerate(values)
    )
    return Feature(f"Var{name}", FeatureType.CHOICE, Label(name, name), options=options)


def _constraint(element: ElementTree.Element, relations: dict[str, ElementTree.Element],
                features: dict[str, Feature], file: str, model: str) -> Constraint:
    cid = element.get("name", "")
    relation = relations.get(element.get("reference", ""))
    if relation is None:
        raise ModelError(f"constraint {cid}: unknown relation", file=file, token=cid)
    scope = [features[name] for name in (element.get("scope") or "").split()]
    rows = []
    for text in (relation.text or "").split("|"):
        if text.strip():
            indices = [int(x) for x in text.split()]
            rows.append(tuple(f.options[i].code for f, i in zip(scope, indices, strict=True)))
    forbidden = relation.get("semantics") == "conflicts"
    message = Label(f"{model} rule {cid} ({'forbidden' if forbidden else 'allowed'} "
                    f"combinations of {', '.join(f.name for f in scope)})")
    # Tables this large keep their meaning in ``rows`` only (see Constraint.holds).
    return Constraint(cid, ConstraintKind.TABLE, Const(True), message,
                      columns=tuple(f.name for f in scope), rows=tuple(rows),
                      forbidden=forbidden)
