"""The planner board in Debian's chromium at 1280 and 375 px, in English and 中文: labelled
bars, a legend, factory-local times with the zone, the operation detail next to the bar, and
an export link that downloads a file that opens."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from c2m import plan_versions
from c2m.models import PlannedOperation, PlanRun
from tests.conftest import screenshot
from tests.web.conftest import PASSWORD, add_user
from tests.web.test_planner_exports_and_local_time import planned_run

pytestmark = pytest.mark.browser

ZONE_TEXT = {"en": "Times in Asia/Shanghai", "zh": "时间为 Asia/Shanghai"}
LEGEND = {"en": "Legend", "zh": "图例"}


def logged_in_page(browser: Any, base: str, width: int, lang: str, errors: list[str]) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/planning?lang={lang}")  # no session: the login form, then back
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", "mei")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/planning"))
    return page


def longest_operation_start(app: Flask, run: PlanRun) -> datetime:
    with app.extensions["c2m.sessions"]() as session:
        rows = session.scalars(select(PlannedOperation).where(plan_versions.rows_of(run))).all()
    assert rows, "the run planned nothing"
    return max(rows, key=lambda row: row.end - row.start).start


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_board_shows_labels_legend_and_local_times_and_exports_open(
    shop: Flask,
    customer: dict[str, str],
    live_server: str,
    browser: Any,
    tmp_path: Path,
    width: int,
    lang: str,
) -> None:
    run = planned_run(shop, customer)
    add_user(shop, "mei", "planner")
    errors: list[str] = []
    page = logged_in_page(browser, live_server, width, lang, errors)
    # The day of its longest operation, a bar wide enough for a label: on the run's own day
    # (a Saturday's short shift, say) there may be only short ones, or none.
    day = longest_operation_start(shop, run).astimezone(ZoneInfo("Asia/Shanghai"))
    page.goto(f"{live_server}/planning?day={day:%Y-%m-%d}&lang={lang}")
    assert page.locator("#time-zone").inner_text() == ZONE_TEXT[lang]
    assert page.locator("#gantt-legend h2").inner_text() == LEGEND[lang]
    assert page.locator("#gantt-legend li").count() >= 3
    labels = page.locator("svg.gantt text.bar-label")
    assert labels.count() > 0 and (labels.first.text_content() or "").startswith("C2M-")
    bar = page.locator("svg.gantt g.op").first
    bar.scroll_into_view_if_needed()
    bar.click()
    detail = page.locator("#op-detail .op-card")
    detail.wait_for()
    assert "Asia/Shanghai" in detail.inner_text() and "UTC" not in detail.inner_text()
    near, viewport = detail.bounding_box(), page.viewport_size
    box = bar.bounding_box()
    assert near is not None and box is not None
    assert near["y"] >= 0 and near["y"] + 20 <= viewport["height"]  # on screen, not below
    below = abs(near["y"] - (box["y"] + box["height"])) < 40
    above = abs(near["y"] + near["height"] - box["y"]) < 40
    assert below or above, (near, box)  # next to the bar
    screenshot(page, f"planner-board-{lang}-{width}")
    with page.expect_download() as fetched:
        page.locator('#exports a[href*="schedule.csv"]').first.click()
    rows = list(csv.reader(io.StringIO(Path(fetched.value.path()).read_text("utf-8-sig"))))
    assert rows[0][5] == "start (Asia/Shanghai)" and len(rows) > 1
    with page.expect_download() as fetched:
        page.locator('#exports a[href*="cut-list.xlsx"]').first.click()
    # The browser keeps a download under a name of its own, without the extension openpyxl
    # insists on: what the planner gets is the suggested name and the bytes.
    assert fetched.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(fetched.value.path()).read_bytes())).worksheets[0]
    assert sheet.max_row > 1 and sheet.cell(1, 1).value == "order"
    assert errors == []
