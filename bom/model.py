"""The 150 % BOM of a product model: assemblies, lines, conditions and parametric cuts."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from bom.errors import EngineeringError
from bom.formula import Formula, formula
from bom.items import ItemKind, ItemMaster, Unit
from bom.source import Node, as_decimal, check_keys, items_of, optional, read_yaml, require

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
GRAIN = ("length", "width")


@dataclass(frozen=True)
class Cut:
    """A cut piece: `pieces` of `length` × `width` mm (no width: a bar cut to length)."""

    pieces: Formula
    length: Formula
    width: Formula | None
    grain: str | None  # which side runs along the grain; None where it does not matter
    edge_item: str | None
    edge_long: int  # how many long sides get edge banding
    edge_short: int


@dataclass(frozen=True)
class BomLine:
    id: str
    line: int  # line in bom.yaml
    item: str | None  # component item number; None for a sub-assembly reference
    assembly: str | None  # referenced sub-assembly id
    qty: Formula | None  # per parent, in the item's unit; None for cut lines
    cut: Cut | None
    when: Formula | None
    group: str | None  # at most one line of a group may be selected
    scrap_pct: Decimal
    setup_qty: Decimal  # added once per order, e.g. the first test piece
    bind: tuple[tuple[str, Formula], ...] = ()  # sub-assembly parameters (`with:`)
    when_static: bool = True  # the condition reads no parameter: one value per order


@dataclass(frozen=True)
class Assembly:
    id: str
    line: int
    item: str | None  # the made item; phantoms have none and are blown through
    phantom: bool
    lines: tuple[BomLine, ...]
    params: tuple[str, ...] = ()  # names each reference binds with `with:`


@dataclass(frozen=True)
class Bom:
    file: str
    model: str
    lets: tuple[tuple[str, Formula], ...]  # derived names, evaluated in order
    root: str
    assemblies: dict[str, Assembly]

    def lines(self) -> list[BomLine]:
        return [line for a in self.assemblies.values() for line in a.lines]

    def consumables(self) -> dict[str, BomLine]:
        """What operations consume: every line except phantom references, plus `X.edge`."""
        result: dict[str, BomLine] = {}
        for line in self.lines():
            if line.assembly is None or not self.assemblies[line.assembly].phantom:
                result[line.id] = line
            if line.cut is not None and line.cut.edge_item is not None:
                result[f"{line.id}.edge"] = line
        return result


_LINE_FIELDS = {"id", "item", "assembly", "qty", "unit", "cut", "when", "group", "scrap",
                "setup_qty", "with"}
_CUT_FIELDS = {"pieces", "length", "width", "grain", "edge", "edge_long", "edge_short"}


def load_bom(
    path: Path, items: ItemMaster, known: Collection[str], display: str | None = None
) -> Bom:
    """Load a `bom.yaml`; `known` are the configuration names (features, `feature.attr`)."""
    root = read_yaml(path, display)
    check_keys(root, {"model", "let", "root", "assemblies"}, "bom.yaml")
    lets = _lets(root, set(known))
    names = set(known) | {name for name, _ in lets}
    assemblies: dict[str, Assembly] = {}
    line_ids: set[str] = set()
    for node in items_of(root, "assemblies"):
        assembly = _assembly(node, items, names, line_ids)
        if assembly.id in assemblies:
            raise node.error("id", f"assembly '{assembly.id}' is defined twice")
        assemblies[assembly.id] = assembly
    bom = Bom(root.file, require(root, "model", str), lets, require(root, "root", str), assemblies)
    if bom.root not in assemblies:
        raise root.error("root", f"unknown root assembly '{bom.root}'")
    if assemblies[bom.root].phantom:
        raise root.error("root", "the root assembly cannot be a phantom")
    _check_references(bom)
    return bom


def _lets(root: Node, known: set[str]) -> tuple[tuple[str, Formula], ...]:
    block = optional(root, "let", Node, None)
    if block is None:
        return ()
    result = []
    for name in block:
        if not IDENT.match(name) or name in known:
            raise block.error(name, f"'{name}' is not a new identifier")
        expr = formula(block, name, f"let '{name}'")
        assert expr is not None
        expr.check_names(known)
        known.add(name)
        result.append((name, expr))
    return tuple(result)


def _ident(node: Node, what: str) -> str:
    value = str(require(node, "id", str))
    if not IDENT.match(value):
        raise node.error("id", f"{what} id '{value}' must match [a-z][a-z0-9_]*")
    return value


def _assembly(node: Node, items: ItemMaster, names: set[str], line_ids: set[str]) -> Assembly:
    check_keys(node, {"id", "item", "phantom", "params", "lines"}, "an assembly")
    assembly_id = _ident(node, "assembly")
    params = tuple(str(p) for p in optional(node, "params", list, []))
    for param in params:
        if not IDENT.match(param) or param in names:
            raise node.error("params", f"parameter '{param}' is not a new identifier")
    phantom = bool(optional(node, "phantom", bool, False))
    item = optional(node, "item", str, None)
    if item is None and not phantom:
        raise node.error(None, f"assembly '{assembly_id}' needs an 'item' (or phantom: true)")
    if item is not None:
        known = items.get(item)
        if known is None:
            raise node.error("item", f"assembly '{assembly_id}': unknown item '{item}'")
        if known.kind is not ItemKind.ASSEMBLY or known.unit is not Unit.PCS:
            raise node.error("item", f"assembly '{assembly_id}': item '{item}' must be an "
                             "assembly counted in pcs")
    lines = []
    for entry in items_of(node, "lines"):
        line = _line(entry, items, names, set(params))
        if line.id in line_ids:
            raise entry.error("id", f"line '{line.id}' is defined twice (line ids are global)")
        line_ids.add(line.id)
        lines.append(line)
    if not lines:
        raise node.error("lines", f"assembly '{assembly_id}' has no lines")
    return Assembly(assembly_id, node.line, item, phantom, tuple(lines), params)


def _line(node: Node, items: ItemMaster, names: set[str], params: set[str]) -> BomLine:
    check_keys(node, _LINE_FIELDS, "a BOM line")
    line_id = _ident(node, "line")
    owner = f"line '{line_id}'"
    try:
        line = _build_line(node, line_id, owner, items, names | params)
    except EngineeringError as error:
        if error.field and error.field.startswith("line '"):
            raise
        raise EngineeringError(error.file, error.line or node.line, owner, error.detail) from None
    if line.when is not None and line.when.names() & params:
        line = replace(line, when_static=False)
    return line


def _build_line(node: Node, line_id: str, owner: str, items: ItemMaster,
                names: set[str]) -> BomLine:
    item = optional(node, "item", str, None)
    assembly = optional(node, "assembly", str, None)
    if (item is None) == (assembly is None):
        raise node.error(None, "give exactly one of 'item' and 'assembly'")
    cut = _cut(require(node, "cut", Node), items) if "cut" in node else None
    if cut is not None and "qty" in node:
        raise node.error("qty", "a cut line takes its quantity from the cut, not 'qty'")
    qty = None if cut else formula(node, "qty", owner, default="1")
    _check_unit(node, item, assembly, cut, items)
    scrap, setup = as_decimal(node, "scrap", Decimal(0)), as_decimal(node, "setup_qty", Decimal(0))
    if not Decimal(0) <= scrap < Decimal(100):
        raise node.error("scrap", "scrap must be a percentage in [0, 100)")
    if setup < 0:
        raise node.error("setup_qty", "setup quantity must not be negative")
    line = BomLine(line_id, node.line, item, assembly, qty, cut, formula(node, "when", owner),
                   optional(node, "group", str, None), scrap, setup, _bind(node, owner))
    _check_formulas(node, line, names)
    return line


def _bind(node: Node, owner: str) -> tuple[tuple[str, Formula], ...]:
    block = optional(node, "with", Node, None)
    if block is None:
        return ()
    if "assembly" not in node:
        raise node.error("with", "'with' binds sub-assembly parameters; this line has no assembly")
    result = []
    for name in block:
        expr = formula(block, name, owner)
        assert expr is not None
        result.append((name, expr))
    return tuple(result)


def _check_unit(node: Node, item: str | None, assembly: str | None, cut: Cut | None,
                items: ItemMaster) -> None:
    if item is None:
        declared = Unit.parse(node, "unit") if "unit" in node else Unit.PCS
        if declared is not Unit.PCS:
            raise node.error("unit", f"unit mismatch: sub-assembly '{assembly}' is counted in pcs")
        return
    known = items.get(item)
    if known is None:
        raise node.error("item", f"unknown item '{item}'")
    if cut is not None:
        needed = Unit.M2 if cut.width is not None else Unit.M
        if known.unit is not needed:
            raise node.error("cut", f"unit mismatch: the cut gives {needed.value} but item "
                             f"'{item}' is kept in {known.unit.value}")
    if "unit" in node and Unit.parse(node, "unit") is not known.unit:
        raise node.error("unit", f"unit mismatch: line says {node['unit']} but item '{item}' is "
                         f"kept in {known.unit.value}")


def _check_formulas(node: Node, line: BomLine, names: set[str]) -> None:
    parts = [line.qty, line.when, *(expr for _, expr in line.bind)]
    if line.cut is not None:
        parts += [line.cut.pieces, line.cut.length, line.cut.width]
    for part in parts:
        if part is not None:
            part.check_names(names)
    if line.qty is not None and not line.qty.names():
        constant = line.qty.number({})
        if constant <= 0:
            raise node.error("qty", f"quantity must be positive, is {constant}")


def _cut(node: Node, items: ItemMaster) -> Cut:
    check_keys(node, _CUT_FIELDS, "a cut")
    owner = "cut"
    grain = optional(node, "grain", str, None)
    if grain is not None and grain not in GRAIN:
        raise node.error("grain", "grain must be 'length' or 'width'")
    edge = optional(node, "edge", str, None)
    if edge is not None:
        edge_item = items.get(edge)
        if edge_item is None:
            raise node.error("edge", f"unknown edge banding item '{edge}'")
        if edge_item.unit is not Unit.M:
            raise node.error("edge", f"unit mismatch: edge banding '{edge}' must be kept in m, "
                             f"is {edge_item.unit.value}")
    long_sides, short_sides = (int(optional(node, k, int, 0)) for k in ("edge_long", "edge_short"))
    if not (0 <= long_sides <= 2 and 0 <= short_sides <= 2):
        raise node.error("edge_long", "edge_long and edge_short count sides: 0, 1 or 2")
    if edge is None and (long_sides or short_sides):
        raise node.error("edge", "edge sides given without an 'edge' item")
    pieces, length = formula(node, "pieces", owner, "1"), formula(node, "length", owner)
    if length is None:
        raise node.error(None, "a cut needs a 'length' (mm)")
    assert pieces is not None
    return Cut(pieces, length, formula(node, "width", owner), grain, edge, long_sides, short_sides)


def _check_references(bom: Bom) -> None:
    """Sub-assembly references exist, and no assembly contains itself (full path reported)."""
    for assembly in bom.assemblies.values():
        for line in assembly.lines:
            if line.assembly is None:
                continue
            if line.assembly not in bom.assemblies:
                raise EngineeringError(bom.file, line.line, f"line '{line.id}'",
                                       f"unknown assembly '{line.assembly}'")
            wanted = set(bom.assemblies[line.assembly].params)
            given = {name for name, _ in line.bind}
            if wanted != given:
                missing = sorted(wanted - given) or sorted(given - wanted)
                raise EngineeringError(bom.file, line.line, f"line '{line.id}'",
                                       f"'with' must bind exactly the parameters of "
                                       f"'{line.assembly}' ({', '.join(sorted(wanted))}); "
                                       f"check '{missing[0]}'")
    done: set[str] = set()
    for start in sorted(bom.assemblies):
        _visit(bom, start, [], done)


def _visit(bom: Bom, assembly_id: str, path: list[tuple[str, BomLine | None]],
           done: set[str]) -> None:
    ids = [entry for entry, _ in path]
    if assembly_id in ids:
        cycle = ids[ids.index(assembly_id):] + [assembly_id]
        last = path[-1][1]
        assert last is not None
        raise EngineeringError(bom.file, last.line, f"line '{last.id}'",
                               "BOM cycle: " + " -> ".join(cycle))
    if assembly_id in done:
        return
    for line in bom.assemblies[assembly_id].lines:
        if line.assembly is not None:
            _visit(bom, line.assembly, [*path, (assembly_id, line)], done)
    done.add(assembly_id)
