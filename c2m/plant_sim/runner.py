"""One simulation run: consumers place orders at a Poisson rate on the business clock,
planners release and re-plan, the MES works with faults, a sampler watches plant-status; a
worker is SIGKILLed and the MES goes dark mid-run; then the plant drains and is judged."""

from __future__ import annotations

import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from c2m.plant_sim import invariants as inv
from c2m.plant_sim import report
from c2m.plant_sim.baseline import Window, edd
from c2m.plant_sim.client import Client, Tally
from c2m.plant_sim.consumers import ConsumerLog, consumer
from c2m.plant_sim.planners import Cadence, PlannerLog, log_in, planner, release_current
from c2m.plant_sim.stack import PLANNER, Stack, StackSpec, memory_of
from routing.factory import Factory

SHOP_FAULTS = {
    "duration_spread": 0.25,
    "late_start_rate": 0.1,
    "late_start_minutes": 20.0,
    "interrupt_rate": 0.02,
    "scrap_rate": 0.02,
    # About three breakdowns a simulated day in the soak: each asks the planner for a repair.
    "breakdown_rate": 0.0015,
    "breakdown_minutes": 40.0,
}
# The MES reports an operation a little after its planned end (late starts, longer runs).
DRAIN_SLACK = timedelta(hours=2)
DRAIN_EXTENSION_DAYS = 3.0  # a plant that plans further out than this is stuck, not busy
SWEEP_GRACE_S = 20.0  # sweeper period (5 s) plus a busy worker's slack


@dataclass(frozen=True)
class SimConfig:
    days: float = 2.0
    orders_per_day: float = 100.0
    consumers: int = 4
    speed: float = 1440.0  # business seconds per wall second
    seed: int = 1
    start: datetime | str | None = None  # business start; None: next week's first shift
    url: str | None = None
    mes_url: str | None = None
    planner_user: str = PLANNER
    planner_password: str = ""
    workers: int = 1
    kill_worker_at: float | None = None
    outage_at: float | None = None
    outage_for: float = 15.0  # wall seconds
    drain_days: float = 2.0  # business days allowed after the last arrival
    sample_every: float = 3.0
    max_wall: float | None = None  # stop taking orders after this many wall seconds
    plant_scale: float = 1.0  # machines faster than the sample plant's (see stack.scaled_products)
    models: tuple[str, ...] = ("desk", "sofa", "wardrobe", "washer", "fridge", "kitchen")
    products_dir: Path | None = None
    keep: bool = False
    progress: bool = True


@dataclass
class Observed:
    samples: list[inv.Sample] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # "t=40s killed worker-1"


class Arrivals:
    """Hands out order indices at Poisson arrival times (wall clock), then None."""

    def __init__(self, total: int, per_wall_second: float, start: float, seed: int) -> None:
        self.total, self.rate, self.next_at, self.issued = total, per_wall_second, start, 0
        self.rng, self.lock = random.Random(seed), threading.Lock()
        self.stop = threading.Event()

    def __call__(self) -> int | None:
        with self.lock:
            if self.issued >= self.total or self.stop.is_set():
                return None
            self.issued += 1
            due, self.next_at = self.next_at, self.next_at + self.rng.expovariate(self.rate)
            index = self.issued
        self.stop.wait(max(0.0, due - time.monotonic()))
        return None if self.stop.is_set() else index


def run(config: SimConfig) -> dict[str, Any]:
    stack = None
    if config.url is None:
        anchor = datetime.now(UTC) + timedelta(seconds=45)  # ~ when set-up is over
        spec = StackSpec(
            config.speed,
            anchor,
            config.workers,
            start=_business_start(config, anchor),
            seed=config.seed,
            keep=config.keep,
            plant_scale=config.plant_scale,
        )
        stack = Stack(spec)
        _say(config, f"starting the stack in {stack.instance_dir} ...")
        try:
            stack.start()
        except BaseException:
            stack.stop()
            raise
        config = _with_stack(config, stack)
    try:
        return _drive(config, stack)
    finally:
        if stack is not None:
            stack.stop()


