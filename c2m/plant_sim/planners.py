"""Planners, as a planner works through the API: log in, release the current schedule on a
cadence, ask for a re-plan now and then, and record every machine breakdown the MES reports
as a breakdown plan run (machine and window)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from c2m.plant_sim.client import Client, Tally


@dataclass
class PlannerLog:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requested: dict[str, int] = field(default_factory=dict)  # plan runs by kind
    releases: int = 0
    released_work_orders: int = 0
    refused: list[str] = field(default_factory=list)

    def note(self, kind: str) -> None:
        with self.lock:
            self.requested[kind] = self.requested.get(kind, 0) + 1


@dataclass(frozen=True)
class Cadence:
    release_every_s: float  # wall seconds
    replan_every: int  # every n-th release round also asks for a re-plan


def log_in(client: Client, username: str, password: str) -> None:
    status, body = client.json(
        "POST", "/api/v1/session", json={"username": username, "password": password}
    )
    if status != 200:
        raise RuntimeError(f"planner log-in refused: {status} {body}")
    # The session cookie authenticates, so every POST carries the session's CSRF token.
    client.http.headers["X-CSRFToken"] = body["csrf_token"]


def release_current(client: Client, log: PlannerLog) -> dict[str, Any]:
    """Release the current schedule; returns the plant status the planner looked at."""
    status, body = client.json("GET", "/api/v1/plant-status")
    run_id = body.get("current_plan_run") if status == 200 else None
    if run_id is None:
        return body if status == 200 else {}
    status, answer = client.json("POST", f"/api/v1/plan-runs/{run_id}/release")
    with log.lock:
        if status == 200:
            log.releases += 1
            log.released_work_orders += len(answer.get("work_orders", []))
        elif status != 409:  # 409: a newer schedule appeared meanwhile; next round
            log.refused.append(f"release {run_id}: {status} {str(answer)[:200]}")
    return body


def record_breakdowns(
    client: Client,
    mes_url: str | None,
    seen: set[tuple[str, str]],
    log: PlannerLog,
    business_now: str | None,
) -> None:
    """New breakdowns on the shop floor become breakdown plan runs (the planner hears of
    them from the MES's state page, as from the shop-floor terminal)."""
    if mes_url is None:
        return
    try:
        state: dict[str, Any] = requests.get(f"{mes_url}/_sim/state", timeout=10).json()
    except (requests.RequestException, ValueError):
        return  # the MES is in its outage; next round
    now = datetime.fromisoformat(business_now) if business_now else None
    for item in state.get("breakdowns", []):
        key = (item["machine"], item["from"])
        if key in seen:
            continue
        seen.add(key)
        if now is not None and datetime.fromisoformat(item["until"]) <= now:
            continue  # over before the planner heard of it: nothing to re-plan
        body = {
            "kind": "breakdown",
            "machine": item["machine"],
            "from": item["from"],
            "until": item["until"],
        }
        status, answer = client.json("POST", "/api/v1/plan-runs", json=body)
        if status == 202:
            log.note("breakdown")
        else:
            with log.lock:
                log.refused.append(f"breakdown {key}: {status} {str(answer)[:200]}")


def planner(
    base_url: str,
    mes_url: str | None,
    credentials: tuple[str, str],
    tally: Tally,
    log: PlannerLog,
    cadence: Cadence,
    stop: threading.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    client = Client(base_url, tally)
    log_in(client, *credentials)
    seen: set[tuple[str, str]] = set()
    rounds = 0
    while not stop.wait(cadence.release_every_s * rng.uniform(0.7, 1.3)):
        rounds += 1
        plant = release_current(client, log)
        record_breakdowns(client, mes_url, seen, log, plant.get("business_now"))
        replan_waiting = plant.get("plan_runs_by_kind", {}).get("replan", {}).get("queued", 0)
        if rounds % cadence.replan_every == 0 and not replan_waiting:
            status, _ = client.json("POST", "/api/v1/plan-runs", json={"kind": "replan"})
            if status == 202:
                log.note("replan")
    release_current(client, log)  # what the last orders became
