"""The item master: parts, materials and purchased components with units and costs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path

from bom.errors import EngineeringError
from bom.source import Node, as_decimal, check_keys, items_of, optional, read_yaml, require

ITEM_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


class Unit(Enum):
    PCS = "pcs"
    M = "m"
    M2 = "m2"
    KG = "kg"

    @classmethod
    def parse(cls, node: Node, key: str) -> Unit:
        text = str(require(node, key, str)).replace("²", "2")
        try:
            return cls(text)
        except ValueError:
            raise node.error(key, f"unknown unit '{text}' (use pcs, m, m2 or kg)") from None


class ItemKind(Enum):
    MATERIAL = "material"  # bought by quantity and cut or consumed (board, fabric, foam)
    PURCHASED = "purchased"  # bought complete (hinge, motor, screw)
    ASSEMBLY = "assembly"  # made here from a BOM


@dataclass(frozen=True)
class Item:
    number: str
    name_en: str
    name_zh: str
    kind: ItemKind
    unit: Unit
    cost: Decimal  # CNY per unit; for assemblies the roll-up replaces it
    pack: Decimal  # purchase multiple in `unit`; requirements round up to it
    thickness_mm: Decimal | None  # boards: what the cut list and the saw need
    grain: bool  # the cut list must keep the grain direction
    colour: str | None  # setup family value for boards and fabrics


@dataclass(frozen=True)
class ItemMaster:
    file: str
    items: dict[str, Item]

    def get(self, number: str) -> Item | None:
        return self.items.get(number)


_ITEM_FIELDS = {"number", "name", "kind", "unit", "cost", "pack", "thickness", "grain", "colour"}


def load_items(path: Path, display: str | None = None) -> ItemMaster:
    """Load `items.yaml`; any bad entry raises `EngineeringError` naming file, line and item."""
    root = read_yaml(path, display)
    items: dict[str, Item] = {}
    for node in items_of(root, "items"):
        item = _item(node)
        if item.number in items:
            raise node.error("number", f"item '{item.number}' is defined twice")
        items[item.number] = item
    if not items:
        raise root.error(None, "no items defined under 'items'")
    return ItemMaster(root.file, items)


def _item(node: Node) -> Item:
    check_keys(node, _ITEM_FIELDS, "an item")
    number = require(node, "number", str)
    if not ITEM_NUMBER.match(number):
        raise node.error("number", f"item number '{number}' must be upper-case A-Z, 0-9 and '-'")
    try:
        return _build_item(node, number)
    except EngineeringError as error:
        raise EngineeringError(error.file, error.line or node.line, f"item {number}",
                               error.detail) from None


def _build_item(node: Node, number: str) -> Item:
    kind_text = require(node, "kind", str)
    try:
        kind = ItemKind(kind_text)
    except ValueError:
        raise node.error("kind", f"unknown kind '{kind_text}'") from None
    en, zh = _names(node)
    cost = as_decimal(node, "cost", Decimal(0))
    pack = as_decimal(node, "pack", Decimal(0))
    if cost < 0:
        raise node.error("cost", "cost must not be negative")
    if pack < 0:
        raise node.error("pack", "pack multiple must not be negative")
    thickness = as_decimal(node, "thickness") if "thickness" in node else None
    return Item(number, en, zh, kind, Unit.parse(node, "unit"), cost, pack, thickness,
                bool(optional(node, "grain", bool, False)), optional(node, "colour", str, None))


def _names(node: Node) -> tuple[str, str]:
    name = require(node, "name", (str, Node))
    if isinstance(name, str):
        return name, name
    return str(require(name, "en", str)), str(name.get("zh", name["en"]))
