"""Translation between persisted order lines / schedules and the planner's plain data.

The planner counts integer minutes from an origin; storage keeps aware UTC datetimes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from planner.model import Assignment as PlannerAssignment
from planner.model import Machine, Operation, Order, Schedule, Status, Window
from routing.factory import Factory

HORIZON_DAYS = 60


def minutes_between(origin: datetime, moment: datetime) -> int:
    return math.floor((moment - origin).total_seconds() / 60)


def moment_at(origin: datetime, minutes: int) -> datetime:
    return origin + timedelta(minutes=minutes)


def planner_machines(
    factory: Factory,
    origin: datetime,
    downtime: dict[str, list[tuple[datetime, datetime]]] | None = None,
) -> tuple[Machine, ...]:
    """Each machine with its work centre's shifts over the planning horizon, in minutes, and
    its planned downtime cut out."""
    horizon_end = origin + timedelta(days=HORIZON_DAYS)
    downtime = downtime or {}
    machines = []
    for machine_id in sorted(factory.machines):
        calendar = factory.calendar_of(machine_id)
        intervals = calendar.working_intervals(origin, horizon_end, factory.zone)
        shifts = tuple(
            Window(minutes_between(origin, start), minutes_between(origin, end))
            for start, end in intervals
        )
        down = tuple(
            Window(minutes_between(origin, start), minutes_between(origin, end))
            for start, end in downtime.get(machine_id, [])
        )
        machines.append(Machine(machine_id, shifts=_merged(shifts), downtime=down))
    return tuple(machines)


def _merged(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    """Back-to-back shifts (06-14, 14-22) are one window: an operation may run across them."""
    merged: list[Window] = []
    for window in windows:
        if merged and merged[-1].end >= window.start:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, window.end))
        else:
            merged.append(window)
    return tuple(merged)


def setup_key(family: str | None, value: str | None) -> str:
    return f"{family}:{value}" if family and value else ""


def planner_setups(
    factory: Factory, keys: Iterable[str]
) -> tuple[tuple[tuple[str, str], int], ...]:
    """Changeover minutes between every two setup values of the same family in use."""
    by_family: dict[str, set[str]] = {}
    for key in keys:
        if key:
            family, value = key.split(":", 1)
            by_family.setdefault(family, set()).add(value)
    setups = []
    for family_id, values in sorted(by_family.items()):
        changeovers = factory.setup_families[family_id]
        for before in sorted(values):
            for after in sorted(values - {before}):
                minutes = math.ceil(changeovers.changeover(before, after))
                setups.append(((f"{family_id}:{before}", f"{family_id}:{after}"), minutes))
    return tuple(setups)


def planner_operations(line_id: int, operations: list[dict[str, Any]]) -> tuple[Operation, ...]:
    """A line's routing snapshot (routing.export.planner_operations) as planner operations."""
    prefix = f"{line_id}/"
    return tuple(
        Operation(
            id=prefix + op["id"],
            order_id=str(line_id),
            durations=tuple(sorted((m, spec["duration"]) for m, spec in op["machines"].items())),
            predecessors=tuple(prefix + p for p in op["predecessors"]),
            setup_family=setup_key(op.get("setup_family"), op.get("setup_value")),
        )
        for op in operations
    )


@dataclass(frozen=True)
class StoredAssignment:
    operation_key: str
    machine: str
    start: datetime
    end: datetime
    status: Status  # DONE and RUNNING from the shop floor, FROZEN, or MOVABLE

    @property
    def fixed(self) -> bool:
        return self.status is not Status.MOVABLE


def planner_schedule(origin: datetime, stored: Iterable[StoredAssignment]) -> Schedule:
    return Schedule(
        tuple(
            PlannerAssignment(
                a.operation_key,
                a.machine,
                minutes_between(origin, a.start),
                minutes_between(origin, a.end),
                a.status,
            )
            for a in stored
        )
    )


def planner_order(
    line_id: int, origin: datetime, release: datetime, due: datetime | None, weight: float = 1.0
) -> Order:
    from planner.model import INFINITY

    release_minutes = max(0, minutes_between(origin, release))
    due_minutes = minutes_between(origin, due) if due is not None else INFINITY
    # A promise already passed is a late order, not an invalid one: it is due at once, so
    # every minute until it is done counts as tardiness and the planner hurries it.
    return Order(str(line_id), release_minutes, max(due_minutes, release_minutes), weight)


def line_of(operation_key: str) -> int:
    return int(operation_key.split("/", 1)[0])


def operation_of(operation_key: str) -> str:
    return operation_key.split("/", 1)[1]


def kpi_dict(kpis: Any) -> dict[str, Any]:
    return {
        "utilisation": dict(kpis.utilisation),
        "on_time_rate": kpis.on_time_rate,
        "mean_lead_time_min": kpis.mean_lead_time,
        "p95_lead_time_min": kpis.p95_lead_time,
        "total_tardiness_min": kpis.total_tardiness,
        "setup_share": kpis.setup_share,
        "makespan_min": kpis.makespan,
    }


def moves_dict(origin: datetime, moves: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "operation": move.operation_id,
            "from_machine": move.old_machine,
            "to_machine": move.new_machine,
            "from_start": moment_at(origin, move.old_start).isoformat(),
            "to_start": moment_at(origin, move.new_start).isoformat(),
            "shift_min": move.shift,
        }
        for move in moves
    ]


@dataclass(frozen=True)
class LineNames:
    """What a planner knows an order line by: its order, its product and its operations."""

    order: str
    product: str
    operations: dict[str, str]  # operation id -> name in the planner's language


def named_moves(
    moves: Iterable[dict[str, Any]], lines: dict[int, LineNames], zone: tzinfo
) -> list[dict[str, Any]]:
    """What-moved rows by order, product and operation name (not "3/edge_fronts"), with the
    starts in the factory's local time."""
    named = []
    for move in moves:
        line_id, operation = line_of(move["operation"]), operation_of(move["operation"])
        names = lines.get(line_id, LineNames(str(line_id), "", {}))
        named.append(
            {
                **move,
                "order": names.order,
                "product": names.product,
                "operation_name": names.operations.get(operation, operation),
                "from_local": _local(move["from_start"], zone),
                "to_local": _local(move["to_start"], zone),
            }
        )
    return named


def _local(iso: str, zone: tzinfo) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(zone):%m-%d %H:%M}"
