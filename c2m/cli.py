"""The `c2m` command line: one group, commands contributed by c2m.commands.* modules.

A command's module is imported only when that command runs (or help lists them all): `c2m
plan-fjsp --time-limit 10` counts its start-up against the limit, and importing every command's
dependencies (SQLAlchemy, Celery, the web app) cost it seconds on a loaded machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

# Each module defines `register(cli: click.Group, bench: click.Group) -> None`.
COMMAND_MODULES = (
    "c2m.commands.app",
    "c2m.commands.configure",
    "c2m.commands.engineer",
    "c2m.commands.plan",
    "c2m.commands.mes",
    "c2m.commands.outbox",
    "c2m.commands.bench_app",
    "c2m.commands.web",
    "c2m.commands.simulate",
    "c2m.commands.screenshots",
)
_APP = "c2m.commands.app"
# Which module registers each command; tests/foundation/test_cli.py keeps this in step.
COMMANDS: Mapping[str, str] = {
    **dict.fromkeys(("serve", "worker", "beat", "db", "products", "users", "mes-clients"), _APP),
    "configure": "c2m.commands.configure",
    "engineer": "c2m.commands.engineer",
    "plan-fjsp": "c2m.commands.plan",
    "mes-sim": "c2m.commands.mes",
    "outbox": "c2m.commands.outbox",
    "simulate": "c2m.commands.simulate",
    "screenshots": "c2m.commands.screenshots",
}
BENCH_COMMANDS: Mapping[str, str] = {
    "configurator": "c2m.commands.configure",
    "engineering": "c2m.commands.engineer",
    **dict.fromkeys(("insertion", "plan-fjsp", "planner"), "c2m.commands.plan"),
    "mes-payloads": "c2m.commands.mes",
    **dict.fromkeys(("mes", "plan-run"), "c2m.commands.bench_app"),
    "web": "c2m.commands.web",
}
_loaded: set[str] = set()


class LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is asked for."""

    def __init__(self, *args: object, owners: Mapping[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.owners = owners

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in self.owners:
            self.get_command(ctx, name)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.owners:
            load(self.owners[cmd_name])
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup, owners=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
def cli() -> None:
    """c2m: configure, engineer, plan and release personalised products."""


@cli.group(cls=LazyGroup, owners=BENCH_COMMANDS)
def bench() -> None:
    """Benchmarks that print figures (never run in CI)."""


def load(module_name: str) -> None:
    """Register every command of one module, once."""
    if module_name in _loaded:
        return
    _loaded.add(module_name)
    importlib.import_module(module_name).register(cli, bench)


def load_all() -> None:
    for name in COMMAND_MODULES:
        load(name)


def main() -> None:
    from c2m.memory import keep_returning_free_memory, limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts: the web server's threads share two arenas
    keep_returning_free_memory()
    cli(prog_name="c2m")
