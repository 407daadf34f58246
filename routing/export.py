"""Plain-data views of an order routing: for JSON and for the planner."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

from routing.order import OrderRouting


def rows(records: Iterable[object]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(r) for r in records]  # type: ignore[call-overload]


def routing_dict(order_routing: OrderRouting) -> dict[str, Any]:
    return {
        "operations": [
            {
                "id": op.id, "name": {"en": op.name_en, "zh": op.name_zh},
                "capability": op.capability, "setup_family": op.setup_family,
                "setup_value": op.setup_value, "predecessors": list(op.predecessors),
                "consumes": list(op.consumes), "fastest": op.fastest.machine,
                "machines": [
                    {"machine": m.machine, "work_centre": m.work_centre, "setup_min": m.setup_min,
                     "run_min": m.run_min, "minutes": m.minutes}
                    for m in op.machines
                ],
            }
            for op in order_routing.operations
        ],
        "precedences": [[before, op.id] for op in order_routing.operations
                        for before in op.predecessors],
        "critical_path": list(order_routing.critical_path),
        "lead_time_minutes": order_routing.lead_time_minutes,
        "lead_time_days": order_routing.lead_time_days,
    }


def planner_operations(order_routing: OrderRouting, prefix: str = "") -> list[dict[str, Any]]:
    """Operations as the planner takes them: whole minutes (rounded up) per eligible machine.

    `prefix` (e.g. an order-line id and '/') makes ids unique across orders.
    """
    return [
        {
            "id": f"{prefix}{op.id}",
            "machines": {m.machine: {"setup": math.ceil(m.setup_min), "run": math.ceil(m.run_min),
                                     "duration": math.ceil(m.minutes)} for m in op.machines},
            "setup_family": op.setup_family,
            "setup_value": op.setup_value,
            "predecessors": [f"{prefix}{p}" for p in op.predecessors],
        }
        for op in order_routing.operations
    ]
