"""Benchmarks find their public instances through settings only, and say so when unset."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from c2m.cli import cli
from configurator import bench as configurator_bench
from tests.conftest import SHARED


def test_fjsp_benchmark_without_its_setting_says_which_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("C2M_FJSP_DIR", raising=False)
    out = CliRunner().invoke(cli, ["bench", "plan-fjsp", "brandimarte/mk01", "--runs", "1"])
    assert out.exit_code == 1
    assert "C2M_FJSP_DIR is not set" in out.output
    assert "Traceback" not in out.output


def test_fjsp_benchmark_names_a_folder_that_is_not_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("C2M_FJSP_DIR", str(tmp_path / "nowhere"))
    out = CliRunner().invoke(cli, ["bench", "planner", "--instances", "mk01", "--no-peer"])
    assert out.exit_code == 1
    assert f"C2M_FJSP_DIR={tmp_path / 'nowhere'} is not a folder" in out.output


def test_configurator_benchmark_leaves_out_the_public_models_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("C2M_CONFIGURATION_BENCHMARKS", raising=False)
    models, left_out = configurator_bench.bench_models()
    assert {name for name, _ in models}.isdisjoint({"renault", "automotive01"})
    assert models, "the sample products are always benchmarked"
    assert left_out is not None and "C2M_CONFIGURATION_BENCHMARKS is not set" in left_out


def test_configurator_benchmark_takes_the_public_models_from_its_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("C2M_CONFIGURATION_BENCHMARKS", str(SHARED / "benchmarks/configuration"))
    models, left_out = configurator_bench.bench_models()
    names = [name for name, _ in models]
    assert left_out is None
    assert names[0] == "renault" and names[-1] == "automotive01"
