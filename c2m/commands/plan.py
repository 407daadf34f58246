"""`c2m plan-fjsp`, `c2m bench planner`, `c2m bench plan-fjsp`, `c2m bench insertion`: thin
wrappers over planner."""

from __future__ import annotations

import atexit
import gc
import json
import sys
from collections.abc import Callable
from typing import Any

import click


def register(cli: click.Group, bench: click.Group) -> None:
    cli.add_command(plan_fjsp_command)
    bench.add_command(bench_planner)
    bench.add_command(bench_plan_fjsp)
    bench.add_command(bench_insertion)


@click.command("plan-fjsp")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--time-limit", type=float, required=True,
              help="Seconds of wall time for the whole command, from process start to exit.")
@click.option("--seed", type=int, default=0)
@click.option("--json", "as_json", is_flag=True)
def plan_fjsp_command(file: str, time_limit: float, seed: int, as_json: bool) -> None:
    """Plan a standard FJSP instance for minimum makespan."""
    from planner.budget import command_deadline, output_reserve, started_for

    # Counted from process start: start-up and imports are part of what the caller waits for.
    deadline = command_deadline(time_limit, "plan-fjsp")
    if started_for("plan-fjsp", sys.argv):
        atexit.register(_skip_final_collection)
    from planner import FjspFormatError, check, plan_fjsp, read_fjsp

    try:
        problem = read_fjsp(file)
    except FjspFormatError as error:
        raise click.ClickException(str(error)) from None
    schedule = plan_fjsp(problem, time_limit, seed, deadline=deadline,
                         after=output_reserve(len(problem.operations)))
    violations = check(problem, schedule)
    rows = [
        {
            "job": a.operation_id.split(".")[0],
            "operation": a.operation_id,
            "machine": a.machine_id,
            "start": a.start,
            "end": a.end,
        }
        for a in schedule.assignments
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "makespan": schedule.makespan,
                    "violations": [v.message for v in violations],
                    "assignments": rows,
                }
            )
        )
        return
    click.echo(f"makespan {schedule.makespan}  violations {len(violations)}")
    for r in rows:
        click.echo(
            f"{r['job']:>5} {r['operation']:>10} {r['machine']:>4} {r['start']:>6} {r['end']:>6}"
        )


def _skip_final_collection() -> None:
    """At exit of a process started for plan-fjsp: leave the heap to the OS. The interpreter's
    final garbage collections over everything the CLI imported took 0.5-1 s on 2 shared
    cores; frozen objects are not traversed. (Only ever at exit: gc stays on in tests.)"""
    gc.disable()
    gc.freeze()


@click.command("planner")
@click.option("--set", "set_name", type=click.Choice(["brandimarte", "large"]),
              default="brandimarte", help="large: Dauzere-Paulli, Behnke-Geiger, Hurink vdata.")
@click.option("--time-limit", default="10,60", help="Comma-separated seconds per instance.")
@click.option("--instances", default="", help="Comma-separated subset, e.g. mk01,mk10.")
@click.option("--no-peer", is_flag=True, help="Skip the CP-SAT peer.")
@click.option("--json", "as_json", is_flag=True)
def bench_planner(
    set_name: str, time_limit: str, instances: str, no_peer: bool, as_json: bool
) -> None:
    """Our planner vs OR-Tools CP-SAT (2 workers, separate process): mean gap to the
    best-known makespans on mk01-mk10 or the larger public sets."""
    from planner.bench import SETS, planner_bench

    names = [n for n in instances.split(",") if n] or SETS[set_name]
    results = []
    for limit in (float(x) for x in time_limit.split(",")):
        res = _one_line_if_missing(planner_bench, names, limit, peer=not no_peer)
        results.append(res)
        if not as_json:
            _print_planner(res)
    if as_json:
        click.echo(json.dumps(results, indent=1))


def _print_planner(res: dict) -> None:
    click.echo(f"time limit {res['time_limit']} s")
    click.echo(f"{'instance':>22} {'best':>5} {'ours':>5} {'gap%':>6} {'cpsat':>6} {'gap%':>6}"
               " viol")
    for r in res["rows"]:
        click.echo(
            f"{r['instance']:>22} {r['best_known']:>5} {r['ours']:>5} "
            f"{r['ours_gap']:>6.2f} {r['cpsat'] or '-':>6} "
            f"{r['cpsat_gap'] if r['cpsat_gap'] is not None else '-':>6} "
            f"{r['violations']}"
        )
    peer = res["mean_gap_cpsat"]
    click.echo(
        f"mean gap: ours {res['mean_gap_ours']:.2f} %  cpsat "
        f"{'-' if peer is None else f'{peer:.2f} %'}"
    )


