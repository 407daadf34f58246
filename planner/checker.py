"""Independent schedule checker. Written apart from the solver: it reads only the Problem."""

from __future__ import annotations

from collections import defaultdict

from planner.calendar import availability
from planner.model import Assignment, Problem, Schedule, Violation


def check(problem: Problem, schedule: Schedule,
          fixed: tuple[Assignment, ...] | list[Assignment] = ()) -> list[Violation]:
    """Every broken rule, each with a message naming the operation and machine.

    `fixed` is the work that must stay exactly as it was (done, running, frozen). It is taken
    as given: the shop floor reports what really happened (an operation that ran long, on
    another machine, past a shift's end), so the checker judges only what the planner decided:
    every rule is checked for each pair or operation in which something movable takes part."""
    ops = {op.id: op for op in problem.operations}
    by_op: dict[str, Assignment] = {}
    out: list[Violation] = []
    for a in schedule.assignments:
        if a.operation_id in by_op:
            out.append(Violation("duplicate", f"{a.operation_id} is scheduled twice",
                                 a.operation_id))
        by_op[a.operation_id] = a
    given = frozenset(f.operation_id for f in fixed)
    decided = {op_id: a for op_id, a in by_op.items() if op_id not in given}
    out += _coverage(ops, by_op)
    out += _durations(problem, ops, decided)
    out += _precedence(problem, ops, by_op, given)
    out += _machines(problem, ops, by_op, given)
    out += _fixed(fixed, by_op)
    return out


def _coverage(ops: dict, by_op: dict[str, Assignment]) -> list[Violation]:
    out = [Violation("missing", f"{op_id} is not scheduled", op_id)
           for op_id in ops if op_id not in by_op]
    out += [Violation("unknown", f"{op_id} is not an operation of the problem", op_id)
            for op_id in by_op if op_id not in ops]
    return out


def _durations(problem: Problem, ops: dict, by_op: dict[str, Assignment]) -> list[Violation]:
    out = []
    for a in by_op.values():
        op = ops.get(a.operation_id)
        if op is None:
            continue
        minutes = op.duration_on(a.machine_id)
        if minutes is None:
            out.append(Violation("eligibility", f"{op.id} cannot run on {a.machine_id}",
                                 op.id, a.machine_id))
        elif a.end - a.start != minutes:
            out.append(Violation("duration", f"{op.id} lasts {a.end - a.start} min on "
                                 f"{a.machine_id}, expected {minutes}", op.id, a.machine_id))
    return out


def _precedence(problem: Problem, ops: dict, by_op: dict[str, Assignment],
                given: frozenset[str] = frozenset()) -> list[Violation]:
    releases = {o.id: o.release for o in problem.orders}
    out = []
    for a in by_op.values():
        op = ops.get(a.operation_id)
        if op is None:
            continue
        if a.operation_id in given:
            continue  # a given operation waits for nothing: its predecessors were given too
        if a.start < releases.get(op.order_id, 0):
            out.append(Violation("release", f"{op.id} starts at {a.start} before its order "
                                 f"{op.order_id} is released", op.id, a.machine_id))
        for p in op.predecessors:
            before = by_op.get(p)
            if before is not None and before.end > a.start:
                out.append(Violation("precedence", f"{op.id} starts at {a.start} before its "
                                     f"predecessor {p} ends at {before.end}", op.id, a.machine_id))
    return out


def _machines(problem: Problem, ops: dict, by_op: dict[str, Assignment],
              given: frozenset[str] = frozenset()) -> list[Violation]:
    setups = problem.setup_map()
    per_machine: dict[str, list[Assignment]] = defaultdict(list)
    for a in by_op.values():
        per_machine[a.machine_id].append(a)
    out = []
    for machine in problem.machines:
        windows = availability(machine)
        line = sorted(per_machine.get(machine.id, []), key=lambda a: (a.start, a.end))
        for a in line:
            if a.operation_id in given:
                continue
            if not any(w.start <= a.start and a.end <= w.end for w in windows):
                out.append(Violation("calendar", f"{a.operation_id} on {machine.id} at "
                                     f"[{a.start}, {a.end}) is outside the machine's shifts "
                                     "or in planned downtime", a.operation_id, machine.id))
        out += _neighbours(line, ops, setups, machine.id, given)
    return out


def _neighbours(line: list[Assignment], ops: dict, setups: dict, machine_id: str,
                given: frozenset[str]) -> list[Violation]:
    """Overlaps and changeovers on one machine (`line` sorted by start) wherever a decided
    operation takes part; given ones may overlap each other (the shop floor did so)."""
    return _overlaps(line, machine_id, given) + [
        v for prev, nxt in zip(line, line[1:], strict=False)
        if not (prev.operation_id in given and nxt.operation_id in given)
        and nxt.start >= prev.end
        for v in _pair(prev, nxt, ops, setups, machine_id)]


def _overlaps(line: list[Assignment], machine_id: str,
              given: frozenset[str]) -> list[Violation]:
    """Two operations overlap when the later one starts before the earlier one ends; the
    furthest end reached so far, by given and by decided work, finds every such pair."""
    reach: dict[bool, tuple[str, int] | None] = {True: None, False: None}
    out = []
    for a in line:
        is_given = a.operation_id in given
        rivals = [r for r in (reach[False], None if is_given else reach[True]) if r is not None]
        hit = max(rivals, key=lambda r: r[1], default=None)
        if hit is not None and a.start < hit[1]:
            out.append(Violation("overlap", f"{hit[0]} and {a.operation_id} overlap on "
                                 f"{machine_id}", a.operation_id, machine_id))
        mine = reach[is_given]
        if mine is None or a.end > mine[1]:
            reach[is_given] = (a.operation_id, a.end)
    return out


def _pair(prev: Assignment, nxt: Assignment, ops: dict, setups: dict,
          machine_id: str) -> list[Violation]:
    if nxt.start < prev.end:
        return [Violation("overlap", f"{prev.operation_id} and {nxt.operation_id} overlap on "
                          f"{machine_id}", nxt.operation_id, machine_id)]
    a, b = ops.get(prev.operation_id), ops.get(nxt.operation_id)
    if a is None or b is None:
        return []
    need = setups.get((a.setup_family, b.setup_family), 0)
    if nxt.start < prev.end + need:
        return [Violation("setup", f"{nxt.operation_id} starts {nxt.start - prev.end} min after "
                          f"{prev.operation_id} on {machine_id}; changeover "
                          f"{a.setup_family}->{b.setup_family} needs {need}",
                          nxt.operation_id, machine_id)]
    return []


def _fixed(fixed, by_op: dict[str, Assignment]) -> list[Violation]:
    out = []
    for f in fixed:
        now = by_op.get(f.operation_id)
        if now is None or (now.machine_id, now.start, now.end) != (f.machine_id, f.start, f.end):
            where = "removed" if now is None else \
                f"now on {now.machine_id} [{now.start}, {now.end})"
            out.append(Violation("fixed_moved", f"fixed {f.operation_id} ({f.status.value}) was "
                                 f"on {f.machine_id} [{f.start}, {f.end}), {where}",
                                 f.operation_id, f.machine_id))
    return out
