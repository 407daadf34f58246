"""Outside the embedded default (here: SQLite with a broker that is not the embedded one),
migrations are the one-shot `c2m db upgrade` and the servers refuse, in one line, a database
behind this code's head revision or a secret missing from the environment. The embedded
default keeps migrating on start and making its own secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from c2m import migrate
from tests.conftest import free_port

SECRETS = {"C2M_SECRET_KEY": "shared-by-every-host", "C2M_MES_SECRET": "whsec_c2lnbmVkLWJ5LWFsbA=="}


def production_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2M_")}
    return {
        **env,
        "C2M_INSTANCE_DIR": str(home),
        "C2M_DATABASE_URL": f"sqlite:///{home / 'c2m.sqlite'}",
        "C2M_BROKER_URL": "memory://",  # not the embedded broker: a deployment's own
        "C2M_PORT": str(free_port()),
        **extra,
    }


def c2m(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c2m", *args], env=env, capture_output=True, text=True, timeout=120
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def previous_revision() -> str:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    down = scripts.get_revision(migrate.head_revision()).down_revision
    assert isinstance(down, str)
    return down


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_servers_refuse_a_database_at_an_older_revision_in_one_line(
    tmp_path: Path, command: str
) -> None:
    env = production_env(tmp_path, **SECRETS)
    older = previous_revision()
    assert c2m(env, "db", "upgrade", "--revision", older).returncode == 0
    line = one_error_line(c2m(env, command))
    assert f"at revision {older}" in line and "run `c2m db upgrade`" in line
    assert migrate.current_revision(env["C2M_DATABASE_URL"]) == older  # nothing migrated


def test_a_database_never_migrated_is_refused_and_db_upgrade_brings_it_to_head(
    tmp_path: Path,
) -> None:
    env = production_env(tmp_path, **SECRETS)
    line = one_error_line(c2m(env, "serve"))
    assert "not migrated yet" in line and "c2m db upgrade" in line
    upgraded = c2m(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert migrate.current_revision(env["C2M_DATABASE_URL"]) == migrate.head_revision()
    migrate.require_head(env["C2M_DATABASE_URL"])  # what the servers check: passes now


@pytest.mark.parametrize(
    ("command", "missing"),
    # The web server keeps sessions and checks MES signatures; a worker signs MES pushes.
    [("serve", "C2M_SECRET_KEY"), ("serve", "C2M_MES_SECRET"), ("worker", "C2M_MES_SECRET")],
)
def test_a_server_without_a_shared_secret_names_it_in_one_line(
    tmp_path: Path, command: str, missing: str
) -> None:
    given = {name: value for name, value in SECRETS.items() if name != missing}
    line = one_error_line(c2m(production_env(tmp_path, **given), command))
    assert missing in line and "must be set in the environment" in line
    assert not (tmp_path / missing.lower()).exists()  # none of its own kept for later


def test_the_wsgi_app_refuses_to_start_without_the_shared_secrets(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import c2m.wsgi"], env=production_env(tmp_path),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "C2M_SECRET_KEY, C2M_MES_SECRET must be set" in done.stderr


def test_the_embedded_default_still_makes_its_own_secrets(tmp_path: Path) -> None:
    from c2m.settings import load_settings, require_shared_secrets

    embedded = load_settings({"C2M_INSTANCE_DIR": str(tmp_path)})
    assert embedded.embedded_default and embedded.generated_secrets
    require_shared_secrets(embedded)  # no error
    assert (tmp_path / "c2m_secret_key").exists()
