"""Tabu search on the disjunctive graph: moves taken from one critical chain of the schedule.

Moves relocate one op: a swap of adjacent critical ops on a machine (N5: ends of critical
blocks) or a move of a critical op to another eligible machine at the position a
head/tail estimate likes best. Moves are ranked by head/tail estimates; the few best are
decoded exactly (cycles rejected) and the best non-tabu one is taken."""

from __future__ import annotations

import random
import time
from bisect import bisect_left

from planner.budget import Clock
from planner.compile import Compiled
from planner.decode import Solution, decode
from planner.model import Objective

Move = tuple[int, int, int]  # (op, new machine, position in the new machine's sequence)
SPAN = 2  # positions tried on each side of where the op's head falls in a machine sequence
PERTURB = 4  # random critical moves that kick the search out of a stalled basin


def critical_chain(c: Compiled, sol: Solution, objective: Objective,
                   rng: random.Random) -> list[int]:
    """Walk back from the op that sets the objective through binding predecessors."""
    end, start = sol.end, sol.start
    movable = [i for i in sol.order]
    if not movable:
        return []
    target = _target(c, sol, objective, rng, movable)
    mprev = _mprev(sol)
    chain = [target]
    i = target
    while True:
        options = [p for p in c.preds[i] if end[p] == start[i] and p not in c.fixed]
        p = mprev.get(i, -1)
        if p >= 0 and end[p] + c.setup[c.family[p]][c.family[i]] == start[i]:
            options.append(p)
        if not options:
            break
        i = rng.choice(options)
        chain.append(i)
    chain.reverse()
    return chain


def _target(c: Compiled, sol: Solution, objective: Objective, rng: random.Random,
            movable: list[int]) -> int:
    end = sol.end
    if objective is Objective.WEIGHTED_TARDINESS:
        late = [(max(end[i] for i in ops) - c.orders[k].due, k)
                for k, ops in enumerate(c.order_ops) if ops]
        tardy = [k for lateness, k in late if lateness > 0]
        # An order whose work is all fixed (released, running, done) cannot be helped by any
        # move: aim at tardy orders that still have movable work.
        helpable = [k for k in tardy if any(i not in c.fixed for i in c.order_ops[k])]
        if helpable:
            k = rng.choice(helpable)
            ops = [i for i in c.order_ops[k] if i not in c.fixed]
            return max(ops, key=lambda i: end[i])
    top = max(end[i] for i in movable)
    return rng.choice([i for i in movable if end[i] == top])


def _mprev(sol: Solution) -> dict[int, int]:
    out = {}
    for s in sol.seq:
        for k in range(1, len(s)):
            out[s[k]] = s[k - 1]
    return out


def tails(c: Compiled, sol: Solution) -> list[int]:
    """Longest path from the end of each op to the sink (excluding the op itself)."""
    tail = [0] * c.n
    mnext = {}
    for line in sol.seq:
        for k in range(len(line) - 1):
            mnext[line[k]] = line[k + 1]
    end, start = sol.end, sol.start
    for i in reversed(sol.order):
        best = 0
        for s in c.succs[i]:
            v = end[s] - start[s] + tail[s]
            if v > best:
                best = v
        s = mnext.get(i, -1)
        if s >= 0:
            v = end[s] - start[s] + tail[s]
            if v > best:
                best = v
        tail[i] = best
    return tail


def neighbours(c: Compiled, sol: Solution, chain: list[int], rng: random.Random,
               reassign_limit: int = 8, tail: list[int] | None = None) -> list[Move]:
    pos = {}
    for s in sol.seq:
        for k, i in enumerate(s):
            pos[i] = k
    moves: list[Move] = []
    blocks = _blocks(sol, chain, pos)
    for b, block in enumerate(blocks):
        if len(block) < 2:
            continue
        m = sol.mach[block[0]]
        if b > 0 or len(blocks) == 1:
            moves.append((block[0], m, pos[block[0]] + 1))
        if b < len(blocks) - 1 or len(blocks) == 1:
            moves.append((block[-2], m, pos[block[-2]] + 1))
        if len(block) > 2:
            moves.append((block[-1], m, pos[block[0]]))
            moves.append((block[0], m, pos[block[-1]]))
    moves.extend(_reassignments(c, sol, chain, pos, reassign_limit,
                                tail if tail is not None else tails(c, sol)))
    return list(dict.fromkeys(moves))


