"""Good counts are bounded by the ordered quantity: a completion cannot make more units than
were ordered. A count that cannot be right is refused (422, naming the field) and nothing of it
is kept, so the MES can send the corrected event again."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from c2m.models import MesEvent, Unit, WorkOrder
from c2m.settings import Settings
from mes_bridge.lifecycle import WorkOrderState
from tests.mes_faults.test_callbacks import event, post, state_of

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.fixture()
def work_order(release_orders, app: Flask) -> str:  # type: ignore[no-untyped-def]
    release_orders(1)  # one sofa: quantity 1
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(WorkOrder.number)).one()


def units(app: Flask) -> int:
    with app.extensions["c2m.sessions"]() as session:
        return len(session.scalars(select(Unit)).all())


def test_a_completion_with_more_good_pieces_than_ordered_is_refused_naming_the_field(
    app: Flask, settings: Settings, work_order: str
) -> None:
    answer = post(app, settings, *event(work_order, 3, "completed", good=20000))
    assert answer.status_code == 422
    assert answer.get_json()["where"] == "good"
    assert (
        "20000" in answer.get_json()["detail"]
        and "ordered quantity 1" in answer.get_json()["detail"]
    )
    assert units(app) == 0 and state_of(app) is WorkOrderState.RELEASED
    with app.extensions["c2m.sessions"]() as session:
        assert session.scalars(select(MesEvent)).all() == []


def test_the_corrected_completion_sent_again_makes_exactly_the_ordered_units(
    app: Flask, settings: Settings, work_order: str
) -> None:
    assert post(app, settings, *event(work_order, 3, "completed", good=20000)).status_code == 422
    assert post(app, settings, *event(work_order, 3, "completed", good=1)).status_code == 200
    assert state_of(app) is WorkOrderState.COMPLETED
    assert units(app) == 1


def test_a_completion_that_reports_no_good_count_makes_the_ordered_units(
    app: Flask, settings: Settings, work_order: str
) -> None:
    assert post(app, settings, *event(work_order, 3, "completed", good=0)).status_code == 200
    assert units(app) == 1
