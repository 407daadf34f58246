"""An order's routing: the selected operations with machine times, precedences, lead time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import networkx as nx

from bom.errors import EngineeringError
from bom.explode import ExplodedLine
from bom.formula import Formula
from bom.model import Bom
from routing.factory import Factory
from routing.model import METRICS, Operation, SuperRouting

MINUTES = Decimal("0.01")
ZERO = Decimal(0)


def _minutes(value: Decimal) -> Decimal:
    return value.quantize(MINUTES, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class MachineOption:
    machine: str
    work_centre: str
    setup_min: Decimal
    run_min: Decimal

    @property
    def minutes(self) -> Decimal:
        return self.setup_min + self.run_min


@dataclass(frozen=True)
class OrderOperation:
    id: str
    name_en: str
    name_zh: str
    capability: str
    setup_family: str | None
    setup_value: str | None
    machines: tuple[MachineOption, ...]  # alternatives, in factory order
    predecessors: tuple[str, ...]
    consumes: tuple[str, ...]  # BOM lines (and `line.edge`) this operation uses up

    @property
    def fastest(self) -> MachineOption:
        return min(self.machines, key=lambda m: (m.minutes, m.machine))


@dataclass(frozen=True)
class OrderRouting:
    operations: tuple[OrderOperation, ...]  # in a fixed topological order
    critical_path: tuple[str, ...]
    lead_time_minutes: Decimal  # critical path on the fastest machines, no waiting
    lead_time_days: Decimal  # the same in working days of each machine's calendar

    def graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        for op in self.operations:
            graph.add_node(op.id, minutes=op.fastest.minutes)
            graph.add_edges_from((before, op.id) for before in op.predecessors)
        return graph

    def consumer(self) -> dict[str, str]:
        return {key: op.id for op in self.operations for key in op.consumes}


def route(routing: SuperRouting, bom: Bom, factory: Factory, tree: ExplodedLine,
          env: Mapping[str, object]) -> OrderRouting:
    """Select operations for this configuration and time them on every capable machine."""
    selected = {op_id for op_id, op in routing.operations.items()
                if op.when is None or op.when.truth(env)}
    present = _present(tree)
    _check_single_consumer(routing, bom, selected, present)
    order = [op for op in routing.order if op in selected]
    operations = tuple(_order_operation(routing.operations[op_id], routing, selected, present,
                                        factory, env) for op_id in order)
    path, minutes = _critical_path(operations)
    days = sum((_days(factory, operations, op_id) for op_id in path), ZERO)
    return OrderRouting(operations, tuple(path), minutes, _minutes(days))


def _present(tree: ExplodedLine) -> dict[str, list[ExplodedLine]]:
    """Consumable key -> the exploded nodes it stands for in this order."""
    result: dict[str, list[ExplodedLine]] = {}
    for node in tree.walk()[1:]:
        result.setdefault(node.line, []).append(node)
        if node.cut is not None and node.cut.edge_item is not None:
            result.setdefault(f"{node.line}.edge", []).append(node)
    return result


def _check_single_consumer(routing: SuperRouting, bom: Bom, selected: set[str],
                           present: Mapping[str, list[ExplodedLine]]) -> None:
    for key, candidates in routing.candidates.items():
        if key not in present:
            continue
        chosen = sorted(c for c in candidates if c in selected)
        if len(chosen) != 1:
            line = bom.consumables()[key]
            problem = ("no selected operation consumes it" if not chosen else
                       "consumed by more than one selected operation: " + ", ".join(chosen))
            raise EngineeringError(bom.file, line.line, f"line '{line.id}'",
                                   f"'{key}' is in this order but {problem}")


def _metrics(op: Operation, present: Mapping[str, list[ExplodedLine]]) -> dict[str, Decimal]:
    totals = dict.fromkeys(METRICS, ZERO)
    for key in op.consumes:
        for node in present.get(key, ()):
            totals["lines"] += 1
            if key.endswith(".edge"):
                assert node.cut is not None
                totals["edge_m"] += node.cut.edge_m
                totals["pieces"] += node.cut.pieces
                continue
            totals["qty"] += node.quantity
            if node.cut is None:
                totals["pieces"] += node.quantity if node.unit == "pcs" else 0
            else:
                totals["pieces"] += node.cut.pieces
                totals["area_m2" if node.cut.width_mm is not None else "length_m"] += node.quantity
    return totals


def _order_operation(op: Operation, routing: SuperRouting, selected: set[str],
                     present: Mapping[str, list[ExplodedLine]], factory: Factory,
                     env: Mapping[str, object]) -> OrderOperation:
    local = {**env, **_metrics(op, present)}
    setup = _time(op.setup, local)
    run = _time(op.run, local)
    options = []
    if op.machines:
        for times in op.machines:
            machine = factory.machines[times.machine]
            options.append(MachineOption(
                machine.id, machine.work_centre,
                _time(times.setup, local) if times.setup else setup,
                _time(times.run, local) if times.run else _minutes(run / machine.speed)))
    else:
        options = [MachineOption(m.id, m.work_centre, setup, _minutes(run / m.speed))
                   for m in factory.capable(op.capability)]
    value = None if op.setup_value is None else str(op.setup_value.value(local))
    return OrderOperation(op.id, op.name_en, op.name_zh, op.capability, op.setup_family, value,
                          tuple(options), _predecessors(routing, op.id, selected),
                          tuple(k for k in op.consumes if k in present))


def _time(formula: Formula, env: Mapping[str, object]) -> Decimal:
    value = formula.number(env)
    if value < 0:
        raise formula.fail(f"time must not be negative, is {value} minutes")
    return _minutes(value)


def _predecessors(routing: SuperRouting, op_id: str, selected: set[str]) -> tuple[str, ...]:
    """Nearest selected ancestors: an operation left out of this order passes its links on."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = list(routing.graph.predecessors(op_id))
    while stack:
        before = stack.pop()
        if before in seen:
            continue
        seen.add(before)
        if before in selected:
            found.add(before)
        else:
            stack.extend(routing.graph.predecessors(before))
    return tuple(sorted(found))


def _critical_path(operations: tuple[OrderOperation, ...]) -> tuple[list[str], Decimal]:
    finish: dict[str, Decimal] = {}
    best_before: dict[str, str | None] = {}
    for op in operations:  # already topologically ordered
        before = max(op.predecessors, key=lambda p: (finish[p], p), default=None)
        finish[op.id] = (finish[before] if before else ZERO) + op.fastest.minutes
        best_before[op.id] = before
    if not finish:
        return [], ZERO
    last: str | None = max(finish, key=lambda k: (finish[k], k))
    end = finish[last] if last else ZERO
    path = []
    while last is not None:
        path.append(last)
        last = best_before[last]
    return path[::-1], end


def _days(factory: Factory, operations: tuple[OrderOperation, ...], op_id: str) -> Decimal:
    op = next(o for o in operations if o.id == op_id)
    fastest = op.fastest
    per_day = factory.calendar_of(fastest.machine).minutes_per_day()
    return fastest.minutes / per_day if per_day else ZERO
