"""A consumer opens the shop in a real browser and sees the loaded products."""

from __future__ import annotations

from pathlib import Path

import pytest

from c2m import bootstrap
from c2m.settings import Settings
from tests.conftest import screenshot

PRODUCTS = Path(__file__).parent / "products"


@pytest.mark.browser
def test_catalogue_lists_products_in_chromium_without_console_errors(
    settings: Settings,
    live_server: str,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    bootstrap.load_catalogue(settings.with_changes(products_dir=PRODUCTS))
    page = browser.new_page(viewport={"width": 375, "height": 800})
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(live_server + "/")
    assert page.locator(".product-card h2").first.inner_text().startswith("Bar stool")
    assert page.evaluate("typeof htmx") == "object", "htmx from npm is served"
    screenshot(page, "catalogue-phone")
    assert errors == []
    page.close()
