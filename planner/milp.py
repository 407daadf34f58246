"""MILP neighbourhoods with PuLP/CBC: free a time slice of a few ops (machine and order),
keep every other op on its machine in its order, and re-solve a disjunctive big-M model.

The MILP only proposes machines and sequences; the decoder turns them into exact times
(so calendars and fixed work are honoured) and a window is kept only if the score improves.

Time: CBC is given what is left of the deadline once its model is built (less its start-up
overhead), counts wall time (`timeMode elapsed`: on shared cores CPU time runs slower), and
is killed if it is still running at the deadline; the incumbent then stands."""

from __future__ import annotations

import os
import random
import subprocess
import time
import warnings

import pulp

from planner.budget import CBC_OVERHEAD, MIN_WINDOW_SECONDS, Clock, cbc_seconds
from planner.compile import Compiled
from planner.decode import Solution, decode
from planner.model import Objective

WINDOW_SECONDS = 3.0  # CBC's time limit for one window


def improve_with_windows(c: Compiled, sol: Solution, objective: Objective, deadline: float,
                         rng: random.Random, size: int = 12,
                         clock: Clock = time.perf_counter) -> Solution:
    """Re-solve windows until `deadline` on `clock`; the best plan seen is returned."""
    best = sol
    while deadline - clock() > MIN_WINDOW_SECONDS:
        free = pick_window(c, best, rng, size)
        cand = solve_window(c, best, free, objective, WINDOW_SECONDS, deadline, clock)
        if cand is not None and cand.score < best.score:
            best = cand
    return best


def pick_window(c: Compiled, sol: Solution, rng: random.Random, size: int) -> set[int]:
    """The `size` movable ops starting nearest in time to a random op of the latest ones."""
    movable = sorted((sol.start[i], i) for i in sol.order)
    if not movable:
        return set()
    top = max(sol.end[i] for i in sol.order)
    centre_pool = [i for _s, i in movable if sol.end[i] >= top * 0.5] or [movable[-1][1]]
    centre = sol.start[rng.choice(centre_pool)]
    near = sorted(movable, key=lambda x: (abs(x[0] - centre), rng.random()))
    return {i for _s, i in near[:size]}


def solve_window(c: Compiled, sol: Solution, free: set[int], objective: Objective,
                 limit: float, deadline: float | None = None,
                 clock: Clock = time.perf_counter) -> Solution | None:
    """Best plan with only `free` ops re-placed, CBC given at most `limit` seconds and
    nothing past `deadline` on `clock` (None if CBC found nothing in time)."""
    if deadline is None:  # CBC's own limit decides; it is killed a second after it
        deadline = clock() + limit + CBC_OVERHEAD + 1.0
    if not free or cbc_seconds(deadline, clock(), limit) <= 0:
        return None
    with warnings.catch_warnings():  # pulp 3.3 announces its 4.0 API on every variable
        warnings.simplefilter("ignore", DeprecationWarning)
        prob, s, x = _window_model(c, sol, free, objective)
        seconds = cbc_seconds(deadline, clock(), limit)  # what the model build left
        if seconds <= 0 or not run_cbc(prob, seconds, deadline - clock()):
            return None
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    return _decode_result(c, sol, s, x, free, objective)


def run_cbc(prob: pulp.LpProblem, seconds: float, kill_after: float) -> bool:
    """Solve `prob` with CBC, `seconds` of wall time; kill it after `kill_after` seconds.
    False if CBC was killed or failed (no values assigned), True when `prob` holds its
    result (status and values, as `prob.solve` would leave them)."""
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds)
    if not solver.executable(solver.path):
        raise pulp.PulpSolverError(f"cannot execute CBC at {solver.path}")
    mps, sol = solver.create_tmp_files(prob.name, "mps", "sol")
    no_objective, dummy = prob.fixObjective()
    try:
        vs, var_names, con_names, _ = prob.writeMPS(mps, rename=1)
        cmd = [solver.path, mps, "-sec", f"{seconds:.3f}", "-timeMode", "elapsed", "-solve",
               "-printingOptions", "all", "-solution", sol]
        with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as proc:
            try:
                code = proc.wait(timeout=max(kill_after, 0.0))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return False
        if code != 0 or not os.path.exists(sol):
            return False
        status, values, _dj, _pi, _slack, sol_status = solver.readsol_MPS(
            sol, prob, vs, var_names, con_names)
        prob.assignVarsVals(values)
        prob.assignStatus(status, sol_status)
        return True
    finally:
        prob.restoreObjective(no_objective, dummy)
        solver.delete_tmp_files(mps, sol)


