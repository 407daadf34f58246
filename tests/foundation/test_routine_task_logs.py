"""The console of `c2m serve` stays readable: Celery's INFO lines about the sweep (one every
5 s) are DEBUG lines, while every other task keeps its INFO lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from c2m.logging_setup import configure_logging


@pytest.fixture()
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def logged(capsys: pytest.CaptureFixture[str], level: str) -> list[dict[str, str]]:
    configure_logging(level)  # the handler binds the captured stderr
    logging.getLogger("celery.beat").info("Scheduler: Sending due task sweep (c2m.sweep)")
    logging.getLogger("celery.app.trace").info("Task c2m.sweep[1] succeeded in 0.03s: None")
    logging.getLogger("celery.app.trace").info("Task c2m.deliver[2] succeeded in 0.2s: None")
    logging.getLogger("celery.app.trace").warning("Task c2m.sweep[3] raised: boom")
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_at_info_the_sweep_is_silent_and_other_tasks_and_sweep_warnings_are_logged(
    capsys: pytest.CaptureFixture[str], restore_root_logging: None
) -> None:
    lines = logged(capsys, "INFO")
    assert [(line["level"], line["message"]) for line in lines] == [
        ("INFO", "Task c2m.deliver[2] succeeded in 0.2s: None"),
        ("WARNING", "Task c2m.sweep[3] raised: boom"),
    ]


def test_at_debug_the_sweep_lines_are_shown_as_debug_lines(
    capsys: pytest.CaptureFixture[str], restore_root_logging: None
) -> None:
    levels = [(line["logger"], line["level"]) for line in logged(capsys, "DEBUG")]
    assert levels == [
        ("celery.beat", "DEBUG"),
        ("celery.app.trace", "DEBUG"),
        ("celery.app.trace", "INFO"),
        ("celery.app.trace", "WARNING"),
    ]
