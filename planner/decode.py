"""Turn machine choices and machine sequences into start times, and score them.

A solution is `mach[i]` (machine of op i) plus `seq[m]` (movable ops of machine m in order).
Fixed ops are not in `seq`: they are holes in the machine's free gaps."""

from __future__ import annotations

import random
from dataclasses import dataclass

from planner.compile import Compiled
from planner.model import INFINITY, Objective


@dataclass
class Solution:
    mach: list[int]
    seq: list[list[int]]
    start: list[int]
    end: list[int]
    order: list[int]  # processing order of the decode (a topological order)
    score: float

    def copy_seq(self) -> list[list[int]]:
        return [list(s) for s in self.seq]


def decode(c: Compiled, mach: list[int], seq: list[list[int]],
           objective: Objective = Objective.MAKESPAN) -> Solution | None:
    """Earliest start of every placed movable op (mach >= 0) given the sequences; None if
    they contain a cycle. Unplaced ops (mach = -1) are ignored."""
    n = c.n
    mprev = [-1] * n
    mnext = [-1] * n
    indeg = list(c.job_indeg)
    for line in seq:
        for k in range(1, len(line)):
            a, b = line[k - 1], line[k]
            mprev[b] = a
            mnext[a] = b
            indeg[b] += 1
    start = [0] * n
    end = [0] * n
    fixed = c.fixed
    for i, (_m, s0, e0) in fixed.items():
        start[i], end[i] = s0, e0
    preds, succs, durations, earliest = c.preds, c.succs, c.durations, c.earliest
    placed = [i for i in range(n) if i not in fixed and mach[i] >= 0]
    stack = [i for i in placed if indeg[i] == 0]
    order: list[int] = []
    setup, family, gaps, has_setups = c.setup, c.family, c.gaps, c.has_setups
    while stack:
        i = stack.pop()
        order.append(i)
        t = earliest[i]
        for p in preds[i]:
            if end[p] > t:
                t = end[p]
        p = mprev[i]
        m = mach[i]
        d = durations[i][m]
        if p >= 0:
            e = end[p] + setup[family[p]][family[i]] if has_setups else end[p]
            if e > t:
                t = e
        g = gaps[m]
        if not g.open:
            t = g.fit(t, d, family[i], setup)
            if t >= INFINITY:
                return None
        start[i] = t
        end[i] = t + d
        for j in succs[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                stack.append(j)
        j = mnext[i]
        if j >= 0:
            indeg[j] -= 1
            if indeg[j] == 0:
                stack.append(j)
    if len(order) < len(placed):
        return None
    return Solution(mach, seq, start, end, order, score(c, end, objective))


def score(c: Compiled, end: list[int], objective: Objective) -> float:
    if objective is Objective.MAKESPAN:
        # the sum of end times breaks ties between equal makespans: it rewards compressing
        # the non-critical work, which lets the search walk across makespan plateaus
        return max(end, default=0) + 1e-6 * sum(end)
    total = 0.0
    for k, ops in enumerate(c.order_ops):
        order = c.orders[k]
        late = max(end[i] for i in ops) - order.due if ops else 0
        if late > 0:
            total += late * order.weight
    # the makespan breaks ties so the search still compresses the plan
    return total + max(end, default=0) * 1e-6


def construct(c: Compiled, rng: random.Random, rule: str,
              objective: Objective = Objective.MAKESPAN) -> Solution | None:
    """List scheduling: pick a ready op by `rule`, put it on the machine where it ends first."""
    n, k = c.n, len(c.machine_ids)
    mach = [-1] * n
    seq: list[list[int]] = [[] for _ in range(k)]
    free = [-INFINITY] * k
    last = [-1] * k
    end = [0] * n
    for i, (m, _s, e) in c.fixed.items():
        mach[i], end[i] = m, e
    remaining = _remaining_work(c)
    indeg = [sum(1 for p in c.preds[i] if p not in c.fixed) for i in range(n)]
    ready = [i for i in range(n) if i not in c.fixed and indeg[i] == 0]
    noise = rule in ("random", "noisy")
    while ready:
        i = _pick(ready, rule, remaining, c, rng)
        ready.remove(i)
        t0 = max([c.earliest[i]] + [end[p] for p in c.preds[i]])
        best = (INFINITY, 0, 0.0, 0)
        for m, d in c.durations[i].items():
            t = max(t0, free[m] + (c.setup[c.family[last[m]]][c.family[i]] if last[m] >= 0 else 0))
            t = c.gaps[m].fit(t, d, c.family[i], c.setup)
            key = (t + d, d, rng.random() if noise else 0.0, m)
            if key < best:
                best = key
        if best[0] >= INFINITY:
            return None
        m = best[3]
        mach[i] = m
        seq[m].append(i)
        end[i] = best[0]
        free[m], last[m] = end[i], i
        for s in c.succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return decode(c, mach, seq, objective)


def _remaining_work(c: Compiled) -> list[float]:
    mean = [sum(d.values()) / len(d) for d in c.durations]
    rem = [0.0] * c.n
    for i in reversed(c.topo):
        rem[i] = mean[i] + max((rem[s] for s in c.succs[i]), default=0.0)
    return rem


def _pick(ready: list[int], rule: str, remaining: list[float], c: Compiled,
          rng: random.Random) -> int:
    if rule == "mwkr":
        return max(ready, key=lambda i: (remaining[i], -i))
    if rule == "due":
        return min(ready, key=lambda i: (c.orders[c.order_of[i]].due - remaining[i], i))
    if rule == "random":
        return rng.choice(ready)
    # noisy MWKR: the main rule with random tie-breaking for restarts
    return max(ready, key=lambda i: remaining[i] * (0.85 + 0.3 * rng.random()))
