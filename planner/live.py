"""A live schedule kept incrementally: insertion touches only the work it moves.

Per machine, the movable work is a list sorted by start (searched by bisect) and the fixed
work (done, running, frozen) is cut out of the calendar as `calendar.Gaps`, exactly as the
compiled model does. Precedence links go both ways, so a push-right propagates through the
operations it reaches and no further. Every change is logged, so a hypothetical insertion
(the promise at a click) is undone in the time it took, leaving the structure as it was.

Insertion policy, lexicographic: the new order's lateness, then the weighted tardiness added
to other orders, then how many existing operations move. Gap insertion (nothing moves) is
tried first; push-right candidates only when no gap keeps the order on time."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from planner.calendar import Gaps, availability, build_gaps
from planner.model import (
    INFINITY,
    Assignment,
    Minutes,
    Operation,
    Order,
    PlanningError,
    Problem,
    Schedule,
    Status,
)

PUSH_POSITIONS = 4  # push candidates per machine: the positions around the op's ready time
PUSH_LIMIT = 100  # a push moving more ops than this is not considered: it bounds the
# disruption and the time of one candidate (a cascade through a dense plant reaches far)


class Policy(Enum):
    BEST = "best"  # gap first, push-right only when no gap keeps the order on time
    GAP_ONLY = "gap_only"  # never moves anything
    PUSH_RIGHT = "push_right"  # the former rule: least added tardiness first, pushes always


@dataclass(frozen=True)
class Placement:
    """What inserting one order did."""

    order_id: str
    completion: Minutes
    lateness: Minutes
    added_tardiness: float  # weighted, to the other orders
    moved: tuple[str, ...]  # existing operations whose start changed


@dataclass
class _Candidate:
    key: tuple[float, ...]
    machine: int
    position: int
    start: Minutes
    changes: dict[int, int]


@dataclass
class _Commit:
    op: int
    machine: int
    position: int
    start: Minutes
    new: dict[int, int]  # op -> start after (the pushed ops)
    old: dict[int, int]  # op -> start before


@dataclass(frozen=True)
class _Mark:
    log: int
    ops: int
    orders: int


class LiveSchedule:
    """Machine timelines, precedence links and the orders' due dates of one plan."""

    def __init__(self, problem: Problem, schedule: Schedule, frozen_until: Minutes) -> None:
        self.machine_ids = [m.id for m in problem.machines]
        self.machine_ix = {mid: k for k, mid in enumerate(self.machine_ids)}
        self._longest = [max((w.end - w.start for w in availability(m)), default=0)
                         for m in problem.machines]
        self.fam_ix: dict[str, int] = {}
        self.setup: list[list[int]] = []
        self.add_setups(problem.setups)
        self.orders: dict[str, Order] = {o.id: o for o in problem.orders}
        self.order_ops: dict[str, list[int]] = {o.id: [] for o in problem.orders}
        self.ids: list[str] = []
        self.ix: dict[str, int] = {}
        self.order_of: list[str] = []
        self.dur: list[dict[int, int]] = []
        self.fam: list[int] = []
        self.preds: list[list[int]] = []
        self.succs: list[list[int]] = []
        self.mach: list[int] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.fixed: list[bool] = []
        self.status: dict[int, Status] = {}
        self._log: list[_Commit] = []
        self._added: list[str] = []  # orders inserted, oldest first (for undo)
        self.push_limit = PUSH_LIMIT
        self._load(problem, schedule, frozen_until)

    # -- building ---------------------------------------------------------------------------

    def add_setups(self, setups: Iterable[tuple[tuple[str, str], Minutes]]) -> None:
        for (a, b), minutes in setups:
            self.setup[self._family(a)][self._family(b)] = minutes

    def _family(self, name: str) -> int:
        k = self.fam_ix.get(name)
        if k is None:
            k = self.fam_ix[name] = len(self.setup)
            for row in self.setup:
                row.append(0)
            self.setup.append([0] * (k + 1))
        return k

    def _load(self, problem: Problem, schedule: Schedule, frozen_until: Minutes) -> None:
        placed = schedule.by_operation()
        ops = [op for op in problem.operations if op.id in placed]
        for op in ops:
            self._add_op(op)
        for op in ops:
            self._link(op)
        per_machine: list[list[tuple[int, int, int]]] = [[] for _ in self.machine_ids]
        movable: list[list[tuple[int, int]]] = [[] for _ in self.machine_ids]
        for i, op_id in enumerate(self.ids):
            a = placed[op_id]
            m = self.machine_ix[a.machine_id]
            self.mach[i], self.start[i], self.end[i] = m, a.start, a.end
            if a.fixed or a.start < frozen_until:
                self.fixed[i] = True
                self.status[i] = a.status if a.fixed else Status.FROZEN
                per_machine[m].append((a.start, a.end, self.fam[i]))
            else:
                movable[m].append((a.start, i))
        windows = [availability(m) for m in problem.machines]
        self.gaps: list[Gaps] = [build_gaps(w, per_machine[k]) for k, w in enumerate(windows)]
        self.lines = [[i for _, i in sorted(row)] for row in movable]
        self.lstart = [[s for s, _ in sorted(row)] for row in movable]
        self._settle_movable()

    def _settle_movable(self) -> None:
        """Movable work waits for what the floor really did: a running operation reported
        late, a released one shifted after late work (planner.settle), new downtime. In
        planned order, each starts at its planned time or, where that is no longer possible,
        at the first moment clear of its predecessors, its machine's earlier work and the
        fixed work, so insertion starts from a plan the checker accepts."""
        for i, m, k in self._movable_in_dependency_order():
            ready = max([self.start[i]] + [self.end[p] for p in self.preds[i]])
            if k > 0:
                before = self.lines[m][k - 1]
                ready = max(ready, self.end[before] + self.setup[self.fam[before]][self.fam[i]])
            d = self.dur[i].get(m, self.end[i] - self.start[i])
            t = self.gaps[m].fit(ready, d, self.fam[i], self.setup)
            if t >= INFINITY or (t == self.start[i] and self.end[i] == t + d):
                continue  # nowhere later to go: the checker will say so
            self.start[i], self.end[i], self.lstart[m][k] = t, t + d, t

    def _movable_in_dependency_order(self) -> Iterator[tuple[int, int, int]]:
        """(op, machine, position) with every movable predecessor and every earlier op on the
        same machine first, earliest start first among the ready; a plan whose precedence
        is inverted (a successor planned before its predecessor) is settled too. A cycle
        (only bad input makes one) is broken at the earliest start."""
        where = {i: (m, k) for m, line in enumerate(self.lines) for k, i in enumerate(line)}
        waiting = {i: sum(p in where for p in self.preds[i]) + (where[i][1] > 0) for i in where}
        ready = [(self.start[i], i) for i, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        left = set(where)
        while left:
            if not ready:
                i = min(left, key=lambda j: (self.start[j], j))
                waiting[i] = 0
                heapq.heappush(ready, (self.start[i], i))
            _, i = heapq.heappop(ready)
            if i not in left:
                continue
            left.discard(i)
            m, k = where[i]
            yield i, m, k
            after = [s for s in self.succs[i] if s in where]
            if k + 1 < len(self.lines[m]):
                after.append(self.lines[m][k + 1])
            for s in after:
                waiting[s] -= 1
                if waiting[s] == 0 and s in left:
                    heapq.heappush(ready, (self.start[s], s))

    def _add_op(self, op: Operation) -> int:
        i = len(self.ids)
        self.ids.append(op.id)
        self.ix[op.id] = i
        self.order_of.append(op.order_id)
        self.order_ops.setdefault(op.order_id, []).append(i)
        self.dur.append({self.machine_ix[m]: d for m, d in op.durations})
        self.fam.append(self._family(op.setup_family))
        self.preds.append([])
        self.succs.append([])
        self.mach.append(-1)
        self.start.append(0)
        self.end.append(0)
        self.fixed.append(False)
        return i

    def _link(self, op: Operation) -> None:
        i = self.ix[op.id]
        for p in op.predecessors:
            if p in self.ix:
                self.preds[i].append(self.ix[p])
                self.succs[self.ix[p]].append(i)

    # -- reading ----------------------------------------------------------------------------

    @property
    def n(self) -> int:
        return len(self.ids)

    def schedule(self) -> Schedule:
        return Schedule(tuple(
            Assignment(self.ids[i], self.machine_ids[self.mach[i]], self.start[i], self.end[i],
                       self.status.get(i, Status.MOVABLE))
            for i in range(self.n) if self.mach[i] >= 0))

    def completion(self, order_id: str) -> Minutes:
        return max((self.end[i] for i in self.order_ops.get(order_id, ()) if self.mach[i] >= 0),
                   default=0)

    def tardiness(self, order_id: str) -> float:
        order = self.orders[order_id]
        return max(0, self.completion(order_id) - order.due) * order.weight

    # -- undo -------------------------------------------------------------------------------

    def mark(self) -> _Mark:
        return _Mark(len(self._log), self.n, len(self._added))

    def rollback(self, mark: _Mark) -> None:
        """Undo everything done since `mark`, newest first: the structure is as it was."""
        while len(self._log) > mark.log:
            c = self._log.pop()
            del self.lines[c.machine][c.position]
            del self.lstart[c.machine][c.position]
            self.mach[c.op] = -1
            self._retime(c.old)
        for i in range(self.n - 1, mark.ops - 1, -1):
            self._drop_op(i)
        while len(self._added) > mark.orders:
            order_id = self._added.pop()
            del self.orders[order_id], self.order_ops[order_id]

    def _drop_op(self, i: int) -> None:
        for p in self.preds[i]:
            self.succs[p].remove(i)
        ops = self.order_ops.get(self.order_of[i])
        if ops and ops[-1] == i:
            ops.pop()
        del self.ix[self.ids[i]]
        for column in (self.ids, self.order_of, self.dur, self.fam, self.preds, self.succs,
                       self.mach, self.start, self.end, self.fixed):
            column.pop()  # type: ignore[attr-defined]

    # -- inserting --------------------------------------------------------------------------

    def insert_order(self, order: Order, ops: Sequence[Operation], not_before: Minutes,
                     policy: Policy = Policy.BEST) -> Placement:
        """Add `order` and place its operations, none before `not_before`; existing work
        starting before `not_before` does not move. Raises PlanningError for bad input or
        when no position exists (and then leaves the structure as it was)."""
        self._validate(order, ops)
        outer = self.mark()
        self._added.append(order.id)
        self.orders[order.id] = order
        self.order_ops[order.id] = []
        new = [self._add_op(op) for op in ops]
        for op in ops:
            self._link(op)
        try:
            ordered = _topological(self, new, order)
            return self._place_best(order, ordered, not_before, policy)
        except PlanningError:
            self.rollback(outer)
            raise

    def _place_best(self, order: Order, ordered: list[int], not_before: Minutes,
                    policy: Policy) -> Placement:
        """Gap-first pass; when it leaves the order late, a pass where every op may push,
        kept only if it is lexicographically better."""
        start = self.mark()
        first = self._place_all(order, ordered, not_before, policy, start, pushes=False)
        if policy is not Policy.BEST or first.lateness == 0:
            return first
        kept = self._log[start.log:]
        self.rollback(start)
        try:
            second = self._place_all(order, ordered, not_before, policy, start, pushes=True)
        except PlanningError:
            second = None
        if second is not None and _rank(second) < _rank(first):
            return second
        self.rollback(start)
        for c in kept:  # the first pass again, decision by decision, without the search
            self._apply(c.op, c.machine, c.position, c.start, c.new)
        return first

    def _place_all(self, order: Order, ordered: list[int], not_before: Minutes,
                   policy: Policy, since: _Mark, pushes: bool) -> Placement:
        remaining = _remaining(self, ordered)
        for i in ordered:
            best = self._best(i, order, not_before, remaining[i], policy, pushes)
            if best is None:
                raise PlanningError(f"no feasible position for {self.ids[i]}",
                                    order.id, self.ids[i])
            self._apply(i, best.machine, best.position, best.start, best.changes)
        return self._placement(order, since)

    def _placement(self, order: Order, since: _Mark) -> Placement:
        """Lateness of `order`; moves and added tardiness of the others since `since`."""
        first: dict[int, int] = {}
        for c in self._log[since.log:]:
            for j, old in c.old.items():
                first.setdefault(j, old)
        moved = [j for j, old in first.items()
                 if self.start[j] != old and self.order_of[j] != order.id]
        added = 0.0
        for k in {self.order_of[j] for j in moved}:
            o = self.orders[k]
            ops = [j for j in self.order_ops[k] if self.mach[j] >= 0]
            before = max(first[j] + self.end[j] - self.start[j] if j in first else self.end[j]
                         for j in ops)
            added += (self.tardiness(k) - max(0, before - o.due) * o.weight)
        done = self.completion(order.id)
        return Placement(order.id, done, max(0, done - order.due), added,
                         tuple(self.ids[j] for j in sorted(moved)))

    def _best(self, i: int, order: Order, not_before: Minutes, rest: int, policy: Policy,
              pushes: bool) -> _Candidate | None:
        ready = max([not_before, order.release] + [self.end[p] for p in self.preds[i]])
        gaps = [c for m in self.dur[i]
                if (c := self._gap(i, m, ready, order, rest, pushes)) is not None]
        best = min(gaps, key=lambda c: c.key, default=None)
        if policy is Policy.GAP_ONLY:
            return best
        if policy is Policy.BEST and not pushes and best is not None and best.key[0] == 0:
            return best
        for late, end, m, k, t in sorted(self._push_slots(i, ready, order, rest)):
            limit = _limit(best, policy, pushes, late, end, self.push_limit)
            if limit < 0:
                break  # sorted by lateness (and end): no later slot can win
            line = self.lines[m]
            a = line[k - 1] if k > 0 else -1
            changes = self._propagate(i, t, end, a, line[k], not_before, limit)
            if changes is None:
                continue
            added, moved, shift = self._disruption(changes)
            cand = _Candidate(_key(policy, pushes, late, added, moved, shift, end), m, k, t,
                              changes)
            if best is None or cand.key < best.key:
                best = cand
        return best

    def _late(self, order: Order, end: Minutes, rest: int) -> float:
        return max(0, end + rest - order.due) * order.weight

    def _gap(self, i: int, m: int, ready: Minutes, order: Order, rest: int,
             fastest: bool) -> _Candidate | None:
        """The earliest idle stretch of machine m from `ready` that holds i moving nothing."""
        line, starts, d, f = self.lines[m], self.lstart[m], self.dur[i][m], self.fam[i]
        setup, end, fam = self.setup, self.end, self.fam
        k = bisect_left(starts, ready)
        while k <= len(line):
            a = line[k - 1] if k > 0 else -1
            t = ready if a < 0 else max(ready, end[a] + setup[fam[a]][f])
            if k < len(line):
                b = line[k]
                if starts[k] - t < d + setup[f][fam[b]]:
                    k += 1
                    continue
            t = self.gaps[m].fit(t, d, f, setup)
            if t >= INFINITY:
                return None
            if k == len(line) or t + d + setup[f][fam[line[k]]] <= starts[k]:
                late = self._late(order, t + d, rest)
                return _Candidate(_key(Policy.BEST, fastest, late, 0.0, 0, 0, t + d), m, k, t,
                                  {})
            k += 1
        return None

    def _push_slots(self, i: int, ready: Minutes, order: Order,
                    rest: int) -> list[tuple[float, int, int, int, int]]:
        """(lateness, end, machine, position, start) of putting i before an existing op near
        its ready time, which pushes that op and what follows it right."""
        out = []
        for m, d in self.dur[i].items():
            line = self.lines[m]
            lo = bisect_left(self.lstart[m], ready)
            for k in range(max(lo - 1, 0), min(lo + PUSH_POSITIONS, len(line))):
                a = line[k - 1] if k > 0 else -1
                t = ready if a < 0 else max(ready, self.end[a]
                                            + self.setup[self.fam[a]][self.fam[i]])
                t = self.gaps[m].fit(t, d, self.fam[i], self.setup)
                if t < INFINITY:
                    out.append((self._late(order, t + d, rest), t + d, m, k, t))
        return out

    def _propagate(self, i: int, start_i: int, end_i: int, a: int, b: int,
                   frozen: Minutes, limit: int) -> dict[int, int] | None:
        """New starts of the ops pushed by putting i (ending at end_i) between a and b; None
        when it would move fixed or frozen work, a predecessor of i, or i's left neighbour."""
        new: dict[int, int] = {}
        start, end, dur, mach, setup, fam = (self.start, self.end, self.dur, self.mach,
                                             self.setup, self.fam)
        heap = [(start[b], b)]
        while heap:
            _s, j = heapq.heappop(heap)
            m = mach[j]
            pos = self._pos(j)
            p = i if j == b else (self.lines[m][pos - 1] if pos > 0 else -1)
            t = new.get(j, start[j])
            if p >= 0:
                e = end_i if p == i else (new[p] + dur[p][mach[p]] if p in new else end[p])
                t = max(t, e + setup[fam[p]][fam[j]])
            for q in self.preds[j]:
                e = new[q] + dur[q][mach[q]] if q in new else end[q]
                t = max(t, e)
            if t <= new.get(j, start[j]):
                continue
            if self.fixed[j] or start[j] < frozen or j == a or len(new) >= limit:
                return None
            t = self.gaps[m].fit(t, dur[j][m], fam[j], setup)
            if t >= INFINITY:
                return None
            new[j] = t
            for s in self.succs[j]:
                if mach[s] >= 0:
                    heapq.heappush(heap, (start[s], s))
            if pos + 1 < len(self.lines[m]):
                heapq.heappush(heap, (self.lstart[m][pos + 1], self.lines[m][pos + 1]))
        if any(new[q] + dur[q][mach[q]] > start_i for q in self.preds[i] if q in new):
            return None
        return new

    def _pos(self, j: int) -> int:
        m = self.mach[j]
        line, k = self.lines[m], bisect_left(self.lstart[m], self.start[j])
        while line[k] != j:
            k += 1
        return k

    def _disruption(self, changes: dict[int, int]) -> tuple[float, int, int]:
        """Weighted tardiness the changes add to the orders they touch, moves, total shift."""
        shift = sum(t - self.start[j] for j, t in changes.items())
        added = 0.0
        for k in {self.order_of[j] for j in changes}:
            o = self.orders[k]
            ops = [j for j in self.order_ops[k] if self.mach[j] >= 0]
            after = max(changes[j] + self.end[j] - self.start[j] if j in changes
                        else self.end[j] for j in ops)
            before = max(self.end[j] for j in ops)
            added += (max(0, after - o.due) - max(0, before - o.due)) * o.weight
        return added, len(changes), shift

    def _apply(self, i: int, m: int, k: int, t: Minutes, changes: dict[int, int]) -> None:
        old = {j: self.start[j] for j in changes}
        self._retime(changes)
        self.mach[i], self.start[i], self.end[i] = m, t, t + self.dur[i][m]
        self.lines[m].insert(k, i)
        self.lstart[m].insert(k, t)
        self._log.append(_Commit(i, m, k, t, changes, old))

    def _retime(self, starts: dict[int, int]) -> None:
        """Set new starts; positions are found first, while the start lists are sorted."""
        where = [(j, self._pos(j)) for j in starts]
        for j, pos in where:
            t = starts[j]
            self.start[j], self.end[j] = t, t + self.dur[j][self.mach[j]]
            self.lstart[self.mach[j]][pos] = t

    def _validate(self, order: Order, ops: Sequence[Operation]) -> None:
        if order.id in self.orders:
            raise PlanningError("order id is already planned", order_id=order.id)
        if order.due < order.release:
            raise PlanningError(f"due date {order.due} is before release {order.release}",
                                order_id=order.id)
        own = {op.id for op in ops}
        for op in ops:
            _check_op(self, op, order, own)


def _check_op(live: LiveSchedule, op: Operation, order: Order, own: set[str]) -> None:
    if op.id in live.ix:
        raise PlanningError("operation id used twice", order.id, op.id)
    if op.order_id != order.id:
        raise PlanningError(f"belongs to order {op.order_id}, not {order.id}", order.id, op.id)
    if not op.durations:
        raise PlanningError("no machine can run it (no eligible machine)", order.id, op.id)
    for mid, minutes in op.durations:
        if mid not in live.machine_ix:
            raise PlanningError(f"eligible machine {mid!r} does not exist", order.id, op.id)
        if minutes < 0:
            raise PlanningError(f"negative duration on {mid}", order.id, op.id)
    if all(live._longest[live.machine_ix[mid]] < minutes for mid, minutes in op.durations):
        raise PlanningError("no eligible machine has a calendar window long enough "
                            "(empty calendar?)", order.id, op.id)
    for p in op.predecessors:
        if p not in own and p not in live.ix:
            raise PlanningError(f"unknown predecessor {p!r}", order.id, op.id)


def _key(policy: Policy, fastest: bool, late: float, added: float, moved: int, shift: int,
         end: Minutes) -> tuple[float, ...]:
    """How a candidate ranks. The second pass of BEST (`fastest`: the first left the order
    late) has each op end earliest, since the lateness estimate is only a lower bound."""
    if policy is Policy.PUSH_RIGHT:
        return (added, late, moved, shift, end)
    if fastest:
        return (late, end, added, moved, shift)
    return (late, added, moved, shift, end)


def _limit(best: _Candidate | None, policy: Policy, fastest: bool, late: float,
           end: Minutes, cap: int) -> int:
    """How many ops a push at (late, end) may move and still beat `best`; -1: it cannot.
    Added tardiness is never negative, so with `best` adding none only fewer moves win."""
    if best is None or policy is Policy.PUSH_RIGHT:
        return cap
    if best.key[0] < late or (fastest and best.key[:2] < (late, end)):
        return -1
    added, moved = (2, 3) if fastest else (1, 2)  # where they stand in the key
    if best.key[:added] == ((late, end) if fastest else (late,)) and best.key[added] == 0:
        return int(best.key[moved])
    return cap


def _rank(p: Placement) -> tuple[float, float, int]:
    return (p.lateness, p.added_tardiness, len(p.moved))


def _topological(live: LiveSchedule, new: list[int], order: Order) -> list[int]:
    mine = set(new)
    indeg = {i: sum(p in mine for p in live.preds[i]) for i in new}
    stack = [i for i in reversed(new) if indeg[i] == 0]
    out: list[int] = []
    while stack:
        i = stack.pop()
        out.append(i)
        for s in live.succs[i]:
            if s in mine:
                indeg[s] -= 1
                if indeg[s] == 0:
                    stack.append(s)
    if len(out) < len(new):
        stuck = next(i for i in new if indeg[i] > 0)
        raise PlanningError("precedence cycle through this operation", order.id, live.ids[stuck])
    return out


def _remaining(live: LiveSchedule, ordered: list[int]) -> dict[int, int]:
    """Shortest work still to do after each new op: a lower bound for its order's end."""
    rest = dict.fromkeys(ordered, 0)
    for i in reversed(ordered):
        rest[i] = max((min(live.dur[s].values()) + rest[s]
                       for s in live.succs[i] if s in rest), default=0)
    return rest


def insert_into(problem: Problem, schedule: Schedule, new_orders: Sequence[Order],
                new_operations: Sequence[Operation], frozen_until: Minutes) -> Schedule:
    """`schedule` with the new orders inserted one by one, in the order given."""
    known = {o.id for o in new_orders}
    for op in new_operations:
        if op.order_id not in known:
            raise PlanningError("belongs to an unknown order", op.order_id, op.id)
    live = LiveSchedule(problem, schedule, frozen_until)
    for order in new_orders:
        ops = [op for op in new_operations if op.order_id == order.id]
        live.insert_order(order, ops, frozen_until)
    return live.schedule()
