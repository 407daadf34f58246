"""The optimiser: randomised list scheduling, then tabu search, then PuLP MILP windows."""

from __future__ import annotations

import random
import time

from planner.budget import MIN_WINDOW_SECONDS, Clock, Deadline
from planner.compile import Compiled
from planner.decode import Solution, construct, decode
from planner.model import Assignment, Objective, PlanningError, Schedule, Status
from planner.search import tabu_search

RULES = ("mwkr", "due", "noisy", "random")
MILP_SHARE = 0.15  # of the time limit, spent on MILP windows after the tabu search


def best_construction(c: Compiled, objective: Objective, rng: random.Random,
                      budget: float, clock: Clock = time.perf_counter) -> Solution:
    """Deterministic rules first, then randomised restarts until the budget is spent. With
    no budget left this is the fallback: the first rule that gives a feasible plan."""
    deadline = clock() + budget
    best: Solution | None = None
    k = 0
    while best is None or clock() < deadline:
        sol = construct(c, rng, RULES[k] if k < len(RULES) else "noisy", objective)
        k += 1
        if sol is not None and (best is None or sol.score < best.score):
            best = sol
        if k >= 4 * len(RULES) and best is None:
            break
    if best is None:
        raise PlanningError("no feasible schedule: some operation does not fit any machine's "
                            "calendar after its predecessors")
    return best


def optimise(c: Compiled, objective: Objective, time_limit: float, seed: int = 0,
             initial: Solution | None = None, clock: Clock = time.perf_counter) -> Solution:
    """The best plan found in `time_limit` seconds of `clock`. Only the first construction
    may run past it (there must be a plan); every later stage stops by the deadline."""
    deadline = Deadline.after(time_limit, clock)
    rng = random.Random(seed)
    best = best_construction(c, objective, rng, min(0.05 * time_limit, 1.0), clock)
    if initial is not None and initial.score <= best.score:
        best = initial
    if not [i for i in range(c.n) if i not in c.fixed] or deadline.budget() <= 0:
        return best
    milp_share = MILP_SHARE if c.n <= 400 else 0.0
    best, _ = tabu_search(c, best, objective, deadline.at - milp_share * time_limit, rng,
                          clock=clock)
    if milp_share and deadline.budget() > MIN_WINDOW_SECONDS:
        from planner.milp import improve_with_windows  # PuLP is heavy: import when needed

        best = improve_with_windows(c, best, objective, deadline.at, rng, clock=clock)
        # what is left is too short for a window: the tabu search takes it
        best, _ = tabu_search(c, best, objective, deadline.at, rng, clock=clock)
    return best


def resolve(c: Compiled, sol: Solution, objective: Objective) -> Solution:
    again = decode(c, sol.mach, sol.seq, objective)
    assert again is not None
    return again


def to_schedule(c: Compiled, sol: Solution,
                statuses: dict[str, Status] | None = None) -> Schedule:
    statuses = statuses or {}
    out = []
    for i in range(c.n):
        op_id = c.op_ids[i]
        if i in c.fixed:
            m, s, e = c.fixed[i]
            status = statuses.get(op_id, Status.FROZEN)
        else:
            m, s, e, status = sol.mach[i], sol.start[i], sol.end[i], Status.MOVABLE
        out.append(Assignment(op_id, c.machine_ids[m], s, e, status))
    return Schedule(tuple(sorted(out, key=lambda a: (a.start, a.machine_id, a.operation_id))))


def from_schedule(c: Compiled, schedule: Schedule) -> tuple[list[int], list[list[int]]]:
    """Machine choice and sequences of the movable ops of an existing schedule."""
    mix = {m: k for k, m in enumerate(c.machine_ids)}
    oix = {o: i for i, o in enumerate(c.op_ids)}
    mach = [-1] * c.n
    lines: list[list[tuple[int, int]]] = [[] for _ in c.machine_ids]
    for a in schedule.assignments:
        i = oix.get(a.operation_id)
        if i is None or i in c.fixed:
            continue
        mach[i] = mix[a.machine_id]
        lines[mach[i]].append((a.start, i))
    return mach, [[i for _s, i in sorted(line)] for line in lines]
