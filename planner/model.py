"""Plain data the planner takes and returns. Times are integer minutes from a plan origin."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

Minutes = int
INFINITY: Minutes = 10**12


class Status(Enum):
    DONE = "done"
    RUNNING = "running"
    FROZEN = "frozen"
    MOVABLE = "movable"


FIXED_STATUSES = frozenset({Status.DONE, Status.RUNNING, Status.FROZEN})


class Objective(Enum):
    MAKESPAN = "makespan"
    WEIGHTED_TARDINESS = "weighted_tardiness"


@dataclass(frozen=True)
class Window:
    """Half-open interval [start, end) in minutes."""

    start: Minutes
    end: Minutes


@dataclass(frozen=True)
class Machine:
    """A machine; `shifts=None` means always available. Downtime is cut out of the shifts."""

    id: str
    shifts: tuple[Window, ...] | None = None
    downtime: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One operation of an order. `durations` maps each eligible machine id to minutes."""

    id: str
    order_id: str
    durations: tuple[tuple[str, Minutes], ...]
    predecessors: tuple[str, ...] = ()
    setup_family: str = ""

    def duration_on(self, machine_id: str) -> Minutes | None:
        for mid, minutes in self.durations:
            if mid == machine_id:
                return minutes
        return None


@dataclass(frozen=True)
class Order:
    id: str
    release: Minutes = 0
    due: Minutes = INFINITY
    weight: float = 1.0


@dataclass(frozen=True)
class Assignment:
    operation_id: str
    machine_id: str
    start: Minutes
    end: Minutes
    status: Status = Status.MOVABLE

    @property
    def fixed(self) -> bool:
        return self.status in FIXED_STATUSES


@dataclass(frozen=True)
class Problem:
    """Everything the planner needs. `setups[(from_family, to_family)]` = changeover minutes."""

    machines: tuple[Machine, ...]
    orders: tuple[Order, ...]
    operations: tuple[Operation, ...]
    setups: tuple[tuple[tuple[str, str], Minutes], ...] = ()

    def setup_map(self) -> dict[tuple[str, str], Minutes]:
        return dict(self.setups)


@dataclass(frozen=True)
class Schedule:
    assignments: tuple[Assignment, ...]

    @property
    def makespan(self) -> Minutes:
        return max((a.end for a in self.assignments), default=0)

    def by_operation(self) -> dict[str, Assignment]:
        return {a.operation_id: a for a in self.assignments}


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    operation_id: str | None = None
    machine_id: str | None = None


@dataclass(frozen=True)
class Move:
    operation_id: str
    old_machine: str
    new_machine: str
    old_start: Minutes
    new_start: Minutes

    @property
    def shift(self) -> Minutes:
        return self.new_start - self.old_start


@dataclass(frozen=True)
class InsertionResult:
    schedule: Schedule
    moved: tuple[Move, ...]
    tardiness_before: float
    tardiness_after: float

    @property
    def tardiness_delta(self) -> float:
        return self.tardiness_after - self.tardiness_before


@dataclass(frozen=True)
class Promise:
    order_id: str
    completion: Minutes
    on_time: bool


@dataclass(frozen=True)
class Kpis:
    utilisation: tuple[tuple[str, float], ...]
    on_time_rate: float
    mean_lead_time: float
    p95_lead_time: float
    total_tardiness: float
    weighted_tardiness: float
    setup_share: float
    makespan: Minutes


class PlanningError(ValueError):
    """Bad planning input; names the order and operation at fault."""

    def __init__(self, message: str, order_id: str | None = None,
                 operation_id: str | None = None) -> None:
        where = ", ".join(
            part for part in (
                f"order {order_id}" if order_id else "",
                f"operation {operation_id}" if operation_id else "",
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.order_id = order_id
        self.operation_id = operation_id
        self.detail = message


@dataclass(frozen=True)
class SearchStats:
    """What a solve did, for benchmarks and logs."""

    iterations: int = 0
    milp_windows: int = 0
    milp_improvements: int = 0
    restarts: int = 0
    history: tuple[tuple[float, int], ...] = field(default_factory=tuple)
