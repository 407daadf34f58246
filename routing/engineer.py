"""Order engineering: a product model and a configuration give the as-configured BOM and
routing, as plain data and as canonical JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bom.compiled import Compiled, compile_expr
from bom.errors import EngineeringError
from bom.explode import ExplodedLine, environment, explode
from bom.items import ItemMaster, load_items
from bom.model import Bom, load_bom
from bom.requirements import (
    CutListRow,
    PartTotal,
    Requirement,
    cost_summary,
    cut_list,
    part_totals,
    requirements,
)
from configurator.loading import load_model
from configurator.model import Feature, FeatureType, ProductModel
from routing.export import routing_dict, rows
from routing.factory import Factory, load_factory
from routing.model import SuperRouting, load_routing
from routing.order import OrderRouting, route


@dataclass(frozen=True)
class EngineeringModel:
    """Everything needed to engineer orders of one product model version."""

    product: ProductModel
    items: ItemMaster
    factory: Factory
    bom: Bom
    routing: SuperRouting
    known: frozenset[str] = field(repr=False)
    rules: tuple[tuple[str, str, Compiled], ...] = field(repr=False, default=())


@dataclass(frozen=True)
class EngineeredOrder:
    model: str
    version: str
    choices: dict[str, object]
    tree: ExplodedLine
    requirements: tuple[Requirement, ...]
    totals: tuple[PartTotal, ...]
    cut_list: tuple[CutListRow, ...]
    costs: dict[str, Decimal]
    routing: OrderRouting


def configuration_names(product: ProductModel) -> frozenset[str]:
    """The names a BOM or routing expression may read from the configuration."""
    known = set(product.feature_names)
    for feature in product.features:
        known |= {f"{feature.name}.{attr}" for attr in feature.attribute_names()}
    return frozenset(known)


def load_engineering(product_dir: Path | str, root: Path | str | None = None) -> EngineeringModel:
    """Load model.yaml, bom.yaml and routing.yaml of a product plus the shared items.yaml and
    factory.yaml (in `root`, default: the product folder's parent). Checks everything that can
    be checked without configurations; see `routing.validate` for the sampled checks."""
    folder = Path(product_dir)
    shared = Path(root) if root is not None else folder.parent
    product = load_model(folder / "model.yaml")
    items = load_items(shared / "items.yaml", _display(shared / "items.yaml"))
    factory = load_factory(shared / "factory.yaml", _display(shared / "factory.yaml"))
    known = configuration_names(product)
    bom = load_bom(folder / "bom.yaml", items, known, _display(folder / "bom.yaml"))
    routing = load_routing(folder / "routing.yaml", bom, factory, known,
                           _display(folder / "routing.yaml"))
    for file, name in ((bom.file, bom.model), (routing.file, routing.model)):
        if name != product.name:
            raise EngineeringError(file, 1, "model", f"is '{name}' but model.yaml is "
                                   f"'{product.name}'")
    rules = tuple((c.id, c.message.en, compile_expr(c.formula)) for c in product.constraints)
    return EngineeringModel(product, items, factory, bom, routing, known, rules)


def _display(path: Path) -> str:
    """Paths in errors relative to the working directory when possible, like the configurator."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_configuration(product: ProductModel, values: Mapping[str, object],
                        rules: tuple[tuple[str, str, Compiled], ...] | None = None) -> None:
    """Engineering needs a complete, valid configuration; say which feature or rule fails."""
    for feature in product.features:
        if feature.name not in values:
            raise EngineeringError("<choices>", 0, feature.name, "no value chosen")
        if not _in_domain(feature, values[feature.name]):
            raise EngineeringError("<choices>", 0, feature.name,
                                   f"{values[feature.name]!r} is not a value of this feature")
    unknown = sorted(set(values) - set(product.feature_names))
    if unknown:
        raise EngineeringError("<choices>", 0, unknown[0], "unknown feature")
    env = product.environment(values)
    if rules is None:
        rules = tuple((c.id, c.message.en, compile_expr(c.formula)) for c in product.constraints)
    for rule_id, message, holds in rules:
        if holds(env) is not True:
            raise EngineeringError("<choices>", 0, rule_id,
                                   f"configuration breaks rule: {message}")


def _in_domain(feature: Feature, value: object) -> bool:
    if feature.type is FeatureType.INTEGER:  # no tuple(range(...)) per order
        return (type(value) is int and feature.minimum <= value <= feature.maximum
                and (value - feature.minimum) % feature.step == 0)
    if feature.type is FeatureType.BOOLEAN:
        return isinstance(value, bool)
    return not isinstance(value, bool) and value in feature.domain


def engineer(model: EngineeringModel, values: Mapping[str, object],
             *, check: bool = True) -> EngineeredOrder:
    """The as-configured BOM and routing of one unit of `values`."""
    if check:
        check_configuration(model.product, values, model.rules)
    env = environment(model.bom, model.product.environment(values))
    tree = explode(model.bom, model.items, env)
    order_routing = route(model.routing, model.bom, model.factory, tree, env)
    consumer = order_routing.consumer()
    reqs = requirements(tree, consumer)
    totals = part_totals(reqs, model.items)
    costs = cost_summary(tree, totals, model.items)
    costs["labour"] = labour_cost(model.factory, order_routing)
    return EngineeredOrder(model.product.name, model.product.version,
                           {name: values[name] for name in model.product.feature_names},
                           tree, tuple(reqs), tuple(totals),
                           tuple(cut_list(tree, model.items, consumer)), costs, order_routing)


def labour_cost(factory: Factory, order_routing: OrderRouting) -> Decimal:
    """Machine-hour cost of the operations on their fastest machines."""
    total = Decimal(0)
    for op in order_routing.operations:
        fastest = op.fastest
        rate = factory.work_centres[fastest.work_centre].cost_per_hour
        total += fastest.minutes * rate / 60
    return total.quantize(Decimal("0.01"))


def as_dict(order: EngineeredOrder) -> dict[str, Any]:
    """Plain data for JSON: the BOM tree, flat requirements, cut list, cost and routing."""
    return {
        "model": order.model,
        "version": order.version,
        "choices": order.choices,
        "bom": order.tree.as_dict(),
        "requirements": rows(order.requirements),
        "parts": rows(order.totals),
        "cut_list": rows(order.cut_list),
        "cost": {**order.costs, "total": order.costs["material_consumed"] + order.costs["labour"]},
        "routing": routing_dict(order.routing),
    }


def to_canonical_json(data: object) -> str:
    """Sorted keys, no spaces, Decimals as strings: byte-identical for identical inputs."""
    if isinstance(data, EngineeredOrder):
        data = as_dict(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_encode)


def _encode(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | frozenset | set):
        return sorted(value) if not isinstance(value, tuple) else list(value)
    raise TypeError(f"cannot encode {type(value).__name__} in canonical JSON")
