"""Insertion at plant scale: the live schedule against its peers on the same plans.

Per size: one synthetic plant (`synthetic.plant`), one `LiveSchedule` built once, then
`runs` new ~10-op orders, each inserted by every policy and undone, so all policies see the
same plan and the same order. The former whole-problem insertion (compile + decode per
insertion, `planner.insertion.insert_ops`) runs too, up to `legacy_max_ops`. "An on-time
slot exists" when any policy, or an oracle (BEST with pushes 50x deeper), gets the order on
time."""

from __future__ import annotations

import math
import random
import statistics
import time
from typing import Any

from planner.bench import percentile
from planner.checker import check
from planner.compile import compile_problem
from planner.decode import decode
from planner.insertion import insert_ops
from planner.live import PUSH_LIMIT, LiveSchedule, Placement, Policy
from planner.model import Objective, Operation, Order, Problem, Schedule
from planner.solve import from_schedule, to_schedule
from planner.synthetic import DAY, order_ops, plant

FROZEN_UNTIL = DAY + 600
PEERS = (Policy.BEST, Policy.GAP_ONLY, Policy.PUSH_RIGHT)
# The oracle for "an on-time slot exists": BEST letting a push move 50x as many ops. An
# order it gets on time has a slot; one any peer gets on time has one too.
ORACLE_PUSH_LIMIT = 5000


def insertion_bench(sizes: list[int], runs: int = 50, seed: int = 0, checked: int = 3,
                    legacy_max_ops: int = 4000) -> dict[str, Any]:
    """`checked`: runs per size and policy whose whole result goes through the checker."""
    rows = [_one_size(n, runs, seed, checked, legacy_max_ops) for n in sizes]
    return {"runs": runs, "sizes": rows,
            "growth_exponent": {name: _exponent(rows, name, "p95_ms") for name in _names(rows)},
            "growth_exponent_p50": {name: _exponent(rows, name, "p50_ms")
                                    for name in _names(rows)}}


def _names(rows: list[dict]) -> list[str]:
    return [p.value for p in PEERS] + (["legacy_push_right"]
                                       if all("legacy_push_right" in r for r in rows) else [])


def _one_size(n: int, runs: int, seed: int, checked: int, legacy_max_ops: int) -> dict:
    t = time.perf_counter()
    problem, schedule = plant(n, seed, FROZEN_UNTIL)
    made = time.perf_counter() - t
    t = time.perf_counter()
    live = LiveSchedule(problem, schedule, FROZEN_UNTIL)
    built = time.perf_counter() - t
    machines = len(problem.machines)
    rng = random.Random(seed + 1)
    results: dict[str, list[dict]] = {p.value: [] for p in PEERS}
    legacy: list[dict] = []
    oracle: list[Placement] = []
    for k in range(runs):
        order = Order(f"new{k}", FROZEN_UNTIL, FROZEN_UNTIL + rng.randint(1, 4) * DAY, 2.0)
        ops = order_ops(rng, order.id, machines)
        for policy in PEERS:
            verify = (problem, schedule) if k < checked else None
            results[policy.value].append(_timed(live, order, ops, policy, verify))
        oracle.append(_oracle(live, order, ops))
        if n <= legacy_max_ops and k < max(checked, 5):
            legacy.append(_legacy(problem, schedule, order, ops))
    slot = [oracle[k].lateness == 0 or any(results[p.value][k]["late"] == 0 for p in PEERS)
            for k in range(runs)]
    row: dict[str, Any] = {"ops": len(problem.operations), "machines": machines,
                           "plant_build_s": round(made, 2), "live_build_s": round(built, 3)}
    for name, rs in results.items():
        row[name] = _summary(rs, slot)
    on_time = [p for p in oracle if p.lateness == 0]
    row["oracle"] = {"push_limit": ORACLE_PUSH_LIMIT, "on_time_runs": len(on_time),
                     "moved_mean_when_on_time": round(statistics.mean(
                         len(p.moved) for p in on_time), 1) if on_time else None,
                     "others_added_tardiness_total": round(sum(p.added_tardiness
                                                               for p in oracle), 1)}
    if legacy:
        row["legacy_push_right"] = _summary(legacy, slot[:len(legacy)])
    best = row[Policy.BEST.value]
    row["p95_ratio_to_peers"] = {name: round(best["p95_ms"] / max(row[name]["p95_ms"], 1e-9), 3)
                                 for name in row if name in _names([row]) and name != "best"}
    return row


def _timed(live: LiveSchedule, order: Order, ops: tuple[Operation, ...], policy: Policy,
           verify: tuple[Problem, Schedule] | None) -> dict:
    mark = live.mark()
    t = time.perf_counter()
    placed = live.insert_order(order, ops, FROZEN_UNTIL, policy)
    ms = 1000 * (time.perf_counter() - t)
    violations = _violations(live, verify, order, ops) if verify is not None else 0
    t = time.perf_counter()
    live.rollback(mark)
    undo = 1000 * (time.perf_counter() - t)
    return {**_row(ms, placed, violations), "click_ms": ms + undo}


