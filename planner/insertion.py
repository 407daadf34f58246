"""The former insertion, over the whole compiled problem: kept as the peer the insertion bench
(`planner.live_bench`) measures `planner.live` against. `api.insert_orders` uses the live
schedule; this module compiles and decodes all n operations for every insertion.

Insert new operations into a live plan, pushing existing movable work right only as needed.

Existing movable ops keep their machine and order and may not start earlier than planned
(their planned start is their lower bound), so every change is a right shift caused by
the insertion. Each new op (in precedence order) tries positions near its ready time on
every eligible machine; a push is propagated incrementally (heap by start time), so one
candidate costs only the ops it actually moves."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from dataclasses import dataclass

from planner.compile import Compiled
from planner.decode import Solution, decode
from planner.model import INFINITY, Objective


@dataclass
class _Candidate:
    key: tuple[float, float, int, int, int]
    machine: int
    position: int
    changes: dict[int, int]


def insert_ops(c: Compiled, base: Solution, new_ops: list[int], existing: set[int],
               objective: Objective = Objective.WEIGHTED_TARDINESS) -> Solution:
    """Place `new_ops` (indices) into `base`; `existing` are the ops whose moves cost."""
    start, end = list(base.start), list(base.end)
    mach = list(base.mach)
    seq = [list(s) for s in base.seq]
    remaining = _min_remaining(c)
    mprev, mnext = _links(seq, c.n)
    ordered = [i for i in c.topo if i in set(new_ops)]
    for i in ordered:
        best = _best_position(c, i, start, end, mach, seq, mprev, mnext, existing, remaining)
        if best is None:
            raise ValueError(f"no feasible position for {c.op_ids[i]}")
        _commit(c, i, best, start, end, mach, seq, mprev, mnext)
    final = decode(c, mach, seq, objective)
    if final is None:
        raise ValueError("insertion produced a cyclic plan")
    return final


def _links(seq: list[list[int]], n: int) -> tuple[list[int], list[int]]:
    mprev, mnext = [-1] * n, [-1] * n
    for s in seq:
        for a, b in zip(s, s[1:], strict=False):
            mprev[b], mnext[a] = a, b
    return mprev, mnext


def _min_remaining(c: Compiled) -> list[int]:
    rem = [0] * c.n
    for i in reversed(c.topo):
        rem[i] = max((min(c.durations[s].values()) + rem[s] for s in c.succs[i]), default=0)
    return rem


def _best_position(c: Compiled, i: int, start: list[int], end: list[int], mach: list[int],
                   seq: list[list[int]], mprev: list[int], mnext: list[int],
                   existing: set[int], remaining: list[int]) -> _Candidate | None:
    """Cheapest position. Candidates are scored for the new order's lateness first (cheap),
    so that push propagation only runs for positions that can still win."""
    ready = max([c.earliest[i]] + [end[p] for p in c.preds[i]])
    order = c.orders[c.order_of[i]]
    options = []
    for m in c.durations[i]:
        line = seq[m]
        lo = bisect_left([end[j] for j in line], ready) if line else 0
        free = _first_free_fit(c, i, m, lo, ready, start, end, line)
        for k in {*range(max(lo - 1, 0), min(lo + 4, len(line)) + 1), free}:
            t = _start_at(c, i, m, k, ready, end, line)
            if t < INFINITY:
                late = max(0, t + c.durations[i][m] + remaining[i] - order.due) * order.weight
                options.append((late, k != free, t, m, k))
    best: _Candidate | None = None
    for late, _pushes, t, m, k in sorted(options):
        if best is not None and (best.key[0], best.key[1]) < (0.0, late):
            break  # no later option can beat the best: added tardiness is never negative
        limit = best.key[2] if best is not None and best.key[:2] == (0.0, late) else c.n
        line = seq[m]
        b = line[k] if k < len(line) else -1
        changes = _propagate(c, i, t + c.durations[i][m], b, (start, end), mach, mprev, mnext,
                             existing, limit)
        if changes is None:
            continue
        added, moved, shift = _disruption(c, changes, start, end, mach, existing)
        cand = _Candidate((added, late, moved, shift, t), m, k, {i: t, **changes})
        if best is None or cand.key < best.key:
            best = cand
    return best


def _start_at(c: Compiled, i: int, m: int, k: int, ready: int, end: list[int],
              line: list[int]) -> int:
    a = line[k - 1] if k > 0 else -1
    t = ready if a < 0 else max(ready, end[a] + c.setup[c.family[a]][c.family[i]])
    return c.gaps[m].fit(t, c.durations[i][m], c.family[i], c.setup)


def _first_free_fit(c: Compiled, i: int, m: int, lo: int, ready: int, start: list[int],
                    end: list[int], line: list[int]) -> int:
    """First position from `lo` where i fits in the idle time without pushing anything."""
    d, fam = c.durations[i][m], c.family[i]
    for k in range(lo, len(line)):
        a = line[k - 1] if k > 0 else -1
        b = line[k]
        t = ready if a < 0 else max(ready, end[a] + c.setup[c.family[a]][fam])
        if start[b] - t < d:
            continue
        t = c.gaps[m].fit(t, d, fam, c.setup)
        if t + d + c.setup[fam][c.family[b]] <= start[b]:
            return k
    return len(line)


def _propagate(c: Compiled, i: int, end_i: int, b: int, times: tuple[list[int], list[int]],
               mach: list[int], mprev: list[int], mnext: list[int], existing: set[int],
               limit: int) -> dict[int, int] | None:
    """New starts of the ops pushed by putting i (ending at end_i) just before b.
    None for a cycle, or when more than `limit` existing ops would move (cannot win)."""
    new: dict[int, int] = {}
    if b < 0:
        return new
    start, end = times
    heap = [(start[b], b)]
    durations, setup, family, earliest = c.durations, c.setup, c.family, c.earliest
    moved = 0
    while heap:
        _s, j = heapq.heappop(heap)
        if j == i:
            return None
        m = mach[j]
        p = i if j == b else mprev[j]
        t = earliest[j]
        if p >= 0:
            e = end_i if p == i else (new[p] + durations[p][mach[p]] if p in new else end[p])
            t = max(t, e + setup[family[p]][family[j]])
        for q in c.preds[j]:
            e = new[q] + durations[q][mach[q]] if q in new else end[q]
            if e > t:
                t = e
        if t <= new.get(j, start[j]):
            continue
        t = c.gaps[m].fit(t, durations[j][m], family[j], setup)
        if t >= INFINITY:
            return None
        if j not in new and j in existing:
            moved += 1
            if moved > limit:
                return None
        new[j] = t
        for s in c.succs[j]:
            if mach[s] >= 0 or s == i:
                heapq.heappush(heap, (start[s], s))
        if mnext[j] >= 0:
            heapq.heappush(heap, (start[mnext[j]], mnext[j]))
    return new


def _disruption(c: Compiled, changes: dict[int, int], start: list[int], end: list[int],
                mach: list[int], existing: set[int]) -> tuple[float, int, int]:
    """Weighted tardiness added to other orders, how many existing ops move, total shift."""
    moved = shift = 0
    touched = set()
    for j, t in changes.items():
        if j in existing:
            moved += 1
            shift += t - start[j]
        touched.add(c.order_of[j])
    added = 0.0
    for k in touched:
        order = c.orders[k]
        ops = [j for j in c.order_ops[k] if mach[j] >= 0]
        if not ops:
            continue
        before = max(end[j] for j in ops)
        after = max((changes[j] + c.durations[j][mach[j]]) if j in changes else end[j]
                    for j in ops)
        if not any(j in existing for j in ops):
            continue  # a new order: its own lateness is scored separately
        added += (max(0, after - order.due) - max(0, before - order.due)) * order.weight
    return added, moved, shift


def _commit(c: Compiled, i: int, cand: _Candidate, start: list[int], end: list[int],
            mach: list[int], seq: list[list[int]], mprev: list[int], mnext: list[int]) -> None:
    m, k = cand.machine, cand.position
    mach[i] = m
    for j, t in cand.changes.items():
        start[j] = t
        end[j] = t + c.durations[j][mach[j]]
    line = seq[m]
    a = line[k - 1] if k > 0 else -1
    b = line[k] if k < len(line) else -1
    line.insert(k, i)
    mprev[i], mnext[i] = a, b
    if a >= 0:
        mnext[a] = i
    if b >= 0:
        mprev[b] = i