def _business_start(config: SimConfig, anchor: datetime) -> datetime | None:
    """Where the business clock starts: given, the wall clock ('now'), or the first shift of
    next week, so that two simulated days are two working days whatever day the run is on."""
    if config.start == "now":
        return None
    if isinstance(config.start, datetime):
        return config.start
    from c2m.planning import factory_of
    from configurator.samples import SAMPLE_PRODUCTS

    factory = factory_of(config.products_dir or SAMPLE_PRODUCTS)
    return first_shift_of_next_week(factory, anchor)


def first_shift_of_next_week(factory: Factory, after: datetime) -> datetime:
    local = after.astimezone(factory.zone)
    monday = (local + timedelta(days=7 - local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    starts = [  # a night shift running over from Sunday is clipped at midnight: not a start
        start
        for machine in factory.machines
        for start, _ in factory.calendar_of(machine).working_intervals(
            monday, monday + timedelta(days=7), factory.zone
        )
        if start > monday
    ]
    return min(starts, default=monday).astimezone(UTC)


def _with_stack(config: SimConfig, stack: Stack) -> SimConfig:
    from dataclasses import replace

    products = stack.env.get("C2M_PRODUCTS_DIR")
    return replace(
        config,
        url=stack.url,
        mes_url=stack.mes_url,
        planner_password=stack.planner_password,
        products_dir=Path(products) if products else config.products_dir,
    )


def _drive(config: SimConfig, stack: Stack | None) -> dict[str, Any]:
    assert config.url is not None
    tally, consumers_log, planners_log, observed = Tally(), ConsumerLog(), PlannerLog(), Observed()
    _set_faults(config.mes_url, SHOP_FAULTS)
    arrival_wall = config.days * 86400 / config.speed
    total = round(config.orders_per_day * config.days)
    started = time.monotonic()
    arrivals = Arrivals(total, total / arrival_wall, started, config.seed)
    stop_planners, stop_sampler = threading.Event(), threading.Event()
    credentials = (config.planner_user, config.planner_password)
    cadence = Cadence(release_every_s=max(1.0, 1800 / config.speed), replan_every=10)
    threads = [
        threading.Thread(
            target=consumer,
            daemon=True,
            args=(config.url, tally, consumers_log, list(config.models), arrivals, config.seed + n),
        )
        for n in range(config.consumers)
    ]
    threads.append(
        threading.Thread(
            target=planner,
            daemon=True,
            args=(
                config.url,
                config.mes_url,
                credentials,
                tally,
                planners_log,
                cadence,
                stop_planners,
                config.seed,
            ),
        )
    )
    watcher = Client(config.url, tally)
    log_in(watcher, *credentials)
    sampler = threading.Thread(
        target=_sample_loop,
        daemon=True,
        args=(watcher, stack, observed, started, config.sample_every, stop_sampler),
    )
    for thread in [*threads, sampler]:
        thread.start()
    try:
        _timeline(config, stack, observed, started, arrival_wall, consumers_log, total)
        while any(thread.is_alive() for thread in threads[:-1]):  # consumers behind schedule
            if config.max_wall is not None and time.monotonic() - started > config.max_wall:
                arrivals.stop.set()  # the arrivals so far are the run; the report says so
            _revive(stack, observed, time.monotonic() - started)
            _progress(config, 1.0, f"{len(consumers_log.placed)}/{total} orders (late)")
            time.sleep(0.5)
        _drain(config, stack, watcher, observed, started, len(consumers_log.placed))
    except KeyboardInterrupt:
        arrivals.stop.set()
        raise
    finally:
        arrivals.stop.set()
        stop_planners.set()
        threads[-1].join(timeout=120)
        stop_sampler.set()
        sampler.join(timeout=30)
        _set_faults(config.mes_url, {"down": False, "mute_callbacks": False})
    wall = time.monotonic() - started
    return _judge(config, stack, watcher, tally, consumers_log, planners_log, observed, wall)


def _timeline(
    config: SimConfig,
    stack: Stack | None,
    observed: Observed,
    started: float,
    arrival_wall: float,
    consumers_log: ConsumerLog,
    total: int,
) -> None:
    """Fault injections at their fractions of the arrival phase, with the progress bar."""
    kill_at = None if config.kill_worker_at is None else config.kill_worker_at * arrival_wall
    outage_at = None if config.outage_at is None else config.outage_at * arrival_wall
    outage_over = None
    limit = min(arrival_wall, config.max_wall or arrival_wall)
    while (elapsed := time.monotonic() - started) < limit:
        if kill_at is not None and elapsed >= kill_at and stack is not None:
            observed.events.append(f"t={elapsed:.0f}s SIGKILL {stack.kill_worker()}")
            kill_at = None
        if outage_at is not None and elapsed >= outage_at:
            _set_faults(config.mes_url, {"down": True, "mute_callbacks": True})
            observed.events.append(f"t={elapsed:.0f}s MES outage for {config.outage_for:.0f}s")
            outage_at, outage_over = None, elapsed + config.outage_for
        if outage_over is not None and elapsed >= outage_over:
            _set_faults(config.mes_url, {"down": False, "mute_callbacks": False})
            observed.events.append(f"t={elapsed:.0f}s MES back")
            outage_over = None
        _revive(stack, observed, elapsed)
        _progress(config, elapsed / arrival_wall, f"{len(consumers_log.placed)}/{total} orders")
        time.sleep(0.5)
    if outage_over is not None:
        _set_faults(config.mes_url, {"down": False, "mute_callbacks": False})


def _revive(stack: Stack | None, observed: Observed, elapsed: float) -> None:
    for name in stack.revive_workers() if stack else []:
        observed.events.append(f"t={elapsed:.0f}s {name} died on its own; restarted")


def _drain(
    config: SimConfig,
    stack: Stack | None,
    watcher: Client,
    observed: Observed,
    started: float,
    placed: int,
) -> None:
    """After the last arrival: release until every order is done, or the drain time is up and
    every promise made has come due (an order is owed no sooner than its promise)."""
    deadline = time.monotonic() + _drain_wall(config, watcher)
    log = PlannerLog()
    while time.monotonic() < deadline:
        status = observed.samples[-1].status if observed.samples else {"orders": {}}
        done = sum(n for state, n in status["orders"].items() if state in inv.DONE)
        _progress(config, 1.0, f"draining: {done}/{placed} orders completed")
        if placed and done >= placed:
            break
        release_current(watcher, log)
        _revive(stack, observed, time.monotonic() - started)
        time.sleep(1.0)
    _say(config, "")


def _drain_wall(config: SimConfig, watcher: Client) -> float:
    """Wall seconds to drain: the drain days, or longer where the plant has committed to
    later: its latest promise, or the end of its current schedule (an overloaded plant plans
    past its promises; every order must still be made), but never more than 3 days longer."""
    drain = config.drain_days * 86400 / config.speed
    status_code, body = watcher.json("GET", "/api/v1/plant-status", params={"detail": "orders"})
    if status_code != 200:
        return drain
    committed = [o["promised_at"] for o in body.get("order_details", []) if o.get("promised_at")]
    committed += [body["planned_until"]] if body.get("planned_until") else []
    if not committed:
        return drain
    now = datetime.fromisoformat(body["business_now"])
    latest = max(map(datetime.fromisoformat, committed)) + DRAIN_SLACK
    owed = (latest - now).total_seconds() / config.speed
    return min(max(drain, owed), drain + DRAIN_EXTENSION_DAYS * 86400 / config.speed)


def _sample_loop(
    watcher: Client,
    stack: Stack | None,
    observed: Observed,
    started: float,
    every: float,
    stop: threading.Event,
) -> None:
    processes = {} if stack is None else stack.processes
    while True:
        status_code, body = watcher.json("GET", "/api/v1/plant-status")
        if status_code == 200:
            live = {p.name: p for p in processes if p.name != "mes-sim"}
            observed.samples.append(inv.Sample(time.monotonic() - started, body, memory_of(live)))
        if stop.wait(every):
            return


def _set_faults(mes_url: str | None, changes: dict[str, Any]) -> None:
    if mes_url is not None:
        requests.post(f"{mes_url}/_sim/faults", json=changes, timeout=10).raise_for_status()


def _mes_state(mes_url: str | None) -> dict[str, Any] | None:
    if mes_url is None:
        return None
    try:
        return requests.get(f"{mes_url}/_sim/state", timeout=30).json()  # type: ignore[no-any-return]
    except (requests.RequestException, ValueError):
        return None


def _judge(
    config: SimConfig,
    stack: Stack | None,
    watcher: Client,
    tally: Tally,
    consumers_log: ConsumerLog,
    planners_log: PlannerLog,
    observed: Observed,
    wall: float,
) -> dict[str, Any]:
    _, final = watcher.json("GET", "/api/v1/plant-status", params={"detail": "orders"})
    details = final.get("order_details", [])
    mes_state = _mes_state(config.mes_url)
    warm_up = 0.25 * config.days * 86400 / config.speed
    checks = [
        inv.one_current_schedule([*observed.samples, inv.Sample(wall, final, {})]),
        inv.no_server_errors(tally.server_errors),
        inv.outbox_never_stuck(observed.samples, SWEEP_GRACE_S),
        inv.every_order_completed(final, len(consumers_log.placed)),
        inv.effects_exactly_once(mes_state, final),
        inv.units_match_quantities(final),
        inv.memory_bounded(observed.samples, warm_up)
        if stack
        else inv.Check("memory_bounded", True, "skipped: --url (processes not ours to measure)"),
        inv.no_duplicate_orders(consumers_log.duplicate_orders),
        inv.configurator_walks_reach_products(consumers_log.walk_failures),
        inv.no_process_died(stack.dead_processes() if stack else []),
        inv.plan_runs_pass_the_checker(final),
    ]
    machines, windows = _factory_windows(config, details)
    run_info = {
        "url": config.url,
        "days": config.days,
        "speed": config.speed,
        "seed": config.seed,
        "consumers": config.consumers,
        "workers": config.workers,
        "wall_seconds": round(wall, 1),
        "orders_planned": round(config.orders_per_day * config.days),
        "orders_placed": len(consumers_log.placed),
        "machines": machines,
        "plant_scale": config.plant_scale,
        "events": observed.events,
        "samples": len(observed.samples),
        "plan_runs_requested_by_planners": planners_log.requested,
        "plan_runs": final.get("plan_runs_by_kind", {}),
        "releases": planners_log.releases,
        "database": "postgresql" if stack and stack.scratch_database else "as configured",
    }
    errors = {
        "http_5xx": len(tally.server_errors),
        "connection_errors": tally.connection_errors,
        "http_by_class": tally.by_class,
        "walk_failures": len(consumers_log.walk_failures),
        "planner_refusals": planners_log.refused[:5],
        "plan_runs_failed": final.get("plan_runs", {}).get("failed", 0),
        "processes_died": stack.dead_processes() if stack else [],
    }
    baseline = edd(report.baseline_orders(details), windows)
    return report.build(
        run_info,
        details,
        observed.samples,
        final.get("plan_run_latencies", []),
        baseline,
        checks,
        errors,
    )


def _factory_windows(
    config: SimConfig, details: list[dict[str, Any]]
) -> tuple[int, dict[str, list[Window]]]:
    from c2m.planning import factory_of
    from configurator.samples import SAMPLE_PRODUCTS

    factory = factory_of(config.products_dir or SAMPLE_PRODUCTS)
    starts = [datetime.fromisoformat(o["created_at"]) for o in details]
    origin = min(starts, default=datetime.now(UTC)) - timedelta(days=1)
    end = origin + timedelta(days=config.days + config.drain_days + 30)
    windows = {}
    for machine in sorted(factory.machines):
        intervals = factory.calendar_of(machine).working_intervals(origin, end, factory.zone)
        windows[machine] = _merged(list(intervals))
    return len(factory.machines), windows


def _merged(windows: list[Window]) -> list[Window]:
    """Back-to-back shifts are one window, as the planner sees them."""
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _progress(config: SimConfig, share: float, note: str) -> None:
    if config.progress:
        filled = int(30 * min(1.0, share))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share * 100:5.1f} % {note:40}")
        sys.stderr.flush()


def _say(config: SimConfig, text: str) -> None:
    if config.progress:
        sys.stderr.write("\n" if text == "" else text + "\n")
        sys.stderr.flush()
