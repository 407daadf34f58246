"""The time limit covers the whole answer: budgets are computed from a deadline and a clock
reading (pure functions), and a stage with no time left falls back to a checked plan.

Nothing here measures time: every clock is a fake that the test moves by hand."""

from __future__ import annotations

import random
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner

import planner.api
import planner.milp
import planner.solve
from c2m.cli import cli
from planner import Objective, check, plan_fjsp, read_fjsp
from planner.bench import percentile
from planner.budget import (
    CBC_OVERHEAD,
    MIN_CBC_SECONDS,
    Deadline,
    cbc_seconds,
    command_deadline,
    deadline_from,
    output_reserve,
    process_age,
    remaining_budget,
    schedule_reserve,
    start_ticks,
    startup_seconds,
)
from planner.compile import Compiled, compile_problem
from planner.decode import construct
from planner.milp import pick_window, run_cbc, solve_window
from planner.solve import optimise, to_schedule
from tests.conftest import SHARED

FJSP = SHARED / "benchmarks/fjsp"


class FakeClock:
    """A clock that moves only when told to (`advance`), or by `step` at every reading."""

    def __init__(self, now: float = 0.0, step: float = 0.0) -> None:
        self.now, self.step, self.readings = now, step, 0

    def __call__(self) -> float:
        self.readings += 1
        value = self.now
        self.now += self.step
        return value

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- pure budget arithmetic ---------------------------------------------------------------

def test_the_remaining_budget_is_what_is_left_before_the_deadline_less_the_reserve() -> None:
    assert remaining_budget(10.0, 3.0) == 7.0
    assert remaining_budget(10.0, 3.0, reserve=0.5) == 6.5
    assert remaining_budget(10.0, 9.8, reserve=0.5) == 0.0  # never negative
    assert remaining_budget(10.0, 12.0) == 0.0
    assert remaining_budget(10.0, 3.0, reserve=-1.0) == 7.0  # a reserve never adds time


def test_a_deadline_counts_the_seconds_already_spent() -> None:
    assert deadline_from(100.0, 10.0) == 110.0
    assert deadline_from(100.0, 10.0, already=1.5) == 108.5
    assert deadline_from(100.0, -3.0) == 100.0


def test_cbc_gets_the_rest_after_its_model_is_built_less_its_overhead_capped() -> None:
    assert cbc_seconds(10.0, 2.0, cap=3.0) == 3.0
    assert cbc_seconds(10.0, 8.0, cap=3.0) == pytest.approx(2.0 - CBC_OVERHEAD)
    assert cbc_seconds(10.0, 10.0 - CBC_OVERHEAD - MIN_CBC_SECONDS / 2, cap=3.0) == 0.0
    assert cbc_seconds(10.0, 11.0, cap=3.0) == 0.0


def test_the_reserves_grow_with_the_plan_and_the_command_keeps_more_than_the_api() -> None:
    assert 0 < schedule_reserve(10) < schedule_reserve(1000)
    assert output_reserve(500) > output_reserve(10) > schedule_reserve(10)


def test_a_deadline_object_reads_its_own_clock() -> None:
    clock = FakeClock(now=50.0)
    deadline = Deadline.after(10.0, clock, already=2.0)
    assert deadline.at == 58.0
    clock.advance(5.0)
    assert deadline.budget() == 3.0
    assert deadline.budget(reserve=1.0) == 2.0
    assert deadline.less(1.0).at == 57.0


# --- process start ------------------------------------------------------------------------

def test_the_process_start_is_field_22_even_when_the_name_holds_spaces_and_parens() -> None:
    fields = ["S", "1"] + [str(k) for k in range(5, 22)] + ["987654", "99", "100"]
    stat = "4242 (c2m (plan) x) " + " ".join(fields)
    assert start_ticks(stat) == 987654


def test_this_process_has_an_age_or_none_where_the_system_cannot_say() -> None:
    age = process_age()
    assert age is None or age >= 0.0
    assert process_age("/nonexistent/stat") is None


def test_start_up_counts_only_when_the_process_was_started_for_the_command() -> None:
    assert startup_seconds(["/venv/bin/c2m", "plan-fjsp", "mk10.txt"], "plan-fjsp", 1.3) == 1.3
    assert startup_seconds(["c2m/__main__.py", "-h", "plan-fjsp"], "plan-fjsp", 0.7) == 0.7
    # a test runner or a worker invoking the command in-process: its age is not ours
    assert startup_seconds(["pytest", "tests/planner"], "plan-fjsp", 300.0) == 0.0
    assert startup_seconds(["c2m", "bench", "plan-fjsp"], "plan-fjsp", 1.0) == 0.0
    assert startup_seconds(["c2m", "plan-fjsp"], "plan-fjsp", None) == 0.0


