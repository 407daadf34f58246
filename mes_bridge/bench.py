"""Protocol-level figures: the cost of rendering (and validating) one work order per format, and
of one signed push to the simulator on loopback. Peer: the JSON payload."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from mes_bridge import delivery, payloads, signing
from mes_bridge.b2mml_schema import ENGINE_ENV, B2mmlSchema, Engine, libxml2_schema, schema
from mes_bridge.model import MaterialLine, Operation, Parameter, PayloadFormat, WorkOrder
from mes_bridge.simulator import SimSettings, Simulator


def sample_order(operations: int = 6, number: int = 1) -> WorkOrder:
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    ops = tuple(
        Operation(
            f"OP{10 * (i + 1)}",
            f"step{i}",
            f"M-{i}",
            start + timedelta(minutes=40 * i),
            start + timedelta(minutes=40 * i + 30),
            parameters=(Parameter("program", f"P{i}"),),
            materials=tuple(MaterialLine(f"PART-{i}-{j}", Decimal(j + 1)) for j in range(4)),
        )
        for i in range(operations)
    )
    config = tuple(Parameter(f"feature_{k}", k) for k in range(12))
    return WorkOrder(
        f"WO-{number}",
        1,
        "SO-1",
        "1",
        "sofa",
        "2026.1",
        "SOFA-CFG-1",
        2,
        "ROUTING-SOFA",
        ops,
        config,
    )


def _timed(action: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max_ms": ordered[-1],
    }


def run(repeats: int = 200) -> dict[str, Any]:
    order = sample_order()
    schema(B2mmlSchema.OPERATIONS_SCHEDULE)  # compile outside the measurement
    schema(B2mmlSchema.PRODUCTION_SCHEDULE_V0600)
    created = datetime.now(UTC)
    results: dict[str, Any] = {}
    for using in Engine:
        os.environ[ENGINE_ENV] = using.value
        libxml2_schema(B2mmlSchema.OPERATIONS_SCHEDULE)
        libxml2_schema(B2mmlSchema.PRODUCTION_SCHEDULE_V0600)
        for fmt in PayloadFormat:
            if fmt is PayloadFormat.JSON and using is not Engine.XMLSCHEMA:
                continue
            label = (
                "render json"
                if fmt is PayloadFormat.JSON
                else f"render {fmt.value} ({using.value})"
            )
            results[label] = _summary(_timed(partial(_render, order, fmt, created), repeats))
    os.environ.pop(ENGINE_ENV, None)
    results["push json (loopback simulator)"] = _summary(_push_samples(order, repeats))
    peer = results["render json"]["median_ms"]
    for figures in results.values():
        figures["ratio_to_json_render"] = figures["median_ms"] / peer if peer else 0.0
    return {"repeats": repeats, "operations_per_order": len(order.operations), "results": results}


def _render(order: WorkOrder, fmt: PayloadFormat, created: datetime) -> bytes:
    return payloads.render(order, fmt, str(uuid.uuid4()), created)


def _push_samples(order: WorkOrder, repeats: int) -> list[float]:
    secret = signing.new_secret()
    sim = Simulator(SimSettings(secret=secret, speed=1e9))
    sim.start_in_thread()
    endpoint = delivery.Endpoint(sim.url + "/work-orders", secret)
    created = datetime.now(UTC)
    try:

        def push_one() -> None:
            key = str(uuid.uuid4())
            body = payloads.render(order, PayloadFormat.JSON, key, created)
            message = delivery.OutboundMessage(key, order.id, 1, PayloadFormat.JSON, body)
            delivery.push(endpoint, message)

        return _timed(push_one, repeats)
    finally:
        sim.shutdown()
