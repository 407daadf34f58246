"""The persisted half of `c2m bench engineering`: orders placed through the real use case
(configuration check, BOM, routing, price, snapshots), each in its own transaction."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from c2m import orders
from c2m.app import create_app
from c2m.benchmarks.setup import CUSTOMER, fresh_database
from c2m.db import unit_of_work
from c2m.settings import load_settings
from configurator.loading import load_model
from routing.validate import sample_configurations


def persisted(database_url: str, products_dir: Path, product: str, count: int) -> dict[str, Any]:
    instance = tempfile.mkdtemp(prefix="c2m-bench-")
    settings = load_settings(
        {
            "C2M_DATABASE_URL": database_url,
            "C2M_INSTANCE_DIR": instance,
            "C2M_PRODUCTS_DIR": str(products_dir),
        }
    )
    fresh_database(settings)
    sessions = create_app(settings).extensions["c2m.sessions"]
    model = load_model(products_dir / product / "model.yaml")
    configurations = sample_configurations(model, count, seed=1)
    durations = []
    began = time.perf_counter()
    for number, choices in enumerate(configurations):
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            orders.place_order(
                session,
                model=product,
                choices=choices,
                customer=CUSTOMER,
                idempotency_key=f"bench-{product}-{number:06d}",
            )
        durations.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    durations.sort()
    return {
        "database": settings.database_url.split("://")[0],
        "product": product,
        "orders": len(durations),
        "orders_per_s": round(len(durations) / elapsed, 1),
        "median_ms": round(statistics.median(durations), 2),
        "p95_ms": round(durations[int(0.95 * (len(durations) - 1))], 2),
        "max_ms": round(durations[-1], 2),
    }
