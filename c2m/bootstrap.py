"""Getting a c2m instance ready: services answer, schema migrated, catalogue loaded."""

from __future__ import annotations

from c2m import catalogue, migrate
from c2m.db import make_engine, make_session_factory, unit_of_work
from c2m.preflight import check_broker, check_database
from c2m.settings import Settings
from configurator.errors import ModelError


class BootstrapError(RuntimeError):
    """Set-up could not finish; the message says which file or service and why."""


def prepare(settings: Settings) -> None:
    """The embedded default migrates here for convenience (one host by construction);
    elsewhere `c2m db upgrade` is a step of its own and a database behind it is refused."""
    check_database(settings)
    check_broker(settings)
    if settings.embedded_default:
        migrate.upgrade(settings.database_url)
    else:
        require_migrated(settings)
    load_catalogue(settings)


def require_migrated(settings: Settings) -> None:
    try:
        migrate.require_head(settings.database_url)
    except migrate.MigrationNeeded as error:
        raise BootstrapError(str(error)) from None


def load_catalogue(settings: Settings) -> list[catalogue.LoadedProduct]:
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return catalogue.load_products(session, settings.products_dir)
    except (ModelError, catalogue.ModelVersionConflict) as error:
        raise BootstrapError(str(error)) from None
    finally:
        engine.dispose()


SIMULATOR_CLIENT = "mes-simulator"


def simulator_token(settings: Settings) -> str:
    """A fresh events token for the MES simulator `c2m serve` starts (the old one stops working)."""
    import secrets

    from c2m import auth

    token = "c2m_" + secrets.token_urlsafe(32)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            auth.install_client_token(session, SIMULATOR_CLIENT, ("events", "pull"), token)
    finally:
        engine.dispose()
    return token
