"""The simulator's report: figures from what the plant did, the EDD baseline beside them,
the invariants; as a dict (for `--json`) and as text. Pure maths over plain data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from c2m.plant_sim.baseline import BaselineOperation, BaselineOrder, BaselineResult
from c2m.plant_sim.invariants import Check, Sample

IN_PROGRESS = {"released", "dispatched", "accepted", "running", "interrupted"}


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def lead_hours(orders: Sequence[dict[str, Any]]) -> list[float]:
    return [
        (end - start).total_seconds() / 3600
        for o in orders
        if (end := _when(o["completed_at"])) and (start := _when(o["created_at"]))
    ]


def on_time_rate(completed: dict[str, datetime], promised: dict[str, datetime]) -> float | None:
    """Share of orders with a promise that were completed by it (late or unfinished: not)."""
    if not promised:
        return None
    hits = sum(1 for n, due in promised.items() if n in completed and completed[n] <= due)
    return hits / len(promised)


def utilisation(orders: Sequence[dict[str, Any]], machines: int, span: timedelta) -> float | None:
    """Busy machine time the MES reported over the machines' total time in the run."""
    busy = 0.0
    for order in orders:
        for actual in order["actuals"].values():
            start, end = _when(actual.get("start")), _when(actual.get("end"))
            if start and end:
                busy += (end - start).total_seconds()
    total = machines * span.total_seconds()
    return busy / total if total > 0 else None


def mean_wip(samples: Sequence[Sample]) -> float | None:
    return mean(
        [
            float(sum(n for state, n in s.status["orders"].items() if state in IN_PROGRESS))
            for s in samples
        ]
    )


def baseline_orders(details: Sequence[dict[str, Any]]) -> list[BaselineOrder]:
    return [
        BaselineOrder(
            o["number"],
            _when(o["created_at"]) or datetime.min,
            _when(o["promised_at"]),
            tuple(_baseline_op(op, o["actuals"]) for op in o["operations"]),
        )
        for o in details
    ]


def _baseline_op(op: dict[str, Any], actuals: dict[str, dict[str, Any]]) -> BaselineOperation:
    minutes = {m: float(spec["duration"]) for m, spec in op["machines"].items()}
    actual = actuals.get(op["id"], {})
    start, end, machine = (
        _when(actual.get("start")),
        _when(actual.get("end")),
        actual.get("machine"),
    )
    factor = 1.0
    if start and end and machine in minutes and minutes[machine] > 0:
        factor = (end - start).total_seconds() / 60 / minutes[machine]
    return BaselineOperation(op["id"], tuple(op.get("predecessors", [])), minutes, factor)


def arrival_days(details: Sequence[dict[str, Any]], planned_days: float) -> float:
    """Business days over which the orders arrived: the planned span, or longer when the
    consumers could not keep up (orders/day then says what the stack sustained)."""
    arrivals = [d for o in details if (d := _when(o["created_at"]))]
    if len(arrivals) < 2:
        return planned_days
    return max(planned_days, (max(arrivals) - min(arrivals)).total_seconds() / 86400)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def build(
    run: dict[str, Any],
    details: Sequence[dict[str, Any]],
    samples: Sequence[Sample],
    latencies: Sequence[float],
    baseline: BaselineResult,
    checks: Sequence[Check],
    errors: dict[str, Any],
) -> dict[str, Any]:
    promised = {o["number"]: d for o in details if (d := _when(o["promised_at"]))}
    completed = {o["number"]: d for o in details if (d := _when(o["completed_at"]))}
    leads = lead_hours(details)
    arrivals = {o["number"]: _when(o["created_at"]) for o in details}
    base_leads = [
        (end - start).total_seconds() / 3600
        for n, end in baseline.completed.items()
        if (start := arrivals.get(n))
    ]
    span = timedelta(days=run["days"])
    return {
        "run": run,
        "figures": {
            "orders": len(details),
            "orders_per_day": _round(len(details) / arrival_days(details, run["days"]), 1),
            "completed": len(completed),
            "with_promise": len(promised),
            "on_time_rate": _round(on_time_rate(completed, promised)),
            "lead_time_hours": {
                "mean": _round(mean(leads), 2),
                "p95": _round(percentile(leads, 0.95), 2),
            },
            "utilisation": _round(utilisation(details, run["machines"], span)),
            "mean_wip": _round(mean_wip(samples), 1),
            "plan_run_latency_s": {
                "count": len(latencies),
                "mean": _round(mean(latencies)),
                "p95": _round(percentile(latencies, 0.95)),
            },
        },
        "baseline_edd": {
            "completed": len(baseline.completed),
            "on_time_rate": _round(on_time_rate(baseline.completed, promised)),
            "lead_time_hours": {
                "mean": _round(mean(base_leads), 2),
                "p95": _round(percentile(base_leads, 0.95), 2),
            },
        },
        "errors": errors,
        "invariants": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        "ok": all(c.ok for c in checks),
    }


def text(report: dict[str, Any]) -> str:
    f, b, run = report["figures"], report["baseline_edd"], report["run"]
    lines = [
        f"plant simulation: {run['days']} simulated days in {run['wall_seconds']:.0f} s "
        f"(clock x{run['speed']:.0f}), {run['consumers']} consumers, {run['url']}",
        f"  orders          {f['orders']} ({f['orders_per_day']}/day), {f['completed']} completed",
        f"  on time         {_pct(f['on_time_rate'])} of {f['with_promise']} promised   "
        f"(EDD baseline {_pct(b['on_time_rate'])})",
        f"  lead time       mean {f['lead_time_hours']['mean']} h, "
        f"p95 {f['lead_time_hours']['p95']} h   (EDD mean {b['lead_time_hours']['mean']} h, "
        f"p95 {b['lead_time_hours']['p95']} h)",
        f"  utilisation     {_pct(f['utilisation'])}   mean WIP {f['mean_wip']} orders",
        f"  plan runs       {f['plan_run_latency_s']['count']}, latency mean "
        f"{f['plan_run_latency_s']['mean']} s, p95 {f['plan_run_latency_s']['p95']} s",
        f"  errors          {report['errors']}",
        "invariants:",
    ]
    for check in report["invariants"]:
        lines.append(f"  {'ok  ' if check['ok'] else 'FAIL'} {check['name']}: {check['detail']}")
    lines.append("all invariants hold" if report["ok"] else "INVARIANTS FAILED")
    return "\n".join(lines)


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.1f} %"
