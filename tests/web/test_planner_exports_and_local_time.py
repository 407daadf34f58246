"""What a planner takes away and reads: CSV and Excel exports of the schedule, work orders,
BOM and cut list (per plan run and per factory-local day) holding the schedule the board
shows; factory-local times with the zone; names instead of internal ids; a login link."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from c2m import plan_versions, planning
from c2m.models import Order, OrderLine, PlannedOperation, PlanRun
from tests.flow.conftest import samples_dir
from tests.web.conftest import csrf_of, finished, named_configuration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def planned_run(shop: Flask, customer: dict[str, str], orders: int = 2) -> PlanRun:
    client = shop.test_client()
    for i, name in enumerate(["compact_grey", "compact_grey", "compact_grey"][:orders]):
        response = client.post(
            "/api/v1/orders",
            json={
                "model": "sofa",
                "choices": named_configuration("sofa", name),
                "customer": customer,
            },
            headers={"Idempotency-Key": f"planner-export-order-{i:04d}"},
        )
        assert response.status_code == 201, response.get_json()
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id).order_by(PlanRun.id.desc())).first()
    planning.carry_out(sessions, samples_dir(), run_id)
    finished(sessions, run_id)
    with sessions() as session:
        return session.get_one(PlanRun, run_id)


def stored_schedule(shop: Flask, run_id: int) -> set[tuple[str, str, str, str, str]]:
    """(order, operation, machine, local start, local end) of every planned operation."""
    with shop.extensions["c2m.sessions"]() as session:
        rows = session.execute(
            select(PlannedOperation, Order.number)
            .join(OrderLine, OrderLine.id == PlannedOperation.order_line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(plan_versions.rows_of(session.get_one(PlanRun, run_id)))
        ).all()
    return {
        (
            number,
            op.operation_id,
            op.machine,
            f"{op.start.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
            f"{op.end.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
        )
        for op, number in rows
    }


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def as_schedule(rows: list[dict[str, object]]) -> set[tuple[str, ...]]:
    return {
        tuple(
            str(row[key])
            for key in (
                "order",
                "operation_id",
                "machine",
                "start (Asia/Shanghai)",
                "end (Asia/Shanghai)",
            )
        )
        for row in rows
    }


def test_the_schedule_exports_open_and_hold_the_operations_the_board_shows(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer)
    stored = stored_schedule(shop, run.id)
    assert stored
    by_csv = planner.get(f"/planning/exports/schedule.csv?run={run.id}")
    assert by_csv.status_code == 200 and by_csv.mimetype == "text/csv"
    assert "attachment" in by_csv.headers["Content-Disposition"]
    by_xlsx = planner.get(f"/planning/exports/schedule.xlsx?run={run.id}")
    assert by_xlsx.status_code == 200
    assert as_schedule(csv_rows(by_csv.data)) == stored  # type: ignore[arg-type]
    assert as_schedule(xlsx_rows(by_xlsx.data)) == stored
    day = run.origin.astimezone(SHANGHAI)
    page = planner.get(f"/planning?day={day:%Y-%m-%d}&run={run.id}").get_data(as_text=True)
    titles = set(re.findall(r"<title>([^<]+ · [^<]+ · \d\d:\d\d–\d\d:\d\d [^<]+)</title>", page))
    exported_day = csv_rows(
        planner.get(f"/planning/exports/schedule.csv?run={run.id}&day={day:%Y-%m-%d}").data
    )
    assert exported_day
    for row in exported_day:  # each row of the day is a bar of the day's board, same times
        title = (
            f"{row['order']} · {row['operation_id']} · {row['start (Asia/Shanghai)'][11:]}"
            f"–{row['end (Asia/Shanghai)'][11:]} Asia/Shanghai"
        )
        assert any(t.startswith(title) for t in titles), title
    assert len(titles) == len(exported_day)


def test_a_day_export_holds_only_operations_of_that_factory_local_day(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer, orders=3)
    day = run.origin.astimezone(SHANGHAI).date() + timedelta(days=1)
    rows = csv_rows(planner.get(f"/planning/exports/schedule.csv?run={run.id}&day={day}").data)
    midnight = datetime.combine(day, datetime.min.time(), SHANGHAI)
    for row in rows:
        start = datetime.fromisoformat(row["start (Asia/Shanghai)"]).replace(tzinfo=SHANGHAI)
        end = datetime.fromisoformat(row["end (Asia/Shanghai)"]).replace(tzinfo=SHANGHAI)
        assert end > midnight and start < midnight + timedelta(days=1)
    everything = csv_rows(planner.get(f"/planning/exports/schedule.csv?run={run.id}").data)
    assert len(rows) < len(everything)


def test_work_orders_bom_and_cut_list_exports_name_orders_and_products(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer)
    board = planner.get("/planning").get_data(as_text=True)
    released = planner.post(f"/planning/runs/{run.id}/release", data={"csrf_token": csrf_of(board)})
    assert released.status_code == 303
    work_orders = xlsx_rows(planner.get(f"/planning/exports/work-orders.xlsx?run={run.id}").data)
    assert len(work_orders) == 2 and all(str(w["work_order"]) for w in work_orders)
    assert {w["product"] for w in work_orders} == {"Modular sofa"}
    bom = csv_rows(planner.get(f"/planning/exports/bom.csv?run={run.id}").data)
    cuts = xlsx_rows(planner.get(f"/planning/exports/cut-list.xlsx?run={run.id}").data)
    assert bom and cuts
    for row in bom + cuts:  # type: ignore[operator]
        # an empty cell is empty (None in openpyxl), never the text "None"
        assert "None" not in {str(v) for v in row.values() if v is not None}
        assert str(row["order"]).startswith("C2M-")
    assert all(isinstance(c["pieces"], int) for c in cuts)
    chinese = planner.get(f"/planning/exports/schedule.csv?run={run.id}&lang=zh").data
    assert "工序" not in chinese.decode("utf-8-sig").splitlines()[0]  # headers are fields
    assert re.search("[\u4e00-\u9fff]", chinese.decode("utf-8-sig"))  # names in 中文


def test_the_board_links_every_export_and_shows_local_times_with_the_zone(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer)
    day = run.origin.astimezone(SHANGHAI)
    page = planner.get(f"/planning?day={day:%Y-%m-%d}").get_data(as_text=True)
    for kind in ("schedule", "work-orders", "bom", "cut-list"):
        for fmt in ("csv", "xlsx"):
            links = re.findall(rf'href="(/planning/exports/{kind}\.{fmt}\?[^"]+)"', page)
            assert len(links) == 2, (kind, fmt)  # the run and the day
            assert all(planner.get(link.replace("&amp;", "&")).status_code == 200 for link in links)
    assert "Times in Asia/Shanghai" in page
    assert 'id="gantt-legend"' in page and "frozen or released" in page
    assert f'href="/planning?run={run.id}' in page  # plan runs are clickable
    zh = planner.get(f"/planning?day={day:%Y-%m-%d}&lang=zh").get_data(as_text=True)
    assert "时间为 Asia/Shanghai" in zh and "图例" in zh and "导出" in zh


def test_times_follow_the_factory_zone_setting(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer)
    settings = shop.extensions["c2m.settings"]
    shop.extensions["c2m.settings"] = settings.with_changes(factory_timezone="Europe/Berlin")
    rows = csv_rows(planner.get(f"/planning/exports/schedule.csv?run={run.id}").data)
    with shop.extensions["c2m.sessions"]() as session:
        first = session.scalars(
            select(PlannedOperation)
            .where(plan_versions.rows_of(run))
            .order_by(PlannedOperation.start)
        ).first()
    assert first is not None
    berlin = f"{first.start.astimezone(ZoneInfo('Europe/Berlin')):%Y-%m-%d %H:%M}"
    assert berlin in {row["start (Europe/Berlin)"] for row in rows}
    detail = planner.get(f"/planning/operations/{first.id}").get_data(as_text=True)
    assert f"{berlin[5:]}" in detail and "Europe/Berlin" in detail and "UTC" not in detail


def test_what_moved_lists_order_product_and_operation_names_not_internal_ids(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> None:
    run = planned_run(shop, customer, orders=1)
    sessions = shop.extensions["c2m.sessions"]
    with sessions.begin() as session:  # a move as the planner records it: "<line>/<operation>"
        op = session.scalars(select(PlannedOperation).where(plan_versions.rows_of(run))).first()
        assert op is not None
        earlier = (op.start - timedelta(hours=1)).isoformat()
        session.get_one(PlanRun, run.id).moves = {
            "moved": [
                {
                    "operation": op.operation_key,
                    "from_machine": op.machine,
                    "to_machine": op.machine,
                    "from_start": earlier,
                    "to_start": op.start.isoformat(),
                    "shift_min": 60,
                }
            ]
        }
        key, start = op.operation_key, op.start.astimezone(SHANGHAI)
    page = planner.get("/planning").get_data(as_text=True)
    moved = page.split("What moved", 1)[1].split("</table>", 1)[0]
    assert key not in moved
    assert "C2M-" in moved and "Modular sofa" in moved
    assert f"{start:%m-%d %H:%M}" in moved and "(Asia/Shanghai)" in moved
    zh = planner.get("/planning?lang=zh").get_data(as_text=True)
    assert key not in zh.split("变动", 1)[1].split("</table>", 1)[0]


def test_a_browser_without_a_session_is_sent_to_the_login_and_back(shop: Flask) -> None:
    from tests.web.conftest import PASSWORD, add_user

    add_user(shop, "lin", "planner")
    browser = shop.test_client()
    asked = browser.get("/planning?zoom=week", headers={"Accept": "text/html,*/*;q=0.8"})
    assert asked.status_code == 303
    assert asked.headers["Location"].startswith("/login?next=")
    login = browser.get(asked.headers["Location"]).get_data(as_text=True)
    back = browser.post(
        asked.headers["Location"],
        data={"username": "lin", "password": PASSWORD, "csrf_token": csrf_of(login)},
    )
    assert back.status_code == 303 and back.headers["Location"] == "/planning?zoom=week"
    script = shop.test_client().get("/planning", headers={"Accept": "application/json"})
    assert script.status_code == 401 and script.is_json
    htmx = shop.test_client().get("/planning", headers={"Accept": "text/html", "HX-Request": "1"})
    assert htmx.status_code == 401


def test_the_login_never_sends_anyone_to_another_site(shop: Flask) -> None:
    from tests.web.conftest import PASSWORD, add_user

    add_user(shop, "wu", "planner")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        browser = shop.test_client()
        login = browser.get("/login").get_data(as_text=True)
        answer = browser.post(
            "/login",
            query_string={"next": target},
            data={"username": "wu", "password": PASSWORD, "csrf_token": csrf_of(login)},
        )
        assert answer.status_code == 303 and answer.headers["Location"] == "/planning", target
