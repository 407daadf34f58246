"""Queues per kind of work and exactly one scheduler (issue 13): plan runs, MES deliveries and
the rest on their own queues; `c2m worker` runs no beat unless asked, `c2m beat` runs it alone."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import Celery
from click.testing import CliRunner

from c2m import supervisor
from c2m.celery_app import (
    QUEUES,
    RECONCILE_ENV,
    beat_argv,
    celery_config,
    parse_queues,
    reconcile_every_s,
    worker_argv,
)
from c2m.cli import cli
from c2m.plant_sim.stack import Stack, StackSpec
from c2m.settings import Settings, SettingsError
from tests.conftest import child_env


@pytest.fixture(scope="module")
def celery(settings: Settings) -> Celery:
    """A Celery app on the real configuration of the suite's broker (nothing is sent)."""
    app = Celery("routing-under-test")
    app.config_from_object(celery_config(settings))
    return app


def queue_of(celery: Celery, task_name: str) -> str:
    return str(celery.amqp.router.route({}, task_name, (), {})["queue"].name)


def test_plan_runs_go_to_the_plan_queue(celery: Celery) -> None:
    assert queue_of(celery, "c2m.plan") == "plan"


def test_mes_deliveries_and_the_reconciliation_go_to_the_mes_queue(celery: Celery) -> None:
    assert queue_of(celery, "c2m.deliver") == "mes"
    assert queue_of(celery, "c2m.reconcile") == "mes"


def test_order_emails_go_to_the_mail_queue_where_they_never_hold_up_the_sweep(
    celery: Celery,
) -> None:
    assert queue_of(celery, "c2m.send_mail") == "mail"


def test_the_sweep_and_everything_else_go_to_the_default_queue(celery: Celery) -> None:
    assert queue_of(celery, "c2m.sweep") == "celery"
    assert queue_of(celery, "c2m.ping") == "celery"
    assert queue_of(celery, "c2m.anything-new") == "celery"


def test_every_task_the_app_defines_is_routed_to_a_queue_a_default_worker_consumes(
    app,  # type: ignore[no-untyped-def]
) -> None:
    celery_app = app.extensions["celery"]
    celery_app.loader.import_default_modules()
    ours = [name for name in celery_app.tasks if name.startswith("c2m.")]
    assert {"c2m.plan", "c2m.deliver", "c2m.sweep", "c2m.reconcile", "c2m.ping"} <= set(ours)
    assert {queue_of(celery_app, name) for name in ours} <= set(QUEUES)


def test_the_beat_schedules_the_sweep_and_the_mes_reconciliation(celery: Celery) -> None:
    schedule = celery.conf.beat_schedule
    assert schedule["sweep"]["task"] == "c2m.sweep"
    assert schedule["reconcile-mes"]["task"] == "c2m.reconcile"
    assert schedule["reconcile-mes"]["schedule"] == 60.0
    assert celery.conf.beat_scheduler == "celery.beat:Scheduler"  # in memory, no file


def test_the_reconciliation_interval_comes_from_its_variable_and_zero_turns_it_off() -> None:
    assert reconcile_every_s({}) == 60.0
    assert reconcile_every_s({RECONCILE_ENV: "15"}) == 15.0
    assert reconcile_every_s({RECONCILE_ENV: "0"}) == 0.0
    with pytest.raises(SettingsError, match=RECONCILE_ENV):
        reconcile_every_s({RECONCILE_ENV: "soon"})
    with pytest.raises(SettingsError, match=RECONCILE_ENV):
        reconcile_every_s({RECONCILE_ENV: "-1"})


def test_a_worker_consumes_every_queue_and_runs_no_beat_unless_asked(settings: Settings) -> None:
    argv = worker_argv(settings, concurrency=2)
    assert "--beat" not in argv and "-B" not in argv
    assert argv[argv.index("--queues") + 1] == "plan,mes,mail,celery"
    assert "--beat" in worker_argv(settings, 2, beat=True)
    only_mes = worker_argv(settings, 4, ["mes"])
    assert only_mes[only_mes.index("--queues") + 1] == "mes"
    assert only_mes[only_mes.index("--concurrency") + 1] == "4"


def test_queue_names_are_checked_and_none_means_all() -> None:
    assert parse_queues(None) == ["plan", "mes", "mail", "celery"]
    assert parse_queues(" plan , mes,plan") == ["plan", "mes"]
    with pytest.raises(ValueError, match="unknown queue"):
        parse_queues("plan,mse")


