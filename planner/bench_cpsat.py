"""CP-SAT peer for the FJSP benchmark. Run only as a subprocess:
`python -m planner.bench_cpsat FILE SECONDS WORKERS` prints {"makespan": ..., "status": ...}.
OR-Tools is a benchmark extra; nothing in the app imports this module."""

from __future__ import annotations

import json
import sys


def solve(path: str, seconds: float, workers: int) -> dict[str, object]:
    from ortools.sat.python import cp_model  # only ever imported in this subprocess

    from planner.fjsp import read_fjsp

    problem = read_fjsp(path)
    horizon = sum(max(d for _m, d in op.durations) for op in problem.operations)
    model = cp_model.CpModel()
    intervals: dict[str, list] = {m.id: [] for m in problem.machines}
    start, end = {}, {}
    for op in problem.operations:
        start[op.id] = model.new_int_var(0, horizon, f"s{op.id}")
        end[op.id] = model.new_int_var(0, horizon, f"e{op.id}")
        chosen = []
        for mid, d in op.durations:
            lit = model.new_bool_var(f"x{op.id}{mid}")
            chosen.append(lit)
            iv = model.new_optional_interval_var(start[op.id], d, end[op.id], lit, f"i{op.id}{mid}")
            intervals[mid].append(iv)
        model.add_exactly_one(chosen)
        for p in op.predecessors:
            model.add(start[op.id] >= end[p])
    for ivs in intervals.values():
        model.add_no_overlap(ivs)
    cmax = model.new_int_var(0, horizon, "cmax")
    model.add_max_equality(cmax, list(end.values()))
    model.minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {"makespan": int(solver.objective_value) if found else None,
            "status": solver.status_name(status)}


if __name__ == "__main__":
    print(json.dumps(solve(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))))
