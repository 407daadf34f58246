"""`c2m serve`: the web server (gunicorn's master, c2m.web_server) in this process, worker and
MES simulator as children.

Ctrl-C (or SIGTERM) stops the web server and its worker processes, then every other child, so
nothing is left running.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from c2m import bootstrap, web_server
from c2m.app import create_app
from c2m.logging_setup import configure_logging
from c2m.settings import Settings

log = logging.getLogger(__name__)
CHILD_STOP_TIMEOUT_S = 10


def child_commands(settings: Settings, worker: bool, mes_sim: bool) -> list[list[str]]:
    commands: list[list[str]] = []
    if worker and settings.embedded_worker:
        # The embedded plant's whole back end: every queue, and the one scheduler (sweep, MES
        # reconciliation) in the same process. With C2M_EMBEDDED_WORKER=0 the deployment runs
        # its workers and exactly one `c2m beat` apart.
        commands.append([sys.executable, "-m", "c2m", "worker", "--concurrency", "2", "--beat"])
    if mes_sim and _has_command("mes-sim"):
        commands.append(
            [
                sys.executable,
                "-m",
                "c2m",
                "mes-sim",
                "--port",
                str(settings.mes_sim_port),
                "--callback-url",
                f"http://{settings.host}:{settings.port}/api/mes/v1/events",
                # Ten shop minutes per second: a day's work plays out in a couple of minutes.
                "--speed",
                "600",
            ]
        )
    return commands


def _has_command(name: str) -> bool:
    from c2m.cli import COMMANDS

    return name in COMMANDS


def serve(settings: Settings, worker: bool = True, mes_sim: bool = True) -> int:
    configure_logging(settings.log_level)
    app = create_app(settings)
    env = {
        **os.environ,
        "C2M_MES_SECRET": settings.mes_secret,  # the simulator signs its callbacks with it
        "C2M_MES_CALLBACK_TOKEN": bootstrap.simulator_token(settings) if mes_sim else "",
    }
    children = [
        subprocess.Popen(command, env=env) for command in child_commands(settings, worker, mes_sim)
    ]

    def announce(_arbiter: Any) -> None:
        # Once the socket is bound: the URL answers as soon as it is shown.
        url = f"http://{settings.host}:{settings.port}/"
        print(f"c2m is running: open {url}  (Ctrl-C stops web, worker and MES simulator)",
              flush=True)

    try:
        web_server.run(settings, app, announce)
    except SystemExit as stopped:  # gunicorn's way of ending after SIGINT or SIGTERM
        return stopped.code if isinstance(stopped.code, int) else 1
    finally:
        stop_children(children)
    return 0


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=CHILD_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("child did not stop in time; killing it", extra={"pid": child.pid})
            child.kill()
            child.wait()