def test_beat_argv_runs_the_scheduler_alone(settings: Settings) -> None:
    assert beat_argv(settings) == ["beat", "--loglevel", settings.log_level]


def test_worker_help_says_beat_is_off_by_default_and_lists_the_queues() -> None:
    shown = CliRunner().invoke(cli, ["worker", "--help"])
    assert shown.exit_code == 0, shown.output
    assert "--queues" in shown.output and "plan,mes,mail,celery" in shown.output
    assert "[default: no-beat]" in shown.output
    assert "c2m beat" in shown.output


@pytest.fixture()
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """What `c2m worker` / `c2m beat` hand to Celery, without starting anything."""
    calls: list[list[str]] = []
    monkeypatch.setattr("c2m.commands.app._check_services", lambda *a, **k: None)
    monkeypatch.setattr(Celery, "start", lambda self, argv=None: calls.append(list(argv)))
    yield calls


def test_the_worker_command_starts_celery_without_beat_by_default(
    captured: list[list[str]], service_env: dict[str, str]
) -> None:
    runner = CliRunner(env=service_env)
    assert runner.invoke(cli, ["worker"]).exit_code == 0
    assert runner.invoke(cli, ["worker", "--queues", "plan", "--concurrency", "1"]).exit_code == 0
    assert runner.invoke(cli, ["worker", "--beat"]).exit_code == 0
    default, plan_only, with_beat = captured
    assert default[0] == "worker" and "--beat" not in default
    assert plan_only[plan_only.index("--queues") + 1] == "plan" and "--beat" not in plan_only
    assert "--beat" in with_beat
    refused = runner.invoke(cli, ["worker", "--queues", "planning"])
    assert refused.exit_code != 0 and "unknown queue(s) planning" in refused.output


def test_the_beat_command_starts_the_celery_beat_alone(
    captured: list[list[str]], service_env: dict[str, str]
) -> None:
    assert CliRunner(env=service_env).invoke(cli, ["beat"]).exit_code == 0
    [argv] = captured
    assert argv[0] == "beat" and "worker" not in argv


def test_the_embedded_serve_starts_one_worker_with_the_one_beat(settings: Settings) -> None:
    embedded = settings.with_changes(embedded_worker=True)
    workers = [c for c in supervisor.child_commands(embedded, True, False) if "worker" in c]
    assert len(workers) == 1 and workers[0].count("--beat") == 1
    apart = settings.with_changes(embedded_worker=False)
    assert supervisor.child_commands(apart, True, False) == []


def test_the_plant_simulator_runs_one_beat_process_and_workers_without_beat(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spawned: list[tuple[str, tuple[str, ...]]] = []

    class Fake:
        def __init__(self, name: str, args: tuple[str, ...]) -> None:
            self.name, self.args = name, args
            self.replaced = False
            self.popen = None

    def spawn(self: Stack, name: str, *args: str) -> Fake:
        spawned.append((name, args))
        process = Fake(name, args)
        self.processes.append(process)  # type: ignore[arg-type]
        return process

    monkeypatch.setattr(Stack, "_spawn", spawn)
    stack = Stack(StackSpec(speed=1, anchor=datetime.now(UTC), workers=2), instance_dir=tmp_path)
    stack.start_beat()
    for _ in range(stack.spec.workers):
        stack.start_worker()
    beats = [args for _name, args in spawned if args[0] == "beat"]
    workers = [args for _name, args in spawned if args[0] == "worker"]
    assert len(beats) == 1 and len(workers) == 2
    assert all("--no-beat" in args and "--beat" not in args for args in workers)


@pytest.mark.usefixtures("no_background_worker")
def test_a_beat_process_alone_sends_the_sweep_to_the_default_queue(
    service_env: dict[str, str], migrated_database: str, clean_broker: str, app  # type: ignore[no-untyped-def]
) -> None:
    celery_app = app.extensions["celery"]
    log_path = Path(service_env["C2M_INSTANCE_DIR"]) / "beat.log"
    before = _queue_size(celery_app, "celery")
    with log_path.open("ab") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "c2m", "beat"],
            env=child_env(service_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while _queue_size(celery_app, "celery") <= before:
            assert beat.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "beat sent no sweep"
            time.sleep(0.3)
    finally:
        beat.terminate()
        beat.wait(timeout=20)
    # The worker that comes back after the test runs the sweeps: they are idempotent.


def _queue_size(celery_app: Celery, queue: str) -> int:
    with celery_app.connection_for_write() as connection:
        return int(connection.default_channel.queue_declare(queue=queue).message_count)
