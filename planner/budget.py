"""Wall-clock budgets: one deadline covers the whole answer, not just the search.

A time limit is what the caller waits for: process start (for a command), reading and
compiling the problem, the search, building the Schedule, checking and printing it. So a
command takes its deadline from the moment its process started, each stage asks what is
left of it, and every stage that cannot be interrupted (a CBC run, the final extraction) is
given only the remainder less a reserve measured for what still has to follow.

The functions here are pure (a deadline and a clock reading in, seconds out) so the budget
logic is tested without timing anything; `Deadline` pairs a deadline with its clock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Clock = Callable[[], float]

# Reserves, in seconds, measured on the shared 2-core box (load 2-7) on mk10, vdata/abz7 and
# lar04_3 (240-500 ops): after the search, to_schedule takes 1-5 ms, check 2 ms, printing
# 5-10 ms; the interpreter's exit 10-150 ms (with the final collection skipped, see
# c2m plan-fjsp). The command's reserve is about twice the worst of that.
SCHEDULE_BASE = 0.005  # building the Schedule from the solution (API callers)
SCHEDULE_PER_OP = 20e-6
OUTPUT_BASE = 0.20  # check + print + interpreter exit, for the command line
OUTPUT_PER_OP = 60e-6
# A CBC run takes this much beyond its own (wall-clock) time limit: writing the MPS file,
# starting the process, reading and preprocessing before CBC's clock checks, writing and
# reading the solution: 0.05-0.21 s measured on 12-op windows of mk10 and vdata/abz7.
# CBC is killed if it is still running at the deadline.
CBC_OVERHEAD = 0.25
MIN_CBC_SECONDS = 0.05  # below this a window is not worth starting CBC for
MIN_WINDOW_SECONDS = 0.5  # below this no MILP window is built (nor PuLP imported)
MAX_AGE = 24 * 3600.0  # a process "older" than this means the reading is wrong


@dataclass(frozen=True)
class Deadline:
    """A moment `at` on `clock` (default: time.perf_counter) by which the answer is due."""

    at: float
    clock: Clock = time.perf_counter

    @classmethod
    def after(cls, seconds: float, clock: Clock = time.perf_counter,
              already: float = 0.0) -> Deadline:
        """`seconds` from now, less the `already` seconds spent before now."""
        return cls(deadline_from(clock(), seconds, already), clock)

    def budget(self, reserve: float = 0.0) -> float:
        """Seconds left for the next stage, keeping `reserve` for what must follow it."""
        return remaining_budget(self.at, self.clock(), reserve)

    def less(self, reserve: float) -> Deadline:
        """The deadline of a stage that must leave `reserve` seconds for the stages after it."""
        return Deadline(self.at - max(reserve, 0.0), self.clock)


def deadline_from(now: float, limit: float, already: float = 0.0) -> float:
    """The deadline of a `limit`-second budget of which `already` seconds were spent by `now`."""
    return now - max(already, 0.0) + max(limit, 0.0)


def remaining_budget(deadline: float, now: float, reserve: float = 0.0) -> float:
    """Seconds a stage may take at `now` so that `reserve` seconds remain before `deadline`;
    never negative (0 means: no time for this stage, take the fallback)."""
    return max(0.0, deadline - now - max(reserve, 0.0))


def cbc_seconds(deadline: float, now: float, cap: float,
                overhead: float = CBC_OVERHEAD) -> float:
    """CBC's own time limit for a model built by `now`: what remains before `deadline` less
    CBC's fixed overhead, at most `cap`; 0 when that is too little to be worth a run."""
    left = min(cap, remaining_budget(deadline, now, overhead))
    return left if left >= MIN_CBC_SECONDS else 0.0


def schedule_reserve(ops: int) -> float:
    """Seconds kept back from the search to turn its solution into a Schedule."""
    return SCHEDULE_BASE + SCHEDULE_PER_OP * ops


def output_reserve(ops: int) -> float:
    """Seconds a command keeps back for checking and printing the plan, and exiting."""
    return OUTPUT_BASE + OUTPUT_PER_OP * ops


def start_ticks(stat: str) -> int:
    """Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot.
    The command name (field 2) is in parentheses and may itself hold spaces or ')'."""
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_age(stat_path: str = "/proc/self/stat") -> float | None:
    """Seconds since this process was started (fork, so exec and interpreter start-up are
    included), or None where the system does not say (no /proc, no boot-time clock)."""
    boot_clock = getattr(time, "CLOCK_BOOTTIME", None)
    if boot_clock is None:
        return None
    try:
        with open(stat_path, encoding="ascii") as f:
            ticks = start_ticks(f.read())
        age = time.clock_gettime(boot_clock) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return age if 0.0 <= age < MAX_AGE else None


def started_for(command: str, argv: Sequence[str]) -> bool:
    """Whether the process was started to run `command`: its first non-option argument."""
    return next((a for a in argv[1:] if not a.startswith("-")), None) == command


def startup_seconds(argv: Sequence[str], command: str, age: float | None) -> float:
    """The part of a command's time limit spent before it got control: the process's `age`
    when the process was started to run `command`, else 0 (the command is invoked inside a
    longer-lived process: tests, a worker)."""
    return age if age is not None and started_for(command, argv) else 0.0


def command_deadline(time_limit: float, command: str, argv: Sequence[str] | None = None,
                     age: float | None | Callable[[], float | None] = process_age,
                     clock: Clock = time.perf_counter) -> Deadline:
    """The deadline of a command given `time_limit` seconds, counted from process start."""
    import sys

    seen = age() if callable(age) else age
    spent = startup_seconds(sys.argv if argv is None else argv, command, seen)
    return Deadline.after(time_limit, clock, spent)


__all__ = ["CBC_OVERHEAD", "MIN_CBC_SECONDS", "MIN_WINDOW_SECONDS", "Clock", "Deadline",
           "cbc_seconds", "command_deadline", "deadline_from", "output_reserve",
           "process_age", "remaining_budget", "schedule_reserve", "start_ticks",
           "started_for", "startup_seconds"]
