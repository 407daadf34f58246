"""Soak: two simulated plant days through the real stack (web, workers, MES simulator as
processes) with four concurrent consumers, a worker SIGKILLed and an MES outage mid-run.
Runs on the suite's configuration: embedded by default, PostgreSQL + Redis when set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
pytestmark = [pytest.mark.soak, pytest.mark.integration, pytest.mark.timeout(1200)]
# Web memory within 20 % of its post-warm-up level holds since c2m caps glibc's malloc arenas
# (c2m/memory.py; before, the werkzeug thread per request grew it 20-30 %): it held in six
# runs, one on PostgreSQL + Redis (+13 to +15 %; +20 % once, at twice the speed on a machine
# loaded four-fold).


def own_broker(env: dict[str, str]) -> dict[str, str]:
    """The suite's own worker consumes the suite's Redis db: the simulated plant gets the next
    db (and its stack flushes it), so neither takes the other's tasks."""
    url = env.get("C2M_BROKER_URL", "")
    if url.startswith("redis://"):
        base, _, db = url.rpartition("/")
        env["C2M_BROKER_URL"] = f"{base}/{(int(db or 0) + 1) % 16}"
    return env


def test_two_plant_days_with_a_killed_worker_and_an_mes_outage_keep_every_invariant():
    command = [
        sys.executable,
        "-m",
        "c2m",
        "simulate",
        "--days",
        "2",
        "--orders-per-day",
        "110",
        "--consumers",
        "4",
        # A business day in 80 wall seconds (five minutes in all; at 720 it took 7.5). At a day
        # a minute the 2-core machine keeps up with the orders, but with the order e-mails a
        # killed worker's MES push waited 23 s past its claim for the sweep (grace 20 s).
        "--speed",
        "1080",
        # The sample plant makes about 20 orders a day; 110 a day needs machines 10x as fast
        # (at 8x its one day-shift powder line is booked into the next week).
        "--plant-scale",
        "10",
        "--kill-worker-at",
        "0.4",
        "--outage-at",
        "0.6",
        "--outage-for",
        "15",
        "--drain-days",
        "1",
        "--json",
        "--quiet",
    ]
    done = subprocess.run(
        command, cwd=REPO, env=own_broker(dict(os.environ)), capture_output=True, text=True,
        timeout=1100,
    )
    assert done.stdout, f"no report; stderr:\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    kind = "postgres" if "postgres" in os.environ.get("C2M_DATABASE_URL", "") else "embedded"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"soak-{kind}.json").write_text(json.dumps(report, indent=1))
    failed = {c["name"]: c["detail"] for c in report["invariants"] if not c["ok"]}
    assert failed == {}, json.dumps({"failed": failed, "errors": report["errors"]}, indent=1)
    assert done.returncode == 0, done.stderr[-2000:]
    assert report["figures"]["orders"] >= 200
    assert report["run"]["consumers"] >= 4
    events = " ".join(report["run"]["events"])
    assert "SIGKILL worker" in events and "MES outage" in events
