"""Plans from the solver pass the checker; MILP windows never make a plan worse."""

import random

import pytest

from planner import Objective, check, plan_fjsp, read_fjsp
from planner.compile import compile_problem
from planner.decode import construct
from planner.milp import pick_window, solve_window
from planner.solve import best_construction, to_schedule
from tests.conftest import SHARED

FJSP = SHARED / "benchmarks/fjsp"
KACEM = {"k1": 11, "k2": 11, "k3": 7, "k4": 11}


@pytest.mark.parametrize("name", sorted(KACEM))
def test_every_construction_rule_gives_a_valid_plan_on_kacem(name: str) -> None:
    problem = read_fjsp(FJSP / "kacem" / f"{name}.txt")
    c = compile_problem(problem)
    for rule in ("mwkr", "due", "noisy", "random"):
        sol = construct(c, random.Random(1), rule)
        assert sol is not None
        assert check(problem, to_schedule(c, sol)) == []


@pytest.mark.parametrize("name", [f"mk{k:02d}" for k in range(1, 11)])
def test_construction_is_valid_on_brandimarte(name: str) -> None:
    problem = read_fjsp(FJSP / "brandimarte" / f"{name}.txt")
    c = compile_problem(problem)
    sol = best_construction(c, Objective.MAKESPAN, random.Random(0), 0.05)
    assert check(problem, to_schedule(c, sol)) == []


def test_a_short_search_on_kacem_k1_reaches_the_optimum_and_passes_the_checker() -> None:
    problem = read_fjsp(FJSP / "kacem" / "k1.txt")
    schedule = plan_fjsp(problem, time_limit=1.0, seed=3)
    assert check(problem, schedule) == []
    assert schedule.makespan == KACEM["k1"]


@pytest.mark.slow
def test_the_full_search_on_mk01_stays_valid_and_beats_construction() -> None:
    problem = read_fjsp(FJSP / "brandimarte" / "mk01.txt")
    c = compile_problem(problem)
    start = best_construction(c, Objective.MAKESPAN, random.Random(0), 0.05)
    schedule = plan_fjsp(problem, time_limit=3.0, seed=0)
    assert check(problem, schedule) == []
    assert schedule.makespan <= max(start.end)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_milp_window_improves_or_keeps_a_plan_and_the_result_is_valid(seed: int) -> None:
    problem = read_fjsp(FJSP / "kacem" / "k3.txt")
    c = compile_problem(problem)
    rng = random.Random(seed)
    sol = construct(c, rng, "random")
    assert sol is not None
    window = pick_window(c, sol, rng, 8)
    better = solve_window(c, sol, window, Objective.MAKESPAN, 5.0)
    assert better is not None  # the current plan is itself a solution of the window model
    assert max(better.end) <= max(sol.end)
    assert check(problem, to_schedule(c, better)) == []
