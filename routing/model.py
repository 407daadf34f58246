"""The super-routing of a product model: operations, conditions, times, machines, precedence."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import networkx as nx

from bom.errors import EngineeringError
from bom.formula import Formula, formula
from bom.model import Bom
from bom.source import Node, check_keys, items_of, optional, read_yaml, require
from routing.factory import Factory

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

# Names a time formula may use besides the configuration and the BOM's `let` names; they
# measure what the operation consumes in this order.
METRICS = ("pieces", "area_m2", "length_m", "edge_m", "qty", "lines")


@dataclass(frozen=True)
class MachineTimes:
    """Machine-specific times replacing the operation's (no speed factor applied)."""

    machine: str
    setup: Formula | None
    run: Formula | None


@dataclass(frozen=True)
class Operation:
    id: str
    line: int
    name_en: str
    name_zh: str
    capability: str
    when: Formula | None
    consumes: tuple[str, ...]
    setup: Formula  # minutes
    run: Formula  # minutes on a machine of speed 1
    setup_family: str | None
    setup_value: Formula | None  # e.g. the board colour, for the changeover matrix
    machines: tuple[MachineTimes, ...]  # empty: every capable machine, default times
    after: tuple[str, ...]


@dataclass(frozen=True)
class SuperRouting:
    file: str
    model: str
    operations: dict[str, Operation]
    graph: nx.DiGraph  # every operation, edges predecessor -> successor
    order: tuple[str, ...] = ()  # a fixed topological order of all operations

    def consumer_candidates(self) -> dict[str, list[str]]:
        """BOM consumable -> the operations that may consume it (their conditions decide)."""
        result: dict[str, list[str]] = {}
        for op in self.operations.values():
            for key in op.consumes:
                result.setdefault(key, []).append(op.id)
        return result

    @cached_property
    def candidates(self) -> dict[str, list[str]]:
        return self.consumer_candidates()


_OP_FIELDS = {"id", "name", "capability", "when", "consumes", "setup", "run", "setup_family",
              "setup_value", "machines", "after"}


def load_routing(path: Path, bom: Bom, factory: Factory, known: Collection[str],
                 display: str | None = None) -> SuperRouting:
    """Load a `routing.yaml` and check it against the BOM and the factory."""
    root = read_yaml(path, display)
    check_keys(root, {"model", "operations"}, "routing.yaml")
    names = set(known) | {name for name, _ in bom.lets} | set(METRICS)
    consumables = bom.consumables()
    operations: dict[str, Operation] = {}
    for node in items_of(root, "operations"):
        op = _operation(node, names, factory, consumables)
        if op.id in operations:
            raise node.error("id", f"operation '{op.id}' is defined twice")
        operations[op.id] = op
    if not operations:
        raise root.error("operations", "no operations defined")
    graph = _graph(root.file, operations)
    routing = SuperRouting(root.file, require(root, "model", str), operations, graph,
                           tuple(nx.lexicographical_topological_sort(graph)))
    _check_consumed(bom, routing)
    return routing


def _operation(node: Node, names: set[str], factory: Factory, consumables: Collection[str]
               ) -> Operation:
    check_keys(node, _OP_FIELDS, "an operation")
    op_id = str(require(node, "id", str))
    if not IDENT.match(op_id):
        raise node.error("id", f"operation id '{op_id}' must match [a-z][a-z0-9_]*")
    owner = f"operation '{op_id}'"
    try:
        return _build(node, op_id, owner, names, factory, consumables)
    except EngineeringError as error:
        if error.field and error.field.startswith(owner):
            raise
        raise EngineeringError(error.file, error.line or node.line, owner, error.detail) from None


def _build(node: Node, op_id: str, owner: str, names: set[str], factory: Factory,
           consumables: Collection[str]) -> Operation:
    capability = str(require(node, "capability", str))
    machines = tuple(_machine_times(entry, owner, capability, factory)
                     for entry in items_of(node, "machines"))
    if not machines and not factory.capable(capability):
        raise node.error("capability", f"no machine in {factory.file} can run '{capability}'")
    consumes = tuple(str(c) for c in optional(node, "consumes", list, []))
    for key in consumes:
        if key not in consumables:
            raise node.error("consumes", f"unknown BOM line '{key}'")
    family = optional(node, "setup_family", str, None)
    if family is not None and family not in factory.setup_families:
        raise node.error("setup_family", f"unknown setup family '{family}'")
    setup_value = formula(node, "setup_value", owner)
    if (family is None) != (setup_value is None):
        raise node.error("setup_family", "give 'setup_family' and 'setup_value' together")
    en, zh = _names(node, op_id)
    op = Operation(op_id, node.line, en, zh, capability, formula(node, "when", owner), consumes,
                   _required_formula(node, "setup", owner, "0"),
                   _required_formula(node, "run", owner, None), family, setup_value, machines,
                   tuple(str(a) for a in optional(node, "after", list, [])))
    for part in (op.when, op.setup, op.run, op.setup_value,
                 *(t for m in machines for t in (m.setup, m.run))):
        if part is not None:
            part.check_names(names)
    return op


def _required_formula(node: Node, key: str, owner: str, default: str | None) -> Formula:
    result = formula(node, key, owner, default)
    if result is None:
        raise node.error(None, f"{owner} needs '{key}' (minutes)")
    return result


def _machine_times(node: Node, owner: str, capability: str, factory: Factory) -> MachineTimes:
    check_keys(node, {"machine", "setup", "run"}, "machine times")
    machine_id = str(require(node, "machine", str))
    machine = factory.machines.get(machine_id)
    if machine is None:
        raise node.error("machine", f"unknown machine '{machine_id}'")
    if capability not in machine.capabilities:
        raise node.error("machine", f"machine '{machine_id}' cannot run '{capability}'")
    return MachineTimes(machine_id, formula(node, "setup", owner), formula(node, "run", owner))


def _names(node: Node, default: str) -> tuple[str, str]:
    name = node.get("name", default)
    if isinstance(name, Node):
        return str(name.get("en", default)), str(name.get("zh", name.get("en", default)))
    return str(name), str(name)


def _graph(file: str, operations: dict[str, Operation]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(operations))
    for op in operations.values():
        for before in op.after:
            if before not in operations:
                raise EngineeringError(file, op.line, f"operation '{op.id}'",
                                       f"unknown predecessor '{before}' in 'after'")
            graph.add_edge(before, op.id)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    path = [edge[0] for edge in cycle] + [cycle[0][0]]
    first = operations[cycle[-1][1]]
    raise EngineeringError(file, first.line, f"operation '{first.id}'",
                           "precedence cycle: " + " -> ".join(path))


def _check_consumed(bom: Bom, routing: SuperRouting) -> None:
    consumed = routing.consumer_candidates()
    for key, line in bom.consumables().items():
        if key not in consumed:
            raise EngineeringError(bom.file, line.line, f"line '{line.id}'",
                                   f"'{key}' is not consumed by any operation in {routing.file}")