def _oracle(live: LiveSchedule, order: Order, ops: tuple[Operation, ...]) -> Placement:
    mark, live.push_limit = live.mark(), ORACLE_PUSH_LIMIT
    try:
        return live.insert_order(order, ops, FROZEN_UNTIL, Policy.BEST)
    finally:
        live.rollback(mark)
        live.push_limit = PUSH_LIMIT


def _row(ms: float, placed: Placement, violations: int) -> dict:
    return {"ms": ms, "late": placed.lateness, "added": placed.added_tardiness,
            "moved": len(placed.moved), "violations": violations}


def _violations(live: LiveSchedule, verify: tuple[Problem, Schedule], order: Order,
                ops: tuple[Operation, ...]) -> int:
    problem, before = verify
    merged = Problem(problem.machines, problem.orders + (order,), problem.operations + ops,
                     problem.setups)
    fixed = [a for a in before.assignments if a.fixed or a.start < FROZEN_UNTIL]
    after = live.schedule()
    old = before.by_operation()
    moved_left = sum(1 for a in after.assignments  # existing ops never move earlier
                     if a.operation_id in old and a.start < old[a.operation_id].start)
    return len(check(merged, after, fixed)) + moved_left


def _legacy(problem: Problem, schedule: Schedule, order: Order,
            ops: tuple[Operation, ...]) -> dict:
    """The former insertion: compile the whole problem, decode it, push right, decode."""
    t = time.perf_counter()
    merged = Problem(problem.machines, problem.orders + (order,), problem.operations + ops,
                     problem.setups)
    fixed = [a for a in schedule.assignments if a.fixed or a.start < FROZEN_UNTIL]
    planned = {a.operation_id: a.start for a in schedule.assignments if not a.fixed}
    c = compile_problem(merged, fixed, earliest=planned)
    new_ids = {op.id for op in ops}
    new_ix = [i for i, op_id in enumerate(c.op_ids) if op_id in new_ids]
    for i in new_ix:
        c.earliest[i] = max(c.earliest[i], FROZEN_UNTIL)
    base = decode(c, *from_schedule(c, schedule), Objective.WEIGHTED_TARDINESS)
    assert base is not None
    existing = {i for i in range(c.n) if c.op_ids[i] in planned and i not in c.fixed}
    sol = insert_ops(c, base, new_ix, existing)
    after = to_schedule(c, sol)
    ms = 1000 * (time.perf_counter() - t)
    return {"ms": ms, **_legacy_quality(problem, schedule, after, order, new_ids)}


def _legacy_quality(problem: Problem, before: Schedule, after: Schedule, order: Order,
                    new_ids: set[str]) -> dict:
    old = before.by_operation()
    moved = [a for a in after.assignments if a.operation_id in old
             and (a.start, a.machine_id) != (old[a.operation_id].start,
                                             old[a.operation_id].machine_id)]
    done = max(a.end for a in after.assignments if a.operation_id in new_ids)
    ends_before = _order_ends(problem, before)
    ends_after = _order_ends(problem, after)
    weights = {o.id: o for o in problem.orders}
    added = sum((max(0, ends_after[k] - weights[k].due) - max(0, ends_before[k] - weights[k].due))
                * weights[k].weight for k in ends_before)
    return {"late": max(0, done - order.due), "added": added, "moved": len(moved),
            "violations": 0}


def _order_ends(problem: Problem, schedule: Schedule) -> dict[str, int]:
    order_of = {op.id: op.order_id for op in problem.operations}
    out: dict[str, int] = {}
    for a in schedule.assignments:
        k = order_of.get(a.operation_id)
        if k is not None:
            out[k] = max(out.get(k, a.end), a.end)
    return out


def _summary(rows: list[dict], slot: list[bool]) -> dict:
    ms = [r["ms"] for r in rows]
    with_slot = [r for r, s in zip(rows, slot, strict=False) if s]
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(max(ms), 2),
            "runs": len(rows),
            # a promise at a click: the insertion tried, then undone
            **({"click_p95_ms": round(percentile([r["click_ms"] for r in rows], 95), 2)}
               if "click_ms" in rows[0] else {}),
            "late_runs": sum(1 for r in rows if r["late"] > 0),
            "on_time_where_slot_exists": f"{sum(1 for r in with_slot if r['late'] == 0)}"
                                         f"/{len(with_slot)}",
            "new_order_lateness_mean_min": round(statistics.mean(r["late"] for r in rows), 1),
            "others_added_tardiness_total": round(sum(r["added"] for r in rows), 1),
            "moved_mean": round(statistics.mean(r["moved"] for r in rows), 2),
            "moved_max": max(r["moved"] for r in rows),
            "violations": sum(r["violations"] for r in rows)}


def _exponent(rows: list[dict], name: str, key: str) -> float | None:
    """Least-squares slope of log(latency) over log(size): latency ~ size^exponent."""
    pts = [(math.log(r["ops"]), math.log(max(r[name][key], 1e-3))) for r in rows if name in r]
    if len(pts) < 2:
        return None
    mx = statistics.mean(x for x, _ in pts)
    my = statistics.mean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / den, 3) if den else None
