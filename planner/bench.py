"""Benchmarks (never run by tests): Brandimarte vs CP-SAT, the command's wall time, and
order-insertion latency."""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from planner.api import insert_orders, plan_fjsp, weighted_tardiness
from planner.checker import check
from planner.compile import compile_problem
from planner.decode import construct
from planner.fjsp import read_fjsp
from planner.model import Objective, Order, Problem, Schedule, Status
from planner.solve import to_schedule
from planner.synthetic import DAY, loaded_line, order_ops

FJSP_ENV = "C2M_FJSP_DIR"
SETS = {
    "brandimarte": [f"brandimarte/mk{k:02d}" for k in range(1, 11)],
    # Larger public sets, a few of each kind (all of them take hours at 60 s): Dauzere-Paulli
    # (196-387 operations, flexible), Behnke-Geiger (60 machines in work centres, 100-500
    # operations) and Hurink vdata (every operation on many machines). 03a and 04a are left
    # out: instances.json gives both records the file 03a.
    "large": ["dauzere/05a", "dauzere/10a", "dauzere/15a", "dauzere/18a",
              "behnke/lar02_1", "behnke/lar03_1", "behnke/lar04_3",
              "hurink/vdata/la21", "hurink/vdata/la36", "hurink/vdata/abz7"],
}
# Large instances of three kinds: MILP windows on (mk10, abz7: <= 400 ops, abz7 with many
# eligible machines per op) and off (lar04_3: 500 ops, ~20 machines per op).
WALL_INSTANCES = ["brandimarte/mk10", "hurink/vdata/abz7", "behnke/lar04_3"]


class BenchmarkDataMissing(FileNotFoundError):
    """The benchmark's public instances are not where its setting says (or it is unset)."""


def fjsp_dir() -> Path:
    """The public FJSP instances, named by $C2M_FJSP_DIR only: an installed c2m never guesses
    paths outside itself (`make` points the variable at the shared set beside the checkout)."""
    raw = os.environ.get(FJSP_ENV, "")
    if not raw:
        raise BenchmarkDataMissing(
            f"{FJSP_ENV} is not set: point it at a folder of FJSP instances with their "
            "instances.json (make sets it in a checkout)")
    if not Path(raw).is_dir():
        raise BenchmarkDataMissing(f"{FJSP_ENV}={raw} is not a folder")
    return Path(raw)


def best_known(folder: Path) -> dict[str, int]:
    """Best-known makespan (upper bound) per instance, keyed like SETS ("dauzere/05a"):
    instances.json, then this project's overrides (newer Brandimarte and Kacem bounds). A
    file named by two records (a data error upstream) gets no bound rather than a wrong one."""
    per_file: dict[str, list[int | None]] = {}
    for record in json.loads((folder / "instances.json").read_text()):
        upper = record["optimum"] or (record.get("bounds") or {}).get("upper")
        per_file.setdefault(record["path"].removesuffix(".txt"), []).append(upper)
    known = {key: uppers[0] for key, uppers in per_file.items()
             if len(uppers) == 1 and uppers[0] is not None}
    overrides = json.loads((folder / "bounds_overrides.json").read_text())["instances"]
    return known | {r["path"].removesuffix(".txt"): r["upper"] for r in overrides}


def instance_key(name: str) -> str:
    """"mk01" (the Brandimarte shorthand) or a path under the FJSP folder, without `.txt`."""
    key = name.removesuffix(".txt")
    return key if "/" in key else f"brandimarte/{key}"


def cpsat(path: Path, seconds: float, workers: int = 2) -> int | None:
    out = subprocess.run([sys.executable, "-m", "planner.bench_cpsat", str(path), str(seconds),
                          str(workers)], capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"CP-SAT subprocess failed: {out.stderr.strip()[-400:]}")
    return json.loads(out.stdout)["makespan"]


def planner_bench(names: list[str], limit: float, folder: Path | None = None,
                  peer: bool = True, seed: int = 0) -> dict:
    folder = folder or fjsp_dir()
    ubs = best_known(folder)
    rows: list[dict[str, Any]] = []
    for name in map(instance_key, names):
        path = folder / f"{name}.txt"
        if name not in ubs:
            raise BenchmarkDataMissing(f"no best-known bound for {name} in {folder}")
        problem = read_fjsp(path)
        t = time.perf_counter()
        schedule = plan_fjsp(problem, limit, seed)
        took = time.perf_counter() - t
        violations = check(problem, schedule)
        ours = schedule.makespan
        theirs = cpsat(path, limit) if peer else None
        rows.append({"instance": name, "best_known": ubs[name], "ours": ours,
                     "ours_gap": _gap(ours, ubs[name]), "ours_seconds": round(took, 2),
                     "violations": len(violations), "cpsat": theirs,
                     "cpsat_gap": _gap(theirs, ubs[name]) if theirs else None})
    return {"time_limit": limit, "rows": rows,
            "mean_gap_ours": statistics.mean(r["ours_gap"] for r in rows),
            "mean_gap_cpsat": statistics.mean(r["cpsat_gap"] for r in rows if r["cpsat_gap"]
                                              is not None) if peer else None}


def c2m_command() -> list[str]:
    """How a user starts c2m: the console script beside this interpreter, else `-m c2m`."""
    script = Path(sys.executable).with_name("c2m")
    return [str(script)] if script.exists() else [sys.executable, "-m", "c2m"]


