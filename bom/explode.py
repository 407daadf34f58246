"""Explosion: a 150 % BOM and a configuration give the as-configured BOM tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bom.errors import EngineeringError
from bom.items import ItemMaster
from bom.model import Assembly, Bom, BomLine, Cut

QTY = Decimal("0.0001")
MM = Decimal("0.1")
MONEY = Decimal("0.01")
HUNDRED = Decimal(100)


def q(value: Decimal, quantum: Decimal = QTY) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CutPiece:
    pieces: int  # total pieces for the order
    length_mm: Decimal
    width_mm: Decimal | None
    grain: str | None
    edge_item: str | None
    edge_long: int
    edge_short: int
    edge_m: Decimal  # edge banding for all pieces, with scrap


@dataclass(frozen=True)
class ExplodedLine:
    """One node of the as-configured BOM.

    Phantoms are blown through: their lines sit directly under the parent, and `via` names the
    phantom reference lines they came through (also part of `path`).
    """

    line: str
    path: str
    item: str
    name: str
    unit: str
    level: int
    assembly: str | None
    per_parent: Decimal  # quantity per one parent
    quantity: Decimal  # net, for the whole order
    gross: Decimal  # with scrap and setup quantity
    cost: Decimal  # gross × unit cost (+ edge banding); assemblies: the roll-up
    cut: CutPiece | None
    via: tuple[str, ...]
    children: tuple[ExplodedLine, ...]

    def walk(self) -> list[ExplodedLine]:
        result = [self]
        for child in self.children:
            result.extend(child.walk())
        return result

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "line": self.line, "path": self.path, "item": self.item, "name": self.name,
            "unit": self.unit, "level": self.level, "per_parent": self.per_parent,
            "quantity": self.quantity, "gross": self.gross, "cost": self.cost,
            "via": list(self.via), "children": [c.as_dict() for c in self.children],
        }
        if self.cut is not None:
            data["cut"] = {
                "pieces": self.cut.pieces, "length_mm": self.cut.length_mm,
                "width_mm": self.cut.width_mm, "grain": self.cut.grain,
                "edge_item": self.cut.edge_item, "edge_long": self.cut.edge_long,
                "edge_short": self.cut.edge_short, "edge_m": self.cut.edge_m,
            }
        return data


def environment(bom: Bom, config_env: Mapping[str, object]) -> dict[str, object]:
    """The configuration's names plus the BOM's `let` names, in the order they are defined."""
    env = dict(config_env)
    for name, expr in bom.lets:
        env[name] = expr.value(env)
    return env


def explode(bom: Bom, items: ItemMaster, env: Mapping[str, object]) -> ExplodedLine:
    """The as-configured BOM tree for one unit of the product; `env` already has the lets."""
    root = bom.assemblies[bom.root]
    assert root.item is not None
    children = tuple(_expand(bom, items, root, Decimal(1), bom.root, 1, (), env, {}))
    cost = q(sum((c.cost for c in children), Decimal(0)), MONEY)
    item = items.items[root.item]
    one = Decimal(1)
    return ExplodedLine(bom.root, bom.root, root.item, item.name_en, "pcs", 0, bom.root, one, one,
                        one, cost, None, (), children)


def _expand(bom: Bom, items: ItemMaster, assembly: Assembly, multiplier: Decimal, path: str,
            level: int, via: tuple[str, ...], env: Mapping[str, object],
            memo: dict[str, bool]) -> list[ExplodedLine]:
    """`memo` keeps the conditions that read no sub-assembly parameter: they hold or not for
    the whole order, however often a shared kit is used."""
    result: list[ExplodedLine] = []
    for line in assembly.lines:
        if line.when is not None and not _selected(line, env, memo):
            continue
        if line.assembly is not None:
            sub = bom.assemblies[line.assembly]
            count = multiplier * _count(bom, line, env)
            inner = _bound(line, env)
            if sub.phantom:
                # The phantom's reference stays in the path, so paths are unique and a phantom
                # used twice under one parent keeps its lines apart.
                result.extend(_expand(bom, items, sub, count, f"{path}/{line.id}", level,
                                      (*via, line.id), inner, memo))
            else:
                result.append(_sub_assembly(bom, items, line, sub, count, multiplier, path,
                                            level, via, inner, memo))
        else:
            result.append(_component(bom, items, line, multiplier, path, level, via, env))
    return result


def _selected(line: BomLine, env: Mapping[str, object], memo: dict[str, bool]) -> bool:
    assert line.when is not None
    if not line.when_static:
        return line.when.truth(env)
    known = memo.get(line.id)
    if known is None:
        known = memo[line.id] = line.when.truth(env)
    return known


def _bound(line: BomLine, env: Mapping[str, object]) -> Mapping[str, object]:
    if not line.bind:
        return env
    inner = dict(env)
    for name, expr in line.bind:
        inner[name] = expr.value(env)
    return inner


def _count(bom: Bom, line: BomLine, env: Mapping[str, object]) -> Decimal:
    assert line.qty is not None
    count = _positive(bom, line, line.qty.number(env), "quantity", line.qty.line)
    if count != count.to_integral_value():
        raise EngineeringError(bom.file, line.line, f"line '{line.id}'",
                               f"a sub-assembly is counted in whole pieces, got {count}")
    return count


def _sub_assembly(bom: Bom, items: ItemMaster, line: BomLine, sub: Assembly, count: Decimal,
                  multiplier: Decimal, path: str, level: int, via: tuple[str, ...],
                  env: Mapping[str, object], memo: dict[str, bool]) -> ExplodedLine:
    here = f"{path}/{line.id}"
    children = tuple(_expand(bom, items, sub, count, here, level + 1, (), env, memo))
    assert sub.item is not None
    cost = q(sum((c.cost for c in children), Decimal(0)), MONEY)
    return ExplodedLine(line.id, here, sub.item, items.items[sub.item].name_en, "pcs", level,
                        sub.id, q(count / multiplier), q(count), q(count), cost, None, via,
                        children)


def _component(bom: Bom, items: ItemMaster, line: BomLine, multiplier: Decimal, path: str,
               level: int, via: tuple[str, ...], env: Mapping[str, object]) -> ExplodedLine:
    assert line.item is not None
    item = items.items[line.item]
    if line.cut is not None:
        per_parent, cut = _cut(bom, items, line, line.cut, multiplier, env)
    else:
        assert line.qty is not None
        quantity = line.qty.number(env)
        per_parent, cut = _positive(bom, line, quantity, "quantity", line.qty.line), None
    net = q(per_parent * multiplier)
    gross = q(net * (1 + line.scrap_pct / HUNDRED) + line.setup_qty)
    cost = gross * item.cost
    if cut is not None and cut.edge_item is not None:
        cost += cut.edge_m * items.items[cut.edge_item].cost
    return ExplodedLine(line.id, f"{path}/{line.id}", item.number, item.name_en, item.unit.value,
                        level, None, q(per_parent), net, gross, q(cost, MONEY), cut, via, ())


def _cut(bom: Bom, items: ItemMaster, line: BomLine, cut: Cut, multiplier: Decimal,
         env: Mapping[str, object]) -> tuple[Decimal, CutPiece]:
    pieces = _positive(bom, line, cut.pieces.number(env), "pieces", cut.pieces.line)
    if pieces != pieces.to_integral_value():
        raise EngineeringError(bom.file, cut.pieces.line, f"line '{line.id}'",
                               f"pieces must be whole, got {pieces}")
    length = q(_positive(bom, line, cut.length.number(env), "length", cut.length.line), MM)
    width = None
    if cut.width is not None:
        width = q(_positive(bom, line, cut.width.number(env), "width", cut.width.line), MM)
    per_piece = length / 1000 if width is None else length * width / 1_000_000
    edge_mm = cut.edge_long * length + cut.edge_short * (width or 0)
    total = pieces * multiplier
    edge_m = q(total * edge_mm / 1000 * (1 + line.scrap_pct / HUNDRED))
    piece = CutPiece(int(total), length, width, cut.grain, cut.edge_item, cut.edge_long,
                     cut.edge_short, edge_m)
    return pieces * per_piece, piece


def _positive(bom: Bom, line: BomLine, value: Decimal, what: str, at: int) -> Decimal:
    if value <= 0:
        raise EngineeringError(bom.file, at, f"line '{line.id}'",
                               f"{what} must be positive, is {value} (item "
                               f"{line.item or line.assembly})")
    return value
