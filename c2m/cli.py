"""The `c2m` command line: one group, commands contributed by c2m.commands.* modules."""

from __future__ import annotations

import importlib

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
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """c2m: configure, engineer, plan and release personalised products."""


@cli.group()
def bench() -> None:
    """Benchmarks that print figures (never run in CI)."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # a capability not built yet
        module.register(cli, bench)


_register_all()


def main() -> None:
    from c2m.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts: the web server's threads share two arenas
    cli(prog_name="c2m")
