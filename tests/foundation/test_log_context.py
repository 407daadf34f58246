"""Every log line says which request, task or plan run wrote it, so one search finds all that
a request or a plan run did across the web and worker logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from c2m import planning
from c2m.logging_setup import configure_logging

log = logging.getLogger("c2m.tests.log_context")


@pytest.fixture()
def json_log() -> Iterator[io.StringIO]:
    """What the JSON handler of `c2m serve` writes at INFO."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture()
def probed(app: Flask) -> Flask:
    def probe() -> str:
        log.info("probe handled")
        return "ok"

    app.add_url_rule("/probe-log-context", view_func=probe)
    return app


def test_a_request_logs_the_request_id_it_was_sent_and_answers_with_it(
    probed: Flask, json_log: io.StringIO
) -> None:
    answer = probed.test_client().get("/probe-log-context", headers={"X-Request-Id": "edge-42"})
    assert answer.headers["X-Request-Id"] == "edge-42"
    logged = lines(json_log)[-1]
    assert (logged["message"], logged["request_id"]) == ("probe handled", "edge-42")


@pytest.mark.parametrize("sent", [None, "x" * 65, "<script>", "a b", "id;drop"])
def test_a_request_without_a_usable_id_gets_a_fresh_one_in_its_logs_and_answer(
    probed: Flask, json_log: io.StringIO, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-Id": sent}
    answer = probed.test_client().get("/probe-log-context", headers=headers)
    given = answer.headers["X-Request-Id"]
    assert given != sent and len(given) == 32
    assert lines(json_log)[-1]["request_id"] == given


def test_after_a_request_its_id_no_longer_marks_log_lines(
    probed: Flask, json_log: io.StringIO
) -> None:
    probed.test_client().get("/probe-log-context")
    log.info("between requests")
    assert "request_id" not in lines(json_log)[-1]


def test_a_task_of_the_apps_celery_logs_its_task_id_and_name(
    app: Flask, json_log: io.StringIO
) -> None:
    celery_app = app.extensions["celery"]

    @celery_app.task(name="c2m.tests.probe")
    def probe() -> None:
        log.info("task ran")

    result = probe.apply()
    line = next(line for line in lines(json_log) if line["message"] == "task ran")
    assert (line["task_id"], line["task"]) == (result.id, "c2m.tests.probe")


def test_a_plan_run_logs_its_id_on_every_line(
    monkeypatch: pytest.MonkeyPatch, json_log: io.StringIO
) -> None:
    def run(*_: object) -> None:
        log.info("planning")

    monkeypatch.setattr(planning, "_carry_out", run)
    planning.carry_out(None, None, 17)  # type: ignore[arg-type]
    log.info("after the run")
    planned, after = lines(json_log)[-2:]
    assert planned["plan_run"] == 17 and "plan_run" not in after
