"""`c2m mes-sim`: the reference MES simulator (also `python -m c2m.commands.mes`)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from mes_bridge import signing
from mes_bridge.sim_state import Faults
from mes_bridge.simulator import SimSettings, Simulator

SECRET_ENV = "C2M_MES_SECRET"


@click.command("mes-sim")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (keep it loopback).",
)
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--secret",
    envvar=SECRET_ENV,
    default=None,
    help=f"whsec_ secret for push checks and callback signatures (env {SECRET_ENV}); "
    "a new one is generated and printed if absent.",
)
@click.option("--callback-url", default=None, help="Where to POST status events.")
@click.option(
    "--callback-token",
    envvar="C2M_MES_CALLBACK_TOKEN",
    default=None,
    help="Bearer token for the callbacks (env C2M_MES_CALLBACK_TOKEN; scope events).",
)
@click.option(
    "--speed", default=60.0, show_default=True, type=float, help="Shop seconds per real second."
)
@click.option("--seed", default=None, type=int, help="Seed for every random choice.")
@click.option("--down", is_flag=True, help="Drop every push without an answer.")
@click.option(
    "--slow",
    "slow_seconds",
    default=0.0,
    type=float,
    help="Apply, then answer after this many seconds.",
)
@click.option("--error-rate", default=0.0, type=float, help="Probability of 503 per push.")
@click.option("--error-first", default=0, type=int, help="503 for the first N tries per key.")
@click.option("--throttle-rate", default=0.0, type=float, help="Probability of 429 per push.")
@click.option("--throttle-first", default=0, type=int, help="429 for the next N tries per key.")
@click.option(
    "--retry-after",
    default=1,
    type=int,
    show_default=True,
    help="Retry-After seconds sent with 429.",
)
@click.option("--reject-id", "reject_ids", multiple=True, help="Work-order id to reject.")
@click.option("--reject-rate", default=0.0, type=float, help="Probability of a rejection.")
@click.option("--reject-status", default=422, type=click.Choice(["400", "422"]), show_default=True)
@click.option(
    "--duplicate-rate", default=0.0, type=float, help="Probability that a callback is sent twice."
)
@click.option(
    "--shuffle-window",
    default=0.0,
    type=float,
    help="Delay callbacks randomly by up to this many seconds (reorders them).",
)
@click.option(
    "--callback-format", default="json", type=click.Choice(["json", "xml"]), show_default=True
)
@click.option("--scrap-rate", default=0.0, type=float, help="Probability a unit is scrapped.")
@click.option(
    "--interrupt-rate",
    default=0.0,
    type=float,
    help="Probability an operation is interrupted, then resumed.",
)
@click.option("--abort-id", "abort_ids", multiple=True, help="Work-order id to abort mid-run.")
@click.option("--abort-rate", default=0.0, type=float, help="Probability a work order aborts.")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Remember applied work orders across restarts (JSON file).",
)
@click.option(
    "--callback-attempts",
    default=8,
    show_default=True,
    type=int,
    help="Tries per status event before it is given up (GET /events still has it).",
)
@click.option("--verbose", is_flag=True, help="Log every request.")
def mes_sim(
    host: str,
    port: int,
    secret: str | None,
    callback_url: str | None,
    callback_token: str | None,
    speed: float,
    seed: int | None,
    verbose: bool,
    reject_status: str,
    state_file: Path | None,
    callback_attempts: int,
    **switches: object,
) -> None:
    """Run the reference MES simulator until interrupted."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s mes-sim %(levelname)s %(message)s",
    )
    if not secret:
        secret = signing.new_secret()
        click.echo(f"generated secret (set {SECRET_ENV}): {secret}")
    faults = Faults(reject_status=int(reject_status), **switches)  # type: ignore[arg-type]
    settings = SimSettings(
        secret=secret,
        host=host,
        port=port,
        callback_url=callback_url,
        callback_token=callback_token,
        speed=speed,
        seed=seed,
        faults=faults,
        state_file=state_file,
        callback_attempts=callback_attempts,
    )
    simulator = Simulator(settings)
    click.echo(f"mes-sim listening on {simulator.url}", err=False)
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        click.echo("mes-sim stopped")


@click.command("mes-payloads")
@click.option("--repeats", default=200, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_payloads(repeats: int, as_json: bool) -> None:
    """Render/validate cost per payload format and one signed push on loopback."""
    from mes_bridge.bench import run  # imported late: the bench starts a simulator

    figures = run(repeats)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(f"{repeats} repeats, {figures['operations_per_order']} operations per order")
    for name, row in figures["results"].items():
        click.echo(
            f"{name:34} median {row['median_ms']:8.3f} ms  p95 {row['p95_ms']:8.3f} ms  "
            f"max {row['max_ms']:8.3f} ms  x{row['ratio_to_json_render']:.1f} json render"
        )


def register(cli: click.Group, bench: click.Group) -> None:
    cli.add_command(mes_sim)
    bench.add_command(bench_payloads)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    mes_sim()
