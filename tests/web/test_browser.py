"""Real browser runs (Debian's chromium through Playwright): a consumer configures, repairs,
orders and opens the PDF; a planner finds the order in the Gantt, re-plans and releases to
the MES simulator; the same in 中文; and on a 375-px phone screen."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ARTIFACTS, screenshot
from tests.web.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def new_page(browser: Any, errors: list[str], **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def total(page: Any) -> float:
    return float(page.locator(".quote .total").get_attribute("data-total"))


def feature(page: Any, name: str) -> Any:
    return page.locator(f'fieldset[data-feature="{name}"]')


def configure_with_a_repair(page: Any, base: str, lang: str, shot: str) -> float:
    """Choose leather, meet the greyed-out beige with its reason, repair, see the price move."""
    page.goto(f"{base}/configure/sofa?lang={lang}")
    feature(page, "cover").locator('button[data-value="top_grain_leather"]').click()
    expect_chosen(page, "cover")
    before = total(page)
    beige = feature(page, "colour").locator('.option.unavailable[data-value="beige"]')
    reason = beige.locator(".opt-label").get_attribute("title")
    assert reason and ("colour" in reason or "颜色" in reason)
    beige.locator("summary").click()
    assert beige.locator(".reason").is_visible()
    screenshot(page, f"{shot}-greyed-reason")
    beige.locator("button.repair").click()
    expect_chosen(page, "colour")
    assert (
        feature(page, "colour").locator('button[aria-pressed="true"]').get_attribute("data-value")
        == "beige"
    )
    assert (
        feature(page, "cover").locator('button[aria-pressed="true"]').get_attribute("data-value")
        == "tech_fabric"
    )
    after = total(page)
    assert after != before
    return after


def expect_chosen(page: Any, name: str) -> None:
    page.wait_for_selector(f'fieldset[data-feature="{name}"].is-chosen', timeout=15000)


def order(page: Any, customer: dict[str, str], shot: str) -> str:
    page.get_by_role("button", name=re.compile("Complete with defaults|按默认值补全")).click()
    page.wait_for_selector("#order-now", timeout=15000)
    screenshot(page, f"{shot}-complete")
    page.click("#order-now")
    for field in ("name", "email", "phone", "address"):
        page.fill(f"#f-{field}", customer[field])
    screenshot(page, f"{shot}-checkout")
    page.click("#place-order")
    page.wait_for_selector("#order-number", timeout=30000)
    screenshot(page, f"{shot}-confirmation")
    return str(page.inner_text("#order-number"))


def pdf_text(page: Any, tmp_path: Path, name: str) -> str:
    href = page.get_attribute("#confirmation-pdf", "href")
    response = page.request.get(
        href if href.startswith("http") else page.url.split("/track")[0] + href
    )
    assert response.headers["content-type"] == "application/pdf"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(response.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(ARTIFACTS / path.stem),
        ],
        check=False,
    )
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_consumer_configures_repairs_orders_and_opens_the_pdf(
    shop: Flask, live_server: str, browser: Any, customer: dict[str, str], tmp_path: Path
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, viewport={"width": 1280, "height": 900})
    configure_with_a_repair(page, live_server, "en", "consumer-en")
    number = order(page, customer, "consumer-en")
    text = pdf_text(page, tmp_path, "consumer-en-pdf")
    assert number in text and "Sand beige" in text and "Total" in text
    assert errors == []


def test_a_chinese_consumer_sees_chinese_reasons_and_a_chinese_pdf(
    shop: Flask, live_server: str, browser: Any, customer: dict[str, str], tmp_path: Path
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    configure_with_a_repair(page, live_server, "zh", "consumer-zh")
    assert "所选面料没有该颜色" in page.content() or "沙米色" in page.content()
    number = order(page, customer, "consumer-zh")
    text = pdf_text(page, tmp_path, "consumer-zh-pdf")
    assert number in text and "订单确认书" in text and "沙米色" in text
    assert errors == []


def test_a_phone_user_can_configure_and_reach_checkout_by_keyboard(
    shop: Flask, live_server: str, browser: Any
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server}/?lang=en")
    screenshot(page, "phone-catalogue")
    page.goto(f"{live_server}/configure/sofa")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    legs = feature(page, "legs").locator('button[data-value="walnut"]')
    legs.focus()
    page.keyboard.press("Enter")
    expect_chosen(page, "legs")
    page.get_by_role("button", name="Complete with defaults").click()
    page.wait_for_selector("#order-now", timeout=15000)
    screenshot(page, "phone-configurator")
    page.click("#order-now")
    assert page.get_by_label("Delivery address").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-checkout")
    assert errors == []


def wait_for(check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("not reached in time")


@pytest.mark.slow
def test_a_planner_finds_the_order_replans_and_releases_it_to_the_mes(
    shop: Flask,
    session_server: str,
    celery_worker_process: Any,
    mes_simulator: str,
    browser: Any,
    customer: dict[str, str],
) -> None:
    import requests

    errors: list[str] = []
    add_user(shop, "mei", "planner")
    page = new_page(browser, errors, viewport={"width": 1400, "height": 1000})
    page.goto(f"{session_server}/configure/sofa?lang=en")
    number = order(page, customer, "planner-flow-order")
    tracking = page.url
    page.goto(f"{session_server}/login")
    page.get_by_label("User name").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile("/planning"))

    def in_gantt() -> bool:
        page.goto(f"{session_server}/planning?zoom=week")
        return page.locator(f'g.op[data-order="{number}"]').count() > 0

    wait_for(in_gantt)
    page.locator(f'g.op[data-order="{number}"]').first.focus()
    page.keyboard.press("Enter")  # the Gantt works from the keyboard too
    page.wait_for_selector(f"#op-detail:has-text('{number}')")
    screenshot(page, "planner-gantt")
    page.click("#replan")
    page.wait_for_selector("#run-progress .run-status")
    page.wait_for_selector("#show-new-plan", timeout=90000)
    screenshot(page, "planner-replanned")
    page.click("#show-new-plan")
    page.click("#release")
    page.wait_for_selector(f"#work-orders:has-text('WO-{number}')")
    screenshot(page, "planner-released")
    wait_for(lambda: "completed" in requests.get(tracking, timeout=5).text, timeout=120)
    state = requests.get(mes_simulator + "/_sim/state", timeout=5).json()
    assert any(key.startswith(f"WO-{number}") for key in state["effects"])
    page.goto(tracking)
    screenshot(page, "planner-flow-tracking-completed")
    assert errors == []
