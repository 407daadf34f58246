"""`c2m users create` from a script: no terminal to prompt on must not end in a bare
"Aborted!"; the password comes from an option, C2M_USER_PASSWORD or standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A fresh embedded database in tmp_path each test, whatever configuration the suite runs on.
OWN = {"C2M_USER_PASSWORD", "C2M_DATABASE_URL", "C2M_BROKER_URL"}


def run_c2m(
    *args: str, env: dict[str, str], given: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c2m", *args],
        env={**{k: v for k, v in os.environ.items() if k not in OWN}, **env},
        input=given,
        stdin=None if given is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def embedded(tmp_path: Path) -> dict[str, str]:
    env = {"C2M_INSTANCE_DIR": str(tmp_path)}
    assert run_c2m("db", "upgrade", env=env).returncode == 0
    return env


def test_without_a_terminal_or_password_it_says_what_is_missing(tmp_path: Path) -> None:
    result = run_c2m("users", "create", "mei", env=embedded(tmp_path))
    assert result.returncode != 0
    assert "Aborted!" not in result.stderr
    for way in ("--password", "C2M_USER_PASSWORD", "--password-stdin"):
        assert way in result.stderr


def test_the_password_comes_from_stdin_the_environment_or_the_option(tmp_path: Path) -> None:
    env = embedded(tmp_path)
    piped = run_c2m("users", "create", "mei", "--password-stdin", env=env, given="long enough 1\n")
    assert piped.returncode == 0, piped.stderr
    by_env = run_c2m("users", "create", "lin", env={**env, "C2M_USER_PASSWORD": "long enough 2"})
    assert by_env.returncode == 0, by_env.stderr
    by_option = run_c2m("users", "create", "wu", "--password", "long enough 3", env=env)
    assert by_option.returncode == 0, by_option.stderr
    again = run_c2m("users", "create", "wu", "--password", "long enough 3", env=env)
    assert again.returncode != 0 and "exists already" in again.stderr
    short = run_c2m("users", "create", "zhao", "--password-stdin", env=env, given="short\n")
    assert short.returncode != 0 and "at least 8 characters" in short.stderr
    empty = run_c2m("users", "create", "qian", "--password-stdin", env=env, given="")
    assert empty.returncode != 0 and "standard input held no password" in empty.stderr
