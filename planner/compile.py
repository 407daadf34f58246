"""Validate a Problem and turn it into integer-indexed arrays the search works on."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.calendar import Gaps, availability, build_gaps
from planner.model import Assignment, Minutes, Order, PlanningError, Problem


@dataclass
class Compiled:
    """Index-based view: ops 0..n-1, machines 0..k-1. Fixed ops keep their given slot."""

    problem: Problem
    op_ids: list[str]
    machine_ids: list[str]
    order_of: list[int]
    orders: list[Order]
    durations: list[dict[int, int]]
    preds: list[list[int]]
    succs: list[list[int]]
    family: list[int]
    setup: list[list[int]]
    earliest: list[Minutes]
    fixed: dict[int, tuple[int, Minutes, Minutes]]
    gaps: list[Gaps]
    topo: list[int]
    order_ops: list[list[int]]
    has_setups: bool
    job_indeg: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        # predecessors the decoder waits for (fixed ones are already placed)
        self.job_indeg = [0 if i in self.fixed else sum(p not in self.fixed for p in ps)
                          for i, ps in enumerate(self.preds)]

    @property
    def n(self) -> int:
        return len(self.op_ids)

    def movable(self) -> list[int]:
        return [i for i in self.topo if i not in self.fixed]


def compile_problem(problem: Problem, fixed: list[Assignment] | None = None,
                    not_before: Minutes | None = None,
                    earliest: dict[str, Minutes] | None = None) -> Compiled:
    """Check the input (PlanningError names order and operation) and index it."""
    orders = {o.id: o for o in problem.orders}
    machine_ix = {m.id: k for k, m in enumerate(problem.machines)}
    op_ix = {op.id: i for i, op in enumerate(problem.operations)}
    windows = [availability(m) for m in problem.machines]
    _validate(problem, orders, machine_ix, op_ix, windows)
    families = sorted({op.setup_family for op in problem.operations}
                      | {f for pair, _ in problem.setups for f in pair})
    fam_ix = {f: k for k, f in enumerate(families)}
    setup = [[0] * len(families) for _ in families]
    for (a, b), minutes in problem.setups:
        setup[fam_ix[a]][fam_ix[b]] = minutes
    ops = problem.operations
    preds = [[op_ix[p] for p in op.predecessors] for op in ops]
    succs: list[list[int]] = [[] for _ in ops]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    order_list = list(problem.orders)
    order_pos = {o.id: k for k, o in enumerate(order_list)}
    family = [fam_ix[op.setup_family] for op in ops]
    fixed_ix = _fixed(fixed or [], op_ix, machine_ix)
    per_machine: list[list[tuple[int, int, int]]] = [[] for _ in problem.machines]
    for i, (m, s, e) in fixed_ix.items():
        per_machine[m].append((s, e, family[i]))
    low = [max(orders[op.order_id].release, not_before or 0) for op in ops]
    for op_id, t in (earliest or {}).items():
        low[op_ix[op_id]] = max(low[op_ix[op_id]], t)
    order_ops: list[list[int]] = [[] for _ in order_list]
    for i, op in enumerate(ops):
        order_ops[order_pos[op.order_id]].append(i)
    return Compiled(
        problem, [op.id for op in ops], [m.id for m in problem.machines],
        [order_pos[op.order_id] for op in ops], order_list,
        [{machine_ix[m]: d for m, d in op.durations} for op in ops], preds, succs, family, setup,
        low, fixed_ix, [build_gaps(w, per_machine[k]) for k, w in enumerate(windows)],
        _topo(problem, preds, succs), order_ops, any(m for _, m in problem.setups))


def _fixed(fixed: list[Assignment], op_ix: dict[str, int],
           machine_ix: dict[str, int]) -> dict[int, tuple[int, Minutes, Minutes]]:
    out = {}
    for a in fixed:
        if a.operation_id not in op_ix or a.machine_id not in machine_ix:
            raise PlanningError(f"fixed assignment on unknown machine {a.machine_id!r} "
                                "or of an unknown operation", operation_id=a.operation_id)
        out[op_ix[a.operation_id]] = (machine_ix[a.machine_id], a.start, a.end)
    return out


def _validate(problem: Problem, orders: dict[str, Order], machine_ix: dict[str, int],
              op_ix: dict[str, int], windows: list) -> None:
    for order in problem.orders:
        if order.due < order.release:
            raise PlanningError(f"due date {order.due} is before release {order.release}",
                                order_id=order.id)
    seen: set[str] = set()
    for op in problem.operations:
        if op.id in seen:
            raise PlanningError("operation id used twice", op.order_id, op.id)
        seen.add(op.id)
    longest = {m.id: max((w.end - w.start for w in windows[k]), default=0)
               for k, m in enumerate(problem.machines)}
    for op in problem.operations:
        if op.order_id not in orders:
            raise PlanningError("belongs to an unknown order", op.order_id, op.id)
        if not op.durations:
            raise PlanningError("no machine can run it (no eligible machine)", op.order_id, op.id)
        for mid, minutes in op.durations:
            if mid not in machine_ix:
                raise PlanningError(f"eligible machine {mid!r} does not exist",
                                    op.order_id, op.id)
            if minutes < 0:
                raise PlanningError(f"negative duration on {mid}", op.order_id, op.id)
        if all(longest[mid] < minutes for mid, minutes in op.durations):
            raise PlanningError("no eligible machine has a calendar window long enough "
                                "(empty calendar?)", op.order_id, op.id)
        for p in op.predecessors:
            if p not in op_ix:
                raise PlanningError(f"unknown predecessor {p!r}", op.order_id, op.id)


def _topo(problem: Problem, preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    indeg = [len(p) for p in preds]
    stack = [i for i in range(len(preds)) if indeg[i] == 0]
    order: list[int] = []
    while stack:
        i = stack.pop()
        order.append(i)
        for s in succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                stack.append(s)
    if len(order) < len(preds):
        stuck = next(i for i in range(len(preds)) if indeg[i] > 0)
        op = problem.operations[stuck]
        raise PlanningError("precedence cycle through this operation", op.order_id, op.id)
    return order
