"""In-memory engineering benchmark: orders per second for explosion plus routing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bom.explode import environment, explode
from bom.requirements import requirements
from routing.engineer import EngineeredOrder, EngineeringModel, engineer, load_engineering
from routing.validate import sample_configurations


def engineer_random_orders(product_dir: Path | str, count: int, seed: int = 0
                           ) -> list[EngineeredOrder]:
    """Engineer `count` random valid orders of one product (for benchmarks and load tests)."""
    model = load_engineering(product_dir)
    return [engineer(model, values)
            for values in sample_configurations(model.product, count, seed)]


def _explode_only(model: EngineeringModel, values: Mapping[str, object]) -> object:
    env = environment(model.bom, model.product.environment(values))
    return requirements(explode(model.bom, model.items, env))


def _timings(run: Callable[[EngineeringModel, Mapping[str, object]], object],
             model: EngineeringModel, configurations: list[dict[str, object]]
             ) -> tuple[list[float], float]:
    """Wall seconds per order, and the process CPU seconds of the whole run (the machine is
    shared, so CPU time shows the cost without other processes' interference)."""
    result = []
    cpu = time.process_time()
    for values in configurations:
        start = time.perf_counter()
        run(model, values)
        result.append(time.perf_counter() - start)
    return result, time.process_time() - cpu


def _figures(measured: tuple[list[float], float]) -> dict[str, float]:
    seconds, cpu = measured
    ordered = sorted(seconds)
    total = sum(ordered)
    return {
        "orders": len(ordered),
        "orders_per_s": round(len(ordered) / total, 1) if total else 0.0,
        "orders_per_cpu_s": round(len(ordered) / cpu, 1) if cpu else 0.0,
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def benchmark_product(product_dir: Path | str, count: int, seed: int = 0) -> dict[str, Any]:
    """Full engineering (check, explosion, routing, requirements, cut list, cost) per order,
    and as the peer in the same run the BOM explosion with flat requirements alone."""
    model = load_engineering(product_dir)
    configurations = sample_configurations(model.product, count, seed)
    for values in configurations[:5]:  # warm caches before timing
        engineer(model, values)
    full = _figures(_timings(engineer, model, configurations))
    peer = _figures(_timings(_explode_only, model, configurations))
    ratio = round(full["median_ms"] / peer["median_ms"], 2) if peer["median_ms"] else None
    return {"product": model.product.name, "engineer": full, "peer_explosion_only": peer,
            "ratio_median_to_peer": ratio}
