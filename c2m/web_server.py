"""The web server of `c2m serve` (embedded default and production alike): gunicorn, in process.

`C2M_WEB_WORKERS` processes of `C2M_WEB_THREADS` threads each (gunicorn's gthread workers):
configurator clicks are CPU-bound Python, so one process per core takes them past one GIL, and
the threads overlap the waits on the database and the broker. The app is built once in the
master before the workers fork (preload): imports and anything made at start are shared
copy-on-write, and a broken app stops `c2m serve` with its error instead of a worker crash loop.
What a forked worker must not share (pooled database connections, the broker's producer pool,
the memory-trim thread, which does not survive a fork) is made afresh in `post_fork`.

Logging: gunicorn's own lines go through c2m's JSON handler (c2m.logging_setup); its access log
stays off, as every request already logs with its request id where it matters and one line per
request would bury the console of `make run`.

Per-process state: the rate limiter counts in Redis or a host-wide SQLite file
(c2m.rate_limit_storage), never per process. Promise and configurator caches are per process,
which only costs a miss per worker. SQLite is opened in WAL mode with a busy timeout (c2m.db),
so the workers' writes queue rather than fail.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from c2m.settings import Settings

log = logging.getLogger(__name__)
# A request that runs longer is cut off and its worker replaced (PDFs and plan pages take
# seconds, never minutes); a stop waits this long for requests in flight.
TIMEOUT_S = 120
GRACEFUL_TIMEOUT_S = 10


def gunicorn_options(settings: Settings, when_ready: Callable[[Any], None]) -> dict[str, object]:
    """gunicorn's settings for c2m, from c2m's own (pure: the tests read it)."""
    return {
        "bind": [f"{_bind_host(settings.host)}:{settings.port}"],
        "workers": settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "preload_app": True,
        "timeout": TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "accesslog": None,
        "loglevel": settings.log_level.lower(),
        "logger_class": JsonLogger,
        "proc_name": "c2m-web",
        # gunicorn 23+ opens a control socket in ~/.gunicorn: one path for every server of the
        # user, which two `c2m serve` on one host would fight over. c2m does not use it.
        "control_socket_disable": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "when_ready": when_ready,
    }


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's error log through the root logger's JSON handler; no access log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True


def _pre_fork(_server: Any, _worker: Any) -> None:
    """The master's objects out of the collector's reach: a collection in a worker would
    otherwise write to every one of them (its bookkeeping lives in the object) and so copy
    the shared pages one by one, growing each worker towards a full copy of the master."""
    gc.freeze()


def _post_fork(_server: Any, worker: Any) -> None:
    app: Flask = worker.app.flask_app
    # The master's pooled connections belong to it: close=False leaves its sockets alone.
    app.extensions["c2m.engine"].dispose(close=False)
    app.extensions["celery"]._after_fork()  # drops the producer pool made before the fork
    from c2m.memory import keep_returning_free_memory

    keep_returning_free_memory()


class WebServer(BaseApplication):  # type: ignore[misc]
    """gunicorn's arbiter serving c2m's Flask app, configured from code, not a file."""

    def __init__(self, flask_app: Flask, options: dict[str, object]) -> None:
        self.flask_app = flask_app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.flask_app


def run(settings: Settings, flask_app: Flask, when_ready: Callable[[Any], None]) -> None:
    """Serve until SIGINT or SIGTERM; gunicorn then stops its workers and exits (SystemExit)."""
    WebServer(flask_app, gunicorn_options(settings, when_ready)).run()
