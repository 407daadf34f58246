"""Checks that the database and the broker answer, with one clear line when they do not."""

from __future__ import annotations

from kombu import Connection
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from c2m.settings import Settings

CONNECT_TIMEOUT_S = 5


class PreflightError(RuntimeError):
    """A service c2m needs does not answer; the message names the variable and the target."""


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_database(settings: Settings) -> None:
    url = settings.database_url
    try:
        args = {} if url.startswith("sqlite") else {"connect_timeout": CONNECT_TIMEOUT_S}
        engine = create_engine(url, connect_args=args)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except (SQLAlchemyError, ImportError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise PreflightError(
            f"C2M_DATABASE_URL: cannot connect to {_redacted(url)}: {reason}"
        ) from None


def check_broker(settings: Settings) -> None:
    url = settings.broker_url
    try:
        with Connection(url, connect_timeout=CONNECT_TIMEOUT_S) as connection:
            connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
    except Exception as error:  # kombu raises transport-specific errors
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PreflightError(f"C2M_BROKER_URL: cannot reach {_redacted(url)}: {reason}") from None
