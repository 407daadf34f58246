"""Running c2m: serve (web + worker + MES simulator), worker, database and catalogue."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from c2m.settings import (
    SHARED_SECRETS,
    Settings,
    SettingsError,
    load_settings,
    require_shared_secrets,
)


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _shared_secrets_or_exit(settings: Settings, names: tuple[str, ...] = SHARED_SECRETS) -> None:
    """A server outside the embedded default needs the secrets every host shares from the
    environment: the web server both, a worker the MES secret it signs pushes with."""
    try:
        require_shared_secrets(settings, names)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _migrated_or_exit(settings: Settings) -> None:
    from c2m import bootstrap

    if settings.embedded_default:
        return  # its `c2m serve` migrates
    try:
        bootstrap.require_migrated(settings)
    except bootstrap.BootstrapError as error:
        raise click.ClickException(str(error)) from None


def _prepare(settings: Settings) -> None:
    """Fail with one clear line when a service is missing, then migrate and load products."""
    from c2m import bootstrap
    from c2m.preflight import PreflightError

    try:
        bootstrap.prepare(settings)
    except (PreflightError, bootstrap.BootstrapError) as error:
        raise click.ClickException(str(error)) from None


def register(cli: click.Group, bench: click.Group) -> None:
    @cli.command()
    @click.option("--port", type=int, default=None, help="Web port (default C2M_PORT or 5000).")
    @click.option("--no-worker", is_flag=True, help="Do not start the embedded Celery worker.")
    @click.option("--no-mes-sim", is_flag=True, help="Do not start the MES simulator.")
    def serve(port: int | None, no_worker: bool, no_mes_sim: bool) -> None:
        """Load the sample products, start web + worker + MES simulator (the embedded default
        also migrates first; elsewhere run `c2m db upgrade` before)."""
        settings = _settings_or_exit()
        _shared_secrets_or_exit(settings)
        if port is not None:
            settings = settings.with_changes(port=port)
        _prepare(settings)
        from c2m import supervisor  # web, worker and simulator: only `serve` needs them

        sys.exit(supervisor.serve(settings, worker=not no_worker, mes_sim=not no_mes_sim))

    from c2m.celery_app import QUEUES

    @cli.command()
    @click.option("--concurrency", type=int, default=2, show_default=True)
    @click.option(
        "--queues",
        default=",".join(QUEUES),
        show_default=True,
        help="Comma-separated queues to consume: plan (plan runs), mes (MES deliveries and "
        "reconciliation), celery (sweep and the rest).",
    )
    @click.option(
        "--beat/--no-beat",
        default=False,
        show_default=True,
        help="Also run the scheduler (sweep, MES reconciliation) in this process: only when "
        "this worker is the whole back end. Otherwise run `c2m beat` once per deployment.",
    )
    def worker(concurrency: int, queues: str, beat: bool) -> None:
        """Run a Celery worker (production: several of these, on several hosts)."""
        from c2m.celery_app import parse_queues, reconcile_every_s, worker_argv

        settings = _settings_or_exit()
        try:
            chosen = parse_queues(queues)
            reconcile_every_s()
        except ValueError as error:  # SettingsError too
            raise click.ClickException(str(error)) from None
        _check_services(settings)
        _shared_secrets_or_exit(settings, ("C2M_MES_SECRET",))
        _migrated_or_exit(settings)
        from c2m.app import create_app
        from c2m.logging_setup import configure_logging

        configure_logging(settings.log_level)
        celery_app = create_app(settings).extensions["celery"]
        celery_app.worker_main(worker_argv(settings, concurrency, chosen, beat))

    @cli.command()
    def beat() -> None:
        """Run the scheduler alone: the sweep and the MES reconciliation, exactly one per
        deployment (its schedule lives in memory, so a restarted beat simply starts again)."""
        from c2m.celery_app import beat_argv, reconcile_every_s

        settings = _settings_or_exit()
        try:
            reconcile_every_s()
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        _check_services(settings)
        from c2m.app import create_app
        from c2m.logging_setup import configure_logging

        configure_logging(settings.log_level)
        celery_app = create_app(settings).extensions["celery"]
        sys.exit(celery_app.start(beat_argv(settings)))

    @cli.group()
    def db() -> None:
        """Database migrations."""

    @db.command("upgrade")
    @click.option("--revision", default="head", show_default=True)
    def db_upgrade(revision: str) -> None:
        """Apply migrations up to REVISION."""
        from c2m import migrate

        settings = _settings_or_exit()
        _check_services(settings, broker=False)
        migrate.upgrade(settings.database_url, revision)
        click.echo(f"database at {revision}")

    @db.command("revision")
    @click.option("-m", "--message", required=True)
    def db_revision(message: str) -> None:
        """Autogenerate a migration from the models (developers)."""
        from c2m import migrate

        migrate.revision(_settings_or_exit().database_url, message)

    @cli.group()
    def products() -> None:
        """The product catalogue."""

    register_admin(cli)

    @products.command("load")
    def products_load() -> None:
        """Load every product model of C2M_PRODUCTS_DIR (all or nothing)."""
        from c2m import bootstrap

        settings = _settings_or_exit()
        _check_services(settings, broker=False)
        for loaded in bootstrap.load_catalogue(settings):
            state = "loaded" if loaded.created else "unchanged"
            click.echo(f"{loaded.model} {loaded.version}: {state}")


def _check_services(settings: Settings, broker: bool = True) -> None:
    from c2m.preflight import PreflightError, check_broker, check_database

    try:
        check_database(settings)
        if broker:
            check_broker(settings)
    except PreflightError as error:
        raise click.ClickException(str(error)) from None


def _password(given: str | None, from_stdin: bool) -> str:
    """The new user's password: --password-stdin, --password/C2M_USER_PASSWORD, else asked
    twice on a terminal. A script without a terminal is told what is missing (click's own
    prompt would only print "Aborted!")."""
    if from_stdin:
        given = sys.stdin.readline().rstrip("\r\n")
        if not given:
            raise click.UsageError("--password-stdin: standard input held no password")
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise click.UsageError(
            "no password given and no terminal to ask on: pass --password, set "
            "C2M_USER_PASSWORD or pipe it with --password-stdin"
        )
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def register_admin(cli: click.Group) -> None:
    """Users and MES clients from the command line (the admin pages do the same)."""

    @cli.group()
    def users() -> None:
        """Planner and admin accounts."""

    @users.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["planner", "admin"]), default="planner")
    @click.option("--password", envvar="C2M_USER_PASSWORD", help="or C2M_USER_PASSWORD")
    @click.option("--password-stdin", is_flag=True, help="Read it from standard input.")
    def users_create(username: str, role: str, password: str | None, password_stdin: bool) -> None:
        """Create USERNAME; the password is asked for on a terminal, else must be given."""
        from c2m import auth

        password = _password(password, password_stdin)
        with _session() as session:
            auth.create_user(session, username, password, role)
        click.echo(f"user {username} ({role}) created")

    @cli.group("mes-clients")
    def mes_clients() -> None:
        """MES API clients and their bearer tokens."""

    @mes_clients.command("create")
    @click.argument("name")
    @click.option(
        "--scope",
        "scopes",
        multiple=True,
        # `planner`: a token that may plan and release (scripts, the plant simulator).
        type=click.Choice(["pull", "events", "planner"]),
        default=("pull", "events"),
        show_default=True,
    )
    def mes_clients_create(name: str, scopes: tuple[str, ...]) -> None:
        from c2m import auth

        with _session() as session:
            token = auth.issue_client_token(session, name, scopes)
        click.echo(f"MES client {name}: token (shown once) {token}")

    @mes_clients.command("revoke")
    @click.argument("name")
    def mes_clients_revoke(name: str) -> None:
        from c2m import auth

        with _session() as session:
            auth.revoke_client(session, name)
        click.echo(f"MES client {name} revoked")


@contextmanager
def _session() -> Iterator[Session]:
    """A unit of work for one command; domain errors become one clear line."""
    from c2m.db import make_engine, make_session_factory, unit_of_work
    from c2m.errors import C2mError

    settings = _settings_or_exit()
    _check_services(settings, broker=False)
    try:
        with unit_of_work(make_session_factory(make_engine(settings.database_url))) as session:
            yield session
    except C2mError as error:
        raise click.ClickException(str(error)) from None
