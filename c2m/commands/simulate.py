"""`c2m simulate`: the plant simulator (c2m/plant_sim). Exits 1 when an invariant fails."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click


@click.command("simulate")
@click.option(
    "--days",
    default=2.0,
    show_default=True,
    type=float,
    help="Simulated days of order arrivals (the plant then drains).",
)
@click.option("--orders-per-day", default=120.0, show_default=True, type=float)
@click.option(
    "--consumers", default=4, show_default=True, type=int, help="Concurrent consumer clients."
)
@click.option(
    "--speed",
    default=1440.0,
    show_default=True,
    type=float,
    help="Business seconds per wall second (1440: a day in a minute).",
)
@click.option(
    "--start",
    default=None,
    help="Business time the run starts at (ISO 8601 with zone, or 'now'); "
    "default: the plant's first shift of next week, so a run never begins on a weekend.",
)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=int,
    help="Worker processes (default 1 on the embedded broker, 2 on Redis).",
)
@click.option(
    "--kill-worker-at",
    type=float,
    default=None,
    help="SIGKILL a worker at this fraction of the arrival phase (0..1).",
)
@click.option(
    "--outage-at",
    type=float,
    default=None,
    help="MES outage (pushes dropped, no callbacks) at this fraction (0..1).",
)
@click.option(
    "--outage-for",
    default=15.0,
    show_default=True,
    type=float,
    help="Length of the MES outage, wall seconds.",
)
@click.option(
    "--drain-days",
    default=2.0,
    show_default=True,
    type=float,
    help="Business days allowed after the last arrival for every order to finish.",
)
@click.option(
    "--max-wall",
    type=float,
    default=None,
    help="Stop taking orders after this many wall seconds (benchmarks on a small machine).",
)
@click.option(
    "--plant-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Machines this many times faster (changeovers shorter) than the sample plant's.",
)
@click.option("--model", "models", multiple=True, help="Product models to order (default all).")
@click.option("--url", default=None, help="A running deployment instead of a scratch stack.")
@click.option("--mes-url", default=None, help="With --url: its MES simulator (for faults).")
@click.option(
    "--planner-user",
    default="sim-planner",
    show_default=True,
    help="With --url: a planner account.",
)
@click.option(
    "--planner-password",
    envvar="C2M_SIM_PLANNER_PASSWORD",
    default="",
    help="With --url (env C2M_SIM_PLANNER_PASSWORD).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch instance folder (logs).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar on stderr.")
def simulate(
    workers: int | None, models: tuple[str, ...], as_json: bool, quiet: bool, **options: object
) -> None:
    """Drive the whole stack over HTTP for simulated days and check its invariants."""
    import os

    from c2m.plant_sim import report
    from c2m.plant_sim.runner import SimConfig, run
    from c2m.plant_sim.stack import StackError

    _check_fractions(options)
    options["start"] = _start(options.get("start"))
    if workers is None:
        workers = 2 if (os.environ.get("C2M_BROKER_URL") or "").startswith("redis") else 1
    if models:
        options["models"] = models
    config = SimConfig(workers=workers, progress=not quiet, **options)  # type: ignore[arg-type]
    try:
        result = run(config)
    except StackError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(result, indent=2) if as_json else report.text(result))
    if not result["ok"]:
        failed = [c["name"] for c in result["invariants"] if not c["ok"]]
        click.echo(f"invariants failed: {', '.join(failed)}", err=True)
        sys.exit(1)


def _check_fractions(options: dict[str, object]) -> None:
    for name in ("kill_worker_at", "outage_at"):
        value = options.get(name)
        if value is not None and not 0 <= float(value) <= 1:  # type: ignore[arg-type]
            raise click.BadParameter(
                f"{value} is not a fraction between 0 and 1",
                param_hint=f"--{name.replace('_', '-')}",
            )


def _start(raw: object) -> datetime | str | None:
    if raw is None or raw == "now":
        return raw  # type: ignore[return-value]
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise click.BadParameter(f"{raw!r} is not an ISO 8601 time", param_hint="--start") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{raw!r} needs a time zone", param_hint="--start")
    return moment


def register(cli: click.Group, bench: click.Group) -> None:
    cli.add_command(simulate)