def test_a_command_deadline_is_taken_from_process_start() -> None:
    clock = FakeClock(now=100.0)
    argv = ["c2m", "plan-fjsp", "f.txt", "--time-limit", "10"]
    assert command_deadline(10.0, "plan-fjsp", argv, age=1.75, clock=clock).at == 108.25
    assert command_deadline(10.0, "plan-fjsp", ["pytest"], age=1.75, clock=clock).at == 110.0
    assert command_deadline(10.0, "plan-fjsp", argv, age=lambda: None, clock=clock).at == 110.0


# --- fallbacks: a stage that finds no time left still yields a checked plan ---------------

def test_a_model_build_longer_than_the_budget_returns_the_checked_greedy_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = read_fjsp(FJSP / "brandimarte/mk10.txt")
    clock = FakeClock()
    real_compile = planner.api.compile_problem

    def slow_compile(*args: Any, **kwargs: Any) -> Compiled:
        c = real_compile(*args, **kwargs)
        clock.advance(60.0)  # "compiling" took six times the whole limit
        return c

    def no_search(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("no time was left for a search")

    monkeypatch.setattr(planner.api, "compile_problem", slow_compile)
    monkeypatch.setattr(planner.solve, "tabu_search", no_search)
    monkeypatch.setattr(planner.milp, "improve_with_windows", no_search)
    schedule = plan_fjsp(problem, deadline=Deadline.after(10.0, clock), seed=0)
    assert check(problem, schedule) == []
    c = real_compile(problem)
    greedy = construct(c, random.Random(0), "mwkr")
    assert greedy is not None
    assert schedule.makespan == max(greedy.end)  # the first construction rule's plan


def test_a_deadline_already_passed_when_planning_starts_still_gives_a_checked_plan() -> None:
    problem = read_fjsp(FJSP / "kacem/k3.txt")
    clock = FakeClock(now=20.0)
    schedule = plan_fjsp(problem, deadline=Deadline(10.0, clock))
    assert check(problem, schedule) == []


def test_the_search_stops_at_the_deadline_of_its_clock_and_never_starts_cbc_without_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock moving 10 ms per reading: a 1 s limit is ~100 readings, whatever the CPU."""
    problem = read_fjsp(FJSP / "brandimarte/mk01.txt")
    c = compile_problem(problem)

    def no_windows(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("0.15 s left is below a window's minimum")

    monkeypatch.setattr(planner.milp, "improve_with_windows", no_windows)
    clock = FakeClock(step=0.01)
    sol = optimise(c, Objective.MAKESPAN, 1.0, seed=0, clock=clock)
    assert clock.now <= 1.0 + 0.05  # a handful of readings past the deadline at most
    assert check(problem, to_schedule(c, sol)) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_window_whose_model_build_eats_the_budget_keeps_the_incumbent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = read_fjsp(FJSP / "kacem/k3.txt")
    c = compile_problem(problem)
    rng = random.Random(0)
    sol = construct(c, rng, "random")
    assert sol is not None
    window = pick_window(c, sol, rng, 8)
    clock = FakeClock()
    real_model = planner.milp._window_model

    def slow_model(*args: Any, **kwargs: Any) -> Any:
        built = real_model(*args, **kwargs)
        clock.advance(4.9)
        return built

    def no_cbc(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("CBC started with no time left")

    monkeypatch.setattr(planner.milp, "_window_model", slow_model)
    monkeypatch.setattr(planner.milp, "run_cbc", no_cbc)
    assert solve_window(c, sol, window, Objective.MAKESPAN, 3.0, deadline=5.0,
                        clock=clock) is None
    clock = FakeClock()  # the windows loop: its first model build leaves no time for CBC
    best = planner.milp.improve_with_windows(c, sol, Objective.MAKESPAN, 5.0, rng, 8, clock)
    assert best is sol
    assert check(problem, to_schedule(c, best)) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulp 3.3 on every variable
def test_cbc_still_running_at_the_deadline_is_killed_and_assigns_nothing() -> None:
    import pulp

    problem = read_fjsp(FJSP / "kacem/k3.txt")
    c = compile_problem(problem)
    rng = random.Random(0)
    sol = construct(c, rng, "random")
    assert sol is not None
    prob, s, _x = planner.milp._window_model(c, sol, pick_window(c, sol, rng, 8),
                                             Objective.MAKESPAN)
    assert run_cbc(prob, 5.0, kill_after=0.0) is False  # the deadline is now: no waiting
    assert prob.status == pulp.LpStatusNotSolved
    assert all(v.value() is None for v in s.values())


def test_the_command_with_no_time_left_prints_a_checked_plan() -> None:
    out = CliRunner().invoke(cli, ["plan-fjsp", str(FJSP / "brandimarte/mk10.txt"),
                                   "--time-limit", "0", "--json"])
    assert out.exit_code == 0, out.output
    assert '"violations": []' in out.stdout


def test_the_bench_percentile_is_nearest_rank() -> None:
    walls = [float(k) for k in range(1, 21)]
    assert percentile(walls, 95) == 19.0
    assert percentile(walls, 100) == 20.0
    assert percentile([3.0], 95) == 3.0
    assert percentile(walls, 50) == 10.0
