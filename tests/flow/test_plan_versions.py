"""Schedule versions store what changed: each run writes the operations it added or moved and
closes the ones it replaced or dropped; every earlier version still reads as it was stored."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from c2m import plan_versions
from c2m.models import Order, PlannedOperation, PlanRun
from tests.web.conftest import csrf_of
from tests.web.test_cancellation import carry_out_queued, place

pytestmark = pytest.mark.usefixtures("no_background_worker")
Place = tuple[str, datetime, datetime]


def version_of(app: Flask, run_id: int) -> dict[str, Place]:
    with app.extensions["c2m.sessions"]() as session:
        run = session.get_one(PlanRun, run_id)
        rows = session.scalars(select(PlannedOperation).where(plan_versions.rows_of(run)))
        return {row.operation_key: (row.machine, row.start, row.end) for row in rows}


def rows_written_by(app: Flask, run_id: int) -> int:
    with app.extensions["c2m.sessions"]() as session:
        query = select(func.count()).where(PlannedOperation.plan_run_id == run_id)
        return int(session.scalar(query) or 0)


def test_a_second_order_writes_its_own_operations_and_the_ones_it_moved_only(
    shop: Flask, client: FlaskClient
) -> None:
    place(client, "versions-first-01")
    first = carry_out_queued(shop)
    before = version_of(shop, first)
    place(client, "versions-second-1")
    second = carry_out_queued(shop)
    after = version_of(shop, second)
    changed = {key for key, where in after.items() if before.get(key) != where}
    assert len(after) > len(before) > 0
    assert rows_written_by(shop, second) == len(changed) < len(after)
    assert version_of(shop, first) == before, "the earlier version changed"
    with shop.extensions["c2m.sessions"]() as session:
        versions = [session.get_one(PlanRun, run).version for run in (first, second)]
    assert versions[0] is not None and versions[1] == versions[0] + 1


def test_a_cancelled_order_leaves_the_next_version_and_stays_in_the_one_before(
    shop: Flask, client: FlaskClient
) -> None:
    place(client, "versions-kept-001")
    gone = place(client, "versions-gone-001")
    before = carry_out_queued(shop)
    track = f"/track/{gone['tracking_token']}"
    page = client.get(track).get_data(as_text=True)
    assert client.post(f"{track}/cancel", data={"csrf_token": csrf_of(page)}).status_code == 303
    after = carry_out_queued(shop)  # the re-plan the cancel asked for
    gone_line = _line_of(shop, gone["order"])
    assert any(key.startswith(f"{gone_line}/") for key in version_of(shop, before))
    assert not any(key.startswith(f"{gone_line}/") for key in version_of(shop, after))


def _line_of(app: Flask, order_id: int) -> int:
    with app.extensions["c2m.sessions"]() as session:
        return session.get_one(Order, order_id).lines[0].id
