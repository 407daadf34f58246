"""The c2m command line: every command listed, bad settings give one clear line."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import click


def run_c2m(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c2m", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run_c2m("--help", env={"C2M_INSTANCE_DIR": str(tmp_path)})
    assert result.returncode == 0
    for command in ("serve", "worker", "db", "products", "bench"):
        assert command in result.stdout


def test_unreachable_database_gives_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_c2m(
        "db",
        "upgrade",
        env={
            "C2M_INSTANCE_DIR": str(tmp_path),
            "C2M_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
        },
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert "C2M_DATABASE_URL" in error_lines[0]
    assert "127.0.0.1:1" in error_lines[0]


def test_malformed_database_url_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = run_c2m(
        "db", "upgrade", env={"C2M_INSTANCE_DIR": str(tmp_path), "C2M_DATABASE_URL": "nonsense"}
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "C2M_DATABASE_URL='nonsense' is not a database URL" in result.stderr


def test_unreachable_broker_gives_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_c2m(
        "worker",
        env={
            "C2M_INSTANCE_DIR": str(tmp_path),
            "C2M_BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert "C2M_BROKER_URL" in error_lines[0] and "127.0.0.1:1" in error_lines[0]


def test_the_command_table_names_the_module_that_registers_each_command() -> None:
    from c2m import cli

    for module_name in cli.COMMAND_MODULES:
        top, bench = registered(module_name)
        for table, group in ((cli.COMMANDS, top), (cli.BENCH_COMMANDS, bench)):
            for name in group.commands:
                assert table.get(name) == module_name, f"add {name!r} to c2m/cli.py"
    owners = {*cli.COMMANDS.values(), *cli.BENCH_COMMANDS.values()}
    assert owners <= set(cli.COMMAND_MODULES)
    for table, side in ((cli.COMMANDS, 0), (cli.BENCH_COMMANDS, 1)):
        for name, module_name in table.items():  # no entry for a command no module registers
            assert name in registered(module_name)[side].commands, name


def registered(module_name: str) -> tuple[click.Group, click.Group]:
    top, bench = click.Group(), click.Group()
    importlib.import_module(module_name).register(top, bench)
    return top, bench


def test_plan_fjsp_starts_without_the_web_database_and_queue_stacks() -> None:
    probe = (
        "import sys, click; from c2m.cli import cli; "
        "cli.get_command(click.Context(cli), 'plan-fjsp'); "
        "print(sorted(m for m in ('sqlalchemy', 'celery', 'flask') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