def _one_line_if_missing(bench: Callable[..., dict], *args: Any, **kwargs: Any) -> dict:
    """A benchmark whose instances are missing says which and where, in one line."""
    try:
        return bench(*args, **kwargs)
    except FileNotFoundError as missing:
        raise click.ClickException(str(missing)) from None


@click.command("plan-fjsp")
@click.argument("instances", nargs=-1)
@click.option("--runs", type=int, default=5, help="Runs per instance.")
@click.option("--time-limit", type=float, default=10.0)
@click.option("--json", "as_json", is_flag=True)
def bench_plan_fjsp(instances: tuple[str, ...], runs: int, time_limit: float,
                    as_json: bool) -> None:
    """Wall time of `c2m plan-fjsp --time-limit T`, each run a fresh process (as a user runs
    it): median, p95 and max per instance. INSTANCES are files or names under the shared
    FJSP folder (default: brandimarte/mk10 hurink/vdata/abz7 behnke/lar04_3)."""
    from planner.bench import cli_wall_bench

    res = _one_line_if_missing(cli_wall_bench, list(instances), runs, time_limit)
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    click.echo(f"plan-fjsp --time-limit {res['time_limit']}: {res['runs']} runs each, "
               f"wall seconds (process start to exit)")
    click.echo(f"{'instance':>22} {'median':>7} {'p95':>7} {'max':>7} {'over':>5} "
               f"{'makespan':>12} viol")
    for r in res["rows"]:
        click.echo(f"{r['instance']:>22} {r['median_s']:>7.2f} {r['p95_s']:>7.2f} "
                   f"{r['max_s']:>7.2f} {r['over_limit']:>5} "
                   f"{r['makespan_min']:>5}-{r['makespan_max']:<6} {r['violations']}")
    click.echo(f"all runs: median {res['median_s']:.2f} s  p95 {res['p95_s']:.2f} s  "
               f"max {res['max_s']:.2f} s  over {res['time_limit']} s: {res['over_limit']}")


@click.command("insertion")
@click.option("--ops", default="2000", help="Comma-separated plan sizes, e.g. 2000,10000,50000.")
@click.option("--runs", type=int, default=50, help="New orders inserted per size.")
@click.option("--checked", type=int, default=3,
              help="Runs per size and policy whose whole plan goes through the checker.")
@click.option("--legacy-max-ops", type=int, default=4000,
              help="Largest size at which the former whole-problem insertion runs too.")
@click.option("--seed", type=int, default=0)
@click.option("--json", "as_json", is_flag=True)
def bench_insertion(ops: str, runs: int, checked: int, legacy_max_ops: int, seed: int,
                    as_json: bool) -> None:
    """Inserting ~10-op orders into a live plant schedule: the live schedule's insertion
    against gap-only and push-right on the same structure, and the former whole-problem
    insertion: latency p50/p95/p99, growth exponent, lateness, disruption, checker."""
    from planner.live_bench import insertion_bench

    try:
        sizes = [int(x) for x in ops.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"{ops!r} is not a list of sizes", param_hint="--ops") from None
    if not sizes or min(sizes) < 10 or runs < 1:
        raise click.BadParameter("sizes of at least 10 ops and at least 1 run",
                                 param_hint="--ops/--runs")
    res = insertion_bench(sizes, runs, seed, checked, legacy_max_ops)
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    for row in res["sizes"]:
        click.echo(f"{row['ops']} ops on {row['machines']} machines, {res['runs']} insertions "
                   f"(live schedule built in {row['live_build_s']} s)")
        for name, s in row.items():
            if isinstance(s, dict) and "p50_ms" in s:
                click.echo(
                    f"{name:>18}: p50 {s['p50_ms']} p95 {s['p95_ms']} p99 {s['p99_ms']} ms"
                    f"  late {s['late_runs']}/{s['runs']} (mean {s['new_order_lateness_mean_min']}"
                    f" min, on time where a slot exists {s['on_time_where_slot_exists']})"
                    f"  others' added tardiness {s['others_added_tardiness_total']}"
                    f"  moved mean {s['moved_mean']} max {s['moved_max']}"
                    f"  violations {s['violations']}")
        click.echo(f"on-time oracle (pushes of up to {row['oracle']['push_limit']} ops): "
                   f"{row['oracle']}")
        click.echo(f"p95 ratio best/peer: {row['p95_ratio_to_peers']}")
    click.echo(f"growth exponent (p95): {res['growth_exponent']}")
