"""Benchmarks of the composed application: `c2m bench mes`."""

from __future__ import annotations

import json

import click

from c2m.settings import load_settings


def register(cli: click.Group, bench: click.Group) -> None:
    @bench.command("mes")
    @click.option(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/c2m_bench",
        show_default=True,
        help="A scratch database: it is wiped.",
    )
    @click.option("--broker-url", default="redis://127.0.0.1:6379/7", show_default=True)
    @click.option("--work-orders", default=1000, show_default=True, type=int)
    @click.option(
        "--outage",
        default=10.0,
        show_default=True,
        type=float,
        help="Seconds the MES stays down while the backlog is pushed.",
    )
    @click.option(
        "--format",
        "fmt",
        default="json",
        type=click.Choice(["json", "b2mml-v0701", "b2mml-v0600"]),
        show_default=True,
    )
    @click.option("--json", "as_json", is_flag=True)
    def bench_mes(
        database_url: str, broker_url: str, work_orders: int, outage: float, fmt: str, as_json: bool
    ) -> None:
        """Deliveries/s with one and two workers; drain time of a backlog after an outage."""
        from c2m.benchmarks import mes

        settings = load_settings(
            {
                "C2M_DATABASE_URL": database_url,
                "C2M_BROKER_URL": broker_url,
                "C2M_MES_FORMAT": fmt,
                "C2M_INSTANCE_DIR": str(load_settings().instance_dir / "bench"),
            }
        )
        figures = mes.run(mes.BenchConfig(settings, work_orders, outage))
        if as_json:
            click.echo(json.dumps(figures, indent=2))
            return
        for key, value in figures.items():
            click.echo(f"{key:>20}: {value}")

    @bench.command("plan-run")
    @click.option(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/c2m_bench",
        show_default=True,
        help="A scratch database: it is wiped.",
    )
    @click.option("--ops", default=50_000, show_default=True, type=int,
                  help="Operations in the live schedule.")
    @click.option("--new", "new_orders", default=20, show_default=True, type=int,
                  help="Orders each run inserts.")
    @click.option("--runs", default=5, show_default=True, type=int)
    @click.option("--plant-scale", default=100.0, show_default=True, type=float,
                  help="Machines this many times as fast as the sample plant's (which makes "
                  "about 20 orders a day): 50,000 operations are then a few days' work.")
    @click.option("--json", "as_json", is_flag=True)
    def bench_plan_run(
        database_url: str, ops: int, new_orders: int, runs: int, plant_scale: float,
        as_json: bool,
    ) -> None:
        """A plan run end to end (load, insert, check, store) against a live schedule of
        --ops operations: wall time and the rows each version writes."""
        from c2m.benchmarks import plan_run
        from c2m.plant_sim.stack import scaled_products
        from configurator.samples import SAMPLE_PRODUCTS

        instance = load_settings().instance_dir / "bench"
        products = scaled_products(SAMPLE_PRODUCTS, instance / f"products-x{plant_scale:g}",
                                   plant_scale)
        settings = load_settings(
            {
                "C2M_DATABASE_URL": database_url,
                "C2M_INSTANCE_DIR": str(instance),
                "C2M_PRODUCTS_DIR": str(products),
            }
        )
        figures = plan_run.run(plan_run.PlanRunBench(settings, ops, new_orders, runs))
        if as_json:
            click.echo(json.dumps(figures, indent=2, default=str))
            return
        for key, value in figures.items():
            click.echo(f"{key:>36}: {value}")