def _blocks(sol: Solution, chain: list[int], pos: dict[int, int]) -> list[list[int]]:
    blocks: list[list[int]] = []
    for i in chain:
        if blocks and sol.mach[blocks[-1][-1]] == sol.mach[i] and \
                pos[blocks[-1][-1]] + 1 == pos[i]:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return blocks


def _reassignments(c: Compiled, sol: Solution, chain: list[int], pos: dict[int, int],
                   limit: int, tail: list[int]) -> list[Move]:
    start, end = sol.start, sol.end
    scored: list[tuple[float, Move]] = []
    starts = [[start[j] for j in line] for line in sol.seq]
    for i in chain:
        head = max([c.earliest[i]] + [end[p] for p in c.preds[i]])
        after = max((end[s] - start[s] + tail[s] for s in c.succs[i]), default=0)
        for m, d in c.durations[i].items():
            seq = sol.seq[m]
            best = None
            lo = bisect_left(starts[m], head)
            for k in range(max(lo - SPAN, 0), min(lo + SPAN + 1, len(seq)) + 1):
                if m == sol.mach[i] and k in (pos[i], pos[i] + 1):
                    continue
                a = seq[k - 1] if k > 0 else -1
                b = seq[k] if k < len(seq) else -1
                if a == i or b == i:
                    continue
                h = max(head, end[a] if a >= 0 else head)
                t = max(after, end[b] - start[b] + tail[b] if b >= 0 else 0)
                est = h + d + t
                if best is None or est < best[0]:
                    kk = k - 1 if m == sol.mach[i] and k > pos[i] else k
                    best = (est, (i, m, kk))
            if best is not None and m != sol.mach[i]:
                scored.append(best)
    scored.sort(key=lambda x: x[0])
    return [mv for _e, mv in scored[:limit]]


def apply_move(c: Compiled, sol: Solution, move: Move, objective: Objective) -> Solution | None:
    i, m, k = move
    old = sol.mach[i]
    seq = list(sol.seq)
    seq[old] = [j for j in seq[old] if j != i]
    target = list(seq[m]) if m != old else seq[old]
    target.insert(k, i)
    seq[m] = target
    mach = sol.mach
    if m != old:
        mach = list(mach)
        mach[i] = m
    return decode(c, mach, seq, objective)


def tabu_key(sol: Solution, i: int) -> tuple[int, int, int]:
    m = sol.mach[i]
    s = sol.seq[m]
    k = s.index(i)
    return (i, m, s[k - 1] if k > 0 else -1)


def estimate(c: Compiled, sol: Solution, tail: list[int], mv: Move,
             pos: dict[int, int]) -> float:
    """Head + duration + tail of the moved op after the move (setups ignored); for an
    adjacent swap on one machine, the classic two-op N5 estimate."""
    i, m, k = mv
    start, end, mach = sol.start, sol.end, sol.mach
    line = sol.seq[m]
    old = mach[i]
    if m == old and k == pos[i] + 1 and k < len(line):
        return _swap_estimate(c, sol, tail, i, line[k], pos)
    rest = [j for j in line if j != i] if m == old else line
    a = rest[k - 1] if k > 0 else -1
    b = rest[k] if k < len(rest) else -1
    head = max([c.earliest[i]] + [end[p] for p in c.preds[i]] + ([end[a]] if a >= 0 else []))
    after = max([end[s] - start[s] + tail[s] for s in c.succs[i]]
                + ([end[b] - start[b] + tail[b]] if b >= 0 else []) + [0])
    return head + c.durations[i][m] + after


