"""Flexible job-shop planner: plain data in and out, PuLP inside (see planner.api)."""

from planner.api import (
    diff,
    insert_orders,
    plan_fjsp,
    promise,
    reoptimise,
    reschedule_after,
    split_fixed,
    weighted_tardiness,
)
from planner.checker import check
from planner.fjsp import FjspFormatError, parse_fjsp, read_fjsp
from planner.kpis import kpis
from planner.model import (
    Assignment,
    InsertionResult,
    Kpis,
    Machine,
    Move,
    Objective,
    Operation,
    Order,
    PlanningError,
    Problem,
    Promise,
    Schedule,
    Status,
    Violation,
    Window,
)

__all__ = [
    "Assignment", "FjspFormatError", "InsertionResult", "Kpis", "Machine", "Move", "Objective",
    "Operation", "Order", "PlanningError", "Problem", "Promise", "Schedule", "Status", "Violation",
    "Window", "check", "diff", "insert_orders", "kpis", "parse_fjsp", "plan_fjsp", "promise",
    "read_fjsp", "reoptimise", "reschedule_after", "split_fixed", "weighted_tardiness",
]
