"""`c2m bench web`: pages under load with gunicorn (see c2m.benchmarks.web)."""

from __future__ import annotations

import json

import click

from c2m.settings import load_settings


def register(cli: click.Group, bench: click.Group) -> None:
    @bench.command("web")
    @click.option(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/c2m_bench_web",
        show_default=True,
        help="A scratch database: it is wiped.",
    )
    @click.option("--operations", default=2000, show_default=True, type=int)
    @click.option("--requests", "count", default=200, show_default=True, type=int)
    @click.option("--concurrency", default=4, show_default=True, type=int)
    @click.option("--json", "as_json", is_flag=True)
    def bench_web(
        database_url: str, operations: int, count: int, concurrency: int, as_json: bool
    ) -> None:
        """Requests/s and p95 of a configurator click and the Gantt page; PDF render time."""
        from c2m.benchmarks import web

        settings = load_settings(
            {
                "C2M_DATABASE_URL": database_url,
                "C2M_BROKER_URL": "redis://127.0.0.1:6379/8",
                "C2M_INSTANCE_DIR": str(load_settings().instance_dir / "bench-web"),
            }
        )
        figures = web.run(web.WebBenchConfig(settings, operations, count, concurrency))
        if as_json:
            click.echo(json.dumps(figures, indent=2))
            return
        for key, value in figures.items():
            click.echo(f"{key:>20}: {value}")