def instance_path(name: str, folder: Path | None = None) -> Path:
    """A file, or a name under the FJSP folder with or without `.txt`."""
    if Path(name).is_file():
        return Path(name)
    folder = folder or fjsp_dir()
    for path in (folder / name, folder / f"{name}.txt"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"no FJSP instance {name!r} (looked under {folder})")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ranked = sorted(values)
    rank = math.ceil(len(ranked) * q / 100)
    return ranked[max(0, min(len(ranked), rank) - 1)]


def cli_wall_bench(names: list[str], runs: int = 5, limit: float = 10.0,
                   folder: Path | None = None) -> dict:
    """Wall seconds of `c2m plan-fjsp FILE --time-limit limit --json`, each run a new process,
    from just before it is spawned to its exit (what `/usr/bin/time -f %e` reports)."""
    rows, every = [], []
    for name in names or WALL_INSTANCES:
        path = instance_path(name, folder)
        walls, spans, violations = [], [], 0
        for _ in range(runs):
            cmd = [*c2m_command(), "plan-fjsp", str(path), "--time-limit", str(limit), "--json"]
            t = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 120)
            walls.append(time.perf_counter() - t)
            if out.returncode != 0:
                raise RuntimeError(f"plan-fjsp failed on {path}: {out.stderr.strip()[-400:]}")
            data = json.loads(out.stdout)
            spans.append(data["makespan"])
            violations += len(data["violations"])
        every += walls
        rows.append({"instance": name, "walls_s": [round(w, 3) for w in walls],
                     **_wall_summary(walls, limit),
                     "makespan_min": min(spans), "makespan_max": max(spans),
                     "violations": violations})
    return {"time_limit": limit, "runs": runs, "rows": rows, **_wall_summary(every, limit)}


def _wall_summary(walls: list[float], limit: float) -> dict:
    return {"median_s": round(statistics.median(walls), 3),
            "p95_s": round(percentile(walls, 95), 3), "max_s": round(max(walls), 3),
            "over_limit": sum(1 for w in walls if w > limit)}


def _gap(value: int, ub: int) -> float:
    return round(100.0 * (value - ub) / ub, 2)


def loaded_schedule(total_ops: int, seed: int = 0) -> tuple[Problem, Schedule]:
    problem = loaded_line(total_ops, seed)
    c = compile_problem(problem)
    sol = construct(c, random.Random(seed), "due", Objective.WEIGHTED_TARDINESS)
    assert sol is not None
    return problem, to_schedule(c, sol)


def insertion_bench(total_ops: int, runs: int = 20, seed: int = 0) -> dict:
    problem, schedule = loaded_schedule(total_ops, seed)
    frozen_until = 2 * DAY
    frozen_all = Schedule(tuple(a if a.fixed else a.__class__(a.operation_id, a.machine_id,
                                                             a.start, a.end, Status.FROZEN)
                                for a in schedule.assignments))
    rng = random.Random(seed + 1)
    ours, gap_only = [], []
    for k in range(runs):
        order = Order(f"new{k}", frozen_until, frozen_until + rng.randint(4, 14) * DAY, 2.0)
        ops = order_ops(rng, order.id, 10)
        ours.append(_timed_insert(problem, schedule, order, ops, frozen_until))
        gap_only.append(_timed_insert(problem, frozen_all, order, ops, frozen_until))
    return {"ops": len(problem.operations), "runs": runs,
            "ours": _summary(ours), "gap_insertion_peer": _summary(gap_only),
            "p95_ratio_to_peer": round(_summary(ours)["p95_ms"]
                                       / max(_summary(gap_only)["p95_ms"], 1e-9), 2)}


def _timed_insert(problem: Problem, schedule: Schedule, order: Order, ops: tuple,
                  frozen_until: int) -> dict:
    t = time.perf_counter()
    result = insert_orders(problem, schedule, (order,), ops, frozen_until)
    ms = 1000 * (time.perf_counter() - t)
    merged = Problem(problem.machines, problem.orders + (order,), problem.operations + ops,
                     problem.setups)
    fixed = [a for a in schedule.assignments if a.fixed or a.start < frozen_until]
    violations = check(merged, result.schedule, fixed)
    done = max(a.end for a in result.schedule.assignments if a.operation_id.startswith(order.id))
    others = weighted_tardiness(problem, result.schedule) - weighted_tardiness(problem, schedule)
    return {"ms": ms, "moved": len(result.moved), "delta": result.tardiness_delta,
            "others_later": others,
            "violations": len(violations), "new_late": max(0, done - order.due)}


def _summary(rows: list[dict]) -> dict:
    ms = sorted(r["ms"] for r in rows)
    return {"p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
            "max_ms": round(ms[-1], 1),
            "moved_median": statistics.median(r["moved"] for r in rows),
            "moved_max": max(r["moved"] for r in rows),
            "tardiness_delta_mean": round(statistics.mean(r["delta"] for r in rows), 1),
            "new_order_late_count": sum(1 for r in rows if r["new_late"] > 0),
            "new_order_lateness_mean_min": round(statistics.mean(r["new_late"] for r in rows), 1),
            "other_orders_added_tardiness": round(sum(r["others_later"] for r in rows), 1),
            "violations": sum(r["violations"] for r in rows)}
