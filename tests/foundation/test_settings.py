"""Settings come from C2M_* variables, with an embedded default for everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from c2m.settings import SettingsError, load_settings


def test_embedded_default_is_sqlite_and_a_sqlalchemy_broker_in_the_instance_folder(
    tmp_path: Path,
) -> None:
    settings = load_settings({"C2M_INSTANCE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'c2m.sqlite'}"
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    assert settings.embedded_broker


def test_postgresql_urls_use_psycopg_3(tmp_path: Path) -> None:
    settings = load_settings(
        {"C2M_INSTANCE_DIR": str(tmp_path), "C2M_DATABASE_URL": "postgresql://u@h:5432/db"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h:5432/db"


def test_generated_secrets_survive_a_restart(tmp_path: Path) -> None:
    first = load_settings({"C2M_INSTANCE_DIR": str(tmp_path)})
    second = load_settings({"C2M_INSTANCE_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) > 30
    assert first.mes_secret == second.mes_secret and first.mes_secret.startswith("whsec_")


def test_explicit_secret_wins(tmp_path: Path) -> None:
    env = {"C2M_INSTANCE_DIR": str(tmp_path), "C2M_SECRET_KEY": "s3cret"}
    assert load_settings(env).secret_key == "s3cret"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("C2M_DATABASE_URL", "not-a-url", "C2M_DATABASE_URL='not-a-url' is not a database URL"),
        ("C2M_PORT", "eighty", "C2M_PORT='eighty' is not a whole number"),
    ],
)
def test_a_bad_value_names_the_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings({"C2M_INSTANCE_DIR": str(tmp_path), variable: value})