def _swap_estimate(c: Compiled, sol: Solution, tail: list[int], u: int, v: int,
                   pos: dict[int, int]) -> float:
    start, end = sol.start, sol.end
    line = sol.seq[sol.mach[u]]
    pu, pv = end[u] - start[u], end[v] - start[v]
    k = pos[u]
    before = line[k - 1] if k > 0 else -1
    after = line[k + 2] if k + 2 < len(line) else -1
    rv = max([c.earliest[v]] + [end[p] for p in c.preds[v]] + ([end[before]] if before >= 0
                                                                  else []))
    ru = max([c.earliest[u], rv + pv] + [end[p] for p in c.preds[u]])
    qu = max([0] + [end[s] - start[s] + tail[s] for s in c.succs[u]]
             + ([end[after] - start[after] + tail[after]] if after >= 0 else []))
    qv = max([pu + qu] + [end[s] - start[s] + tail[s] for s in c.succs[v]])
    return max(rv + pv + qv, ru + pu + qu)


def tabu_search(c: Compiled, sol: Solution, objective: Objective, deadline: float,
                rng: random.Random, stall: int = 150, exact: int = 4,
                clock: Clock = time.perf_counter) -> tuple[Solution, int]:
    """Tabu search with aspiration until `deadline` on `clock`. Moves are ranked by a
    head/tail estimate and only the `exact` most promising are decoded; restarts from the
    best after `stall` idle steps."""
    best = cur = sol
    tabu: dict[tuple[int, int, int], int] = {}
    it = idle = 0
    tenure = 6 + c.n // 40
    while clock() < deadline:
        it += 1
        chosen = _step(c, cur, best, objective, rng, tabu, it, exact)
        if chosen is None:
            cur, idle = perturb(c, best, objective, rng), 0
            continue
        tabu[tabu_key(cur, chosen[1])] = it + tenure + rng.randint(0, tenure)
        cur = chosen[0]
        if cur.score < best.score:
            best, idle = cur, 0
        else:
            idle += 1
            if idle > stall:
                cur, idle = perturb(c, best, objective, rng), 0
    return best, it


def _step(c: Compiled, cur: Solution, best: Solution, objective: Objective,
          rng: random.Random, tabu: dict[tuple[int, int, int], int], it: int,
          exact: int) -> tuple[Solution, int] | None:
    chain = critical_chain(c, cur, objective, rng)
    pos = {i: k for line in cur.seq for k, i in enumerate(line)}
    tail = tails(c, cur)
    ranked = sorted((estimate(c, cur, tail, mv, pos) + rng.random() * 0.5, mv)
                    for mv in neighbours(c, cur, chain, rng, tail=tail))
    chosen: tuple[float, Solution, int] | None = None
    tried = 0
    for _est, mv in ranked:
        if tried >= exact:
            break
        cand = apply_move(c, cur, mv, objective)
        if cand is None:
            continue
        if tabu.get(tabu_key(cand, mv[0]), 0) > it and cand.score >= best.score:
            continue
        tried += 1
        key = cand.score + rng.random() * 1e-9
        if chosen is None or key < chosen[0]:
            chosen = (key, cand, mv[0])
    return None if chosen is None else (chosen[1], chosen[2])


def perturb(c: Compiled, sol: Solution, objective: Objective, rng: random.Random,
            strength: int | None = None) -> Solution:
    """A few random feasible moves on critical ops, worsening allowed, to leave a basin."""
    cur = sol
    strength = PERTURB if strength is None else strength
    for _ in range(strength * 3):
        chain = critical_chain(c, cur, objective, rng)
        moves = neighbours(c, cur, chain, rng, reassign_limit=20)
        if not moves:
            break
        cand = apply_move(c, cur, rng.choice(moves), objective)
        if cand is not None:
            cur = cand
            strength -= 1
            if strength <= 0:
                break
    return cur
