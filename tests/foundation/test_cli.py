"""The c2m command line: every command listed, bad settings give one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
