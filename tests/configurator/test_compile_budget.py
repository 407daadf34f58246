"""The BDD compile budget counts steps of the build, so whether a model compiles is the same
on a busy machine as on an idle one; models that do not fit say so in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from c2m.catalogue import compile_into_cache
from c2m.commands.configure import configure_command
from configurator.compiler import STEP_BUDGET_ENV, compile_problem
from configurator.errors import CompileError
from configurator.loading import load_model
from configurator.problem import problem_of
from configurator.session import Configurator

MINI = Path(__file__).parent / "models" / "mini.yaml"
PROBLEM = problem_of(load_model(MINI))


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("C2M_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(STEP_BUDGET_ENV, raising=False)
    return tmp_path / "bdd"


@pytest.fixture()
def busy_cpu() -> Iterator[None]:
    """Threads spinning in Python: every step of a compile waits for the interpreter."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    spinners = [threading.Thread(target=spin, daemon=True) for _ in range(3)]
    for spinner in spinners:
        spinner.start()
    yield
    stop.set()
    for spinner in spinners:
        spinner.join()


def steps_of_a_compile() -> int:
    return compile_problem(PROBLEM, use_cache=False).steps


def test_a_compile_costs_the_same_number_of_steps_every_time():
    assert steps_of_a_compile() == steps_of_a_compile() > 0


def test_the_budget_outcome_is_the_same_on_a_busy_machine(busy_cpu: None):
    needed = steps_of_a_compile()
    assert compile_problem(PROBLEM, budget_steps=needed, use_cache=False).steps == needed
    with pytest.raises(CompileError, match=f"needs more than {needed - 1:,} BDD steps"):
        compile_problem(PROBLEM, budget_steps=needed - 1, use_cache=False)


def test_a_model_over_budget_is_remembered_until_the_budget_grows(own_cache: Path):
    with pytest.raises(CompileError) as first:
        compile_problem(PROBLEM, budget_steps=10)
    with pytest.raises(CompileError) as again:
        compile_problem(PROBLEM, budget_steps=10)
    assert not first.value.cached and again.value.cached
    assert str(again.value) == str(first.value)
    assert compile_problem(PROBLEM).from_cache is False  # a larger budget compiles it
    assert compile_problem(PROBLEM).from_cache is True


def test_engine_bdd_over_budget_prints_one_line_and_exits_non_zero(own_cache: Path):
    env = {**os.environ, "C2M_CACHE_DIR": str(own_cache.parent), "C2M_LOG_LEVEL": "INFO"}
    run = subprocess.run(
        [sys.executable, "-m", "c2m", "configure", str(MINI), "--engine", "bdd",
         "--bdd-budget", "10"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 3 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: model 'mini_sofa' does not compile to a BDD: needs more "
                               "than 10 BDD steps")
    assert "--engine auto or sat" in lines[0]


def test_engine_auto_over_budget_runs_on_sat_and_says_so_in_one_line():
    result = CliRunner().invoke(configure_command, [str(MINI), "--json", "-c", "cover=leather"],
                                env={STEP_BUDGET_ENV: "10"})
    assert result.exit_code == 0, result.output
    assert '"engine": "sat"' in result.stdout and '"completions": null' in result.stdout
    notes = result.stderr.strip().splitlines()
    assert notes == ["note: model 'mini_sofa' does not compile to a BDD: needs more than 10 BDD "
                     "steps (stopped after 0 of 6 constraints); using the SAT engine instead "
                     "(no completion count)"]


def test_catalogue_load_compiles_into_the_cache_with_progress(own_cache: Path):
    lines: list[str] = []
    assert compile_into_cache(load_model(MINI), lines.append)
    assert lines[-1].startswith("compiled mini_sofa: ")
    assert (own_cache / f"{PROBLEM.fingerprint}.json").exists()
    assert Configurator(load_model(MINI)).engine.compiled.from_cache  # type: ignore[union-attr]


def test_catalogue_load_says_in_one_line_when_a_model_will_run_on_sat(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(STEP_BUDGET_ENV, "10")
    lines: list[str] = []
    assert not compile_into_cache(load_model(MINI), lines.append)
    assert len(lines) == 1 and lines[0].startswith("note: model 'mini_sofa' does not compile")
    assert lines[0].endswith("the SAT engine will serve it (no completion count)")
