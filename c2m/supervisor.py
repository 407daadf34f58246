"""`c2m serve`: the web server in this process, worker and MES simulator as children.

Ctrl-C (or SIGTERM) stops the web server and then every child, so nothing is left running.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

from werkzeug.serving import make_server

from c2m import bootstrap
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
    server = make_server(settings.host, settings.port, app, threaded=True)
    env = {
        **os.environ,
        "C2M_MES_SECRET": settings.mes_secret,  # the simulator signs its callbacks with it
        "C2M_MES_CALLBACK_TOKEN": bootstrap.simulator_token(settings) if mes_sim else "",
    }
    children = [
        subprocess.Popen(command, env=env) for command in child_commands(settings, worker, mes_sim)
    ]
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    url = f"http://{settings.host}:{server.server_port}/"
    print(f"c2m is running: open {url}  (Ctrl-C stops web, worker and MES simulator)", flush=True)
    try:
        server.serve_forever()
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