def _window_model(c: Compiled, sol: Solution, free: set[int], objective: Objective,
                  ) -> tuple[pulp.LpProblem, dict, dict]:
    prob = pulp.LpProblem("window", pulp.LpMinimize)
    movable = list(sol.order)
    big = 2 * max(sol.end) + sum(max(d.values()) for d in c.durations) // 4 + 1
    s = {i: pulp.LpVariable(f"s{i}", lowBound=c.earliest[i]) for i in movable}
    x = {(i, m): pulp.LpVariable(f"x{i}_{m}", cat="Binary")
         for i in free for m in c.durations[i]}
    dur = {i: (pulp.lpSum(d * x[i, m] for m, d in c.durations[i].items()) if i in free
               else c.durations[i][sol.mach[i]]) for i in movable}
    for i in free:
        prob += pulp.lpSum(x[i, m] for m in c.durations[i]) == 1
    _precedences(c, prob, s, dur, movable)
    t0 = min(sol.start[i] for i in free)
    t1 = max(sol.end[i] for i in free)
    for m in range(len(c.machine_ids)):
        _machine(c, sol, prob, s, x, dur, m, free, (t0, t1), big)
    cmax = pulp.LpVariable("cmax", lowBound=0)
    for i in movable:
        prob += cmax >= s[i] + dur[i]
    prob += _objective(c, prob, s, dur, cmax, objective)
    return prob, s, x


def _precedences(c: Compiled, prob: pulp.LpProblem, s: dict, dur: dict,
                 movable: list[int]) -> None:
    for i in movable:
        for p in c.preds[i]:
            if p in c.fixed:
                prob += s[i] >= c.fixed[p][2]
            else:
                prob += s[i] >= s[p] + dur[p]


def _machine(c: Compiled, sol: Solution, prob: pulp.LpProblem, s: dict, x: dict, dur: dict,
             m: int, free: set[int], span: tuple[int, int], big: int) -> None:
    kept = [i for i in sol.seq[m] if i not in free]
    for a, b in zip(kept, kept[1:], strict=False):
        prob += s[b] >= s[a] + dur[a] + c.setup[c.family[a]][c.family[b]]
    cands = [i for i in free if m in c.durations[i]]
    before = [j for j in kept if sol.start[j] < span[0]]
    after = [j for j in kept if sol.start[j] > span[1]]
    middle = [j for j in kept if span[0] <= sol.start[j] <= span[1]]
    for i in cands:
        d = c.durations[i][m]
        if before:
            j = before[-1]
            prob += s[i] >= s[j] + dur[j] + c.setup[c.family[j]][c.family[i]] - big * (1 - x[i, m])
        if after:
            j = after[0]
            prob += s[j] >= s[i] + d + c.setup[c.family[i]][c.family[j]] - big * (1 - x[i, m])
        for j in middle:
            _disjunction(c, prob, s, x, i, j, m, d, dur[j], big, 1)
    for a, i in enumerate(cands):
        for j in cands[a + 1:]:
            _disjunction(c, prob, s, x, i, j, m, c.durations[i][m], c.durations[j][m], big, 2)


def _disjunction(c: Compiled, prob: pulp.LpProblem, s: dict, x: dict, i: int, j: int, m: int,
                 di: int, dj: int, big: int, both: int) -> None:
    y = pulp.LpVariable(f"y{i}_{j}_{m}", cat="Binary")
    off = (1 - x[i, m]) + ((1 - x[j, m]) if both == 2 else 0)
    setup_ij = c.setup[c.family[i]][c.family[j]]
    setup_ji = c.setup[c.family[j]][c.family[i]]
    prob += s[i] + di + setup_ij <= s[j] + big * (1 - y) + big * off
    prob += s[j] + dj + setup_ji <= s[i] + big * y + big * off


def _objective(c: Compiled, prob: pulp.LpProblem, s: dict, dur: dict, cmax: pulp.LpVariable,
               objective: Objective) -> pulp.LpAffineExpression:
    if objective is Objective.MAKESPAN:
        return cmax
    terms = []
    for k, ops in enumerate(c.order_ops):
        order = c.orders[k]
        late = pulp.LpVariable(f"t{k}", lowBound=0)
        for i in ops:
            if i in s:
                prob += late >= s[i] + dur[i] - order.due
        terms.append(order.weight * late)
    return pulp.lpSum(terms) + 1e-6 * cmax


def _decode_result(c: Compiled, sol: Solution, s: dict, x: dict, free: set[int],
                   objective: Objective) -> Solution | None:
    mach = list(sol.mach)
    for i in free:
        mach[i] = max(c.durations[i], key=lambda m: x[i, m].value() or 0.0)
    lines: list[list[tuple[float, int, int]]] = [[] for _ in c.machine_ids]
    for m, line in enumerate(sol.seq):
        for k, i in enumerate(line):
            if i not in free:
                lines[m].append((s[i].value() or 0.0, k, i))
    for i in free:
        lines[mach[i]].append((s[i].value() or 0.0, -1, i))
    seq = [[i for _v, _k, i in sorted(line)] for line in lines]
    return decode(c, mach, seq, objective)
