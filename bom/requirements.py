"""Flat material requirements, pack rounding, the cut list and the cost roll-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from bom.explode import MONEY, ExplodedLine, q
from bom.items import ItemKind, ItemMaster


@dataclass(frozen=True)
class Requirement:
    """Gross quantity of one item consumed by one operation (None: not consumed)."""

    item: str
    operation: str | None
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class PartTotal:
    item: str
    name: str
    unit: str
    gross: Decimal
    pack: Decimal
    order_qty: Decimal  # gross rounded up to the pack multiple
    unit_cost: Decimal
    cost: Decimal  # order_qty × unit cost


@dataclass(frozen=True)
class CutListRow:
    line: str
    path: str
    material: str
    thickness_mm: Decimal | None
    colour: str | None
    pieces: int
    length_mm: Decimal
    width_mm: Decimal | None
    grain: str | None
    edge_item: str | None
    edge_long: int
    edge_short: int
    operation: str | None


def _leaves(tree: ExplodedLine) -> list[ExplodedLine]:
    return [node for node in tree.walk() if node.assembly is None]


def requirements(tree: ExplodedLine, consumer: Mapping[str, str] | None = None
                 ) -> list[Requirement]:
    """Purchased and material needs aggregated by item and consuming operation."""
    consumer = consumer or {}
    totals: dict[tuple[str, str | None], tuple[Decimal, str]] = {}

    def add(item: str, key: str, quantity: Decimal, unit: str) -> None:
        slot = (item, consumer.get(key))
        before = totals.get(slot, (Decimal(0), unit))[0]
        totals[slot] = (before + quantity, unit)

    for leaf in _leaves(tree):
        add(leaf.item, leaf.line, leaf.gross, leaf.unit)
        if leaf.cut is not None and leaf.cut.edge_item is not None:
            add(leaf.cut.edge_item, f"{leaf.line}.edge", leaf.cut.edge_m, "m")
    return [Requirement(item, op, q(qty), unit)
            for (item, op), (qty, unit) in sorted(totals.items(), key=lambda kv: (
                kv[0][0], kv[0][1] or ""))]


def part_totals(reqs: list[Requirement], items: ItemMaster) -> list[PartTotal]:
    """Per item: gross need, rounded up to the pack multiple, and what buying it costs."""
    gross: dict[str, Decimal] = {}
    for req in reqs:
        gross[req.item] = gross.get(req.item, Decimal(0)) + req.quantity
    result = []
    for number in sorted(gross):
        item = items.items[number]
        need = gross[number]
        order = need
        if item.pack > 0:
            order = (need / item.pack).to_integral_value(rounding=ROUND_CEILING) * item.pack
        result.append(PartTotal(number, item.name_en, item.unit.value, q(need), item.pack,
                                q(order), item.cost, q(order * item.cost, MONEY)))
    return result


def cut_list(tree: ExplodedLine, items: ItemMaster, consumer: Mapping[str, str] | None = None
             ) -> list[CutListRow]:
    """Panels, fabric and bars to cut, in BOM order."""
    consumer = consumer or {}
    rows = []
    for leaf in _leaves(tree):
        if leaf.cut is None:
            continue
        material = items.items[leaf.item]
        rows.append(CutListRow(leaf.line, leaf.path, leaf.item, material.thickness_mm,
                               material.colour, leaf.cut.pieces, leaf.cut.length_mm,
                               leaf.cut.width_mm, leaf.cut.grain if material.grain else None,
                               leaf.cut.edge_item, leaf.cut.edge_long, leaf.cut.edge_short,
                               consumer.get(leaf.line)))
    return rows


def cost_summary(tree: ExplodedLine, totals: list[PartTotal], items: ItemMaster
                 ) -> dict[str, Decimal]:
    """Material cost as consumed (the roll-up), as bought (pack-rounded), and by item kind."""
    by_kind = {kind.value: Decimal(0) for kind in ItemKind if kind is not ItemKind.ASSEMBLY}
    for total in totals:
        by_kind[items.items[total.item].kind.value] += total.cost
    return {
        "material_consumed": tree.cost,
        "material_bought": q(sum((t.cost for t in totals), Decimal(0)), MONEY),
        **{f"bought_{kind}": q(value, MONEY) for kind, value in by_kind.items()},
    }
