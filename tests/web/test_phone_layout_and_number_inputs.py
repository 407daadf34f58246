"""On a phone the configurator keeps the price, the promise and the order button in view at the
bottom and folds chosen steps to their value; measures (widths, depths) are typed, and a
typed number the product cannot have comes back with the reason and the nearest values it can
have, as one-click buttons; a number outside the range is a message, never an error page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from c2m.web.configure_view import nearest_values
from tests.web.conftest import click, csrf_of, panel_state
from tests.web.test_browser import new_page as browser_page
from tests.web.test_browser import total

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# With square arms (2 × 220 mm) no sofa is 3000 mm wide; 2920 and 3020 mm are the nearest.
SQUARE_ARMS = {"choices": {"arms": "square"}, "history": []}


def fieldset(html: str, name: str) -> str:
    match = re.search(rf'data-feature="{name}".*?</fieldset>', html, re.S)
    assert match, name
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def click_in(client: FlaskClient, lang: str, state: dict[str, Any], **form: str) -> Any:
    """A panel click in a language (the language sticks to the session)."""
    csrf = csrf_of(client.get(f"/configure/sofa?lang={lang}").get_data(as_text=True))
    data = {
        "choices": json.dumps(state.get("choices", {})),
        "history": json.dumps(state.get("history", [])),
        "csrf_token": csrf,
        **form,
    }
    return client.post("/configure/sofa", data=data, headers={"HX-Request": "true"})


# -- the nearest values, as a plain function -----------------------------------


def test_the_nearest_values_are_the_closest_possible_ones_below_and_above() -> None:
    possible = [1920, 2840, 2920, 3020, 5220]
    assert nearest_values(possible, 3000) == (2920, 3020)
    assert nearest_values(possible, 9000) == (5220, None)
    assert nearest_values(possible, 100) == (None, 1920)
    assert nearest_values(possible, 2920) == (2840, 3020)  # the value itself is not "nearest"
    assert nearest_values([], 3000) == (None, None)


# -- the panel as HTML -------------------------------------------------------------------------


def test_a_measure_is_a_number_field_with_its_range_and_step(shop: Flask) -> None:
    html = shop.test_client().get("/configure/sofa?lang=en").get_data(as_text=True)
    width = fieldset(html, "total_width")
    field = re.search(r'<input type="number"[^>]*>', width, re.S)
    assert field and 'name="type.total_width"' in field.group(0)
    assert all(
        f'{k}="{v}"' in field.group(0) for k, v in (("min", 1600), ("max", 5600), ("step", 10))
    )
    assert "<select" not in width and "Possible now: 1600 mm – 5260 mm" in text_of(width)
    # counted things keep their list: nobody types how many shelves are allowed
    wardrobe = shop.test_client().get("/configure/wardrobe").get_data(as_text=True)
    assert "<select" in fieldset(wardrobe, "shelves") and "type.shelves" not in wardrobe


def test_the_steps_are_numbered_and_enter_applies_a_typed_number_not_undo(shop: Flask) -> None:
    html = shop.test_client().get("/configure/sofa?lang=en").get_data(as_text=True)
    assert re.search(r'<legend><span class="step-no"[^>]*>1</span> Layout', html)
    assert re.search(r'<legend><span class="step-no"[^>]*>18</span> Adjustable headrests', html)
    first_button = re.search(r"<button[^>]*>", html.split('id="panel"', 1)[1])
    assert first_button and 'value="apply"' in first_button.group(0)  # the form's default
    form = re.search(r'<form id="panel"[^>]*>', html)
    assert form and "novalidate" in form.group(0)  # the server, not the browser, says why


def test_a_typed_width_the_sofa_can_have_is_taken(shop: Flask) -> None:
    html = click(shop.test_client(), "sofa", {}, **{"type.total_width": "3000"}).get_data(
        as_text=True
    )
    assert panel_state(html)["choices"] == {"total_width": 3000}
    assert 'class="typed-refused"' not in html and 'value="3000"' in fieldset(html, "total_width")


def test_the_field_showing_the_choice_changes_nothing_when_another_button_is_clicked(
    shop: Flask,
) -> None:
    state = {"choices": {"total_width": 3000}, "history": []}
    form = {"type.total_width": "3000", "pick": json.dumps(["total_width", 3040])}
    html = click(shop.test_client(), "sofa", state, **form).get_data(as_text=True)
    assert panel_state(html)["choices"] == {"total_width": 3040}  # the click wins
    width = fieldset(html, "total_width")
    assert re.search(r'<input type="number"[^>]*value="3040"', width, re.S)
    assert 'class="typed-refused"' not in width


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            (
                "3000 mm is not possible.",
                "Total width is the sum of the seat modules and both arms",
                "because of Arm style: Square arm (220 mm)",
                "Nearest possible:",
                "change Arm style to No arms to allow this",
            ),
        ),
        (
            "zh",
            (
                "3000 mm 不可选。",
                "总宽度等于座位模块与两侧扶手宽度之和",
                "因为选择了 扶手款式: 方形扶手（220毫米）",
                "最接近的可选值：",
                "将扶手款式改为无扶手即可选择此项",
            ),
        ),
    ],
)
def test_a_width_ruled_out_by_a_choice_shows_why_and_the_nearest_widths(
    shop: Flask, lang: str, words: tuple[str, ...]
) -> None:
    response = click_in(shop.test_client(), lang, SQUARE_ARMS, **{"type.total_width": "3000"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert panel_state(html)["choices"] == {"arms": "square"}  # not taken
    found = re.search(r'<div class="typed-refused".*?</div>', html, re.S)
    assert found, "the typed width is refused with what to do instead"
    refused = found.group(0)
    assert all(w in text_of(refused) for w in words), text_of(refused)
    nearest = re.findall(r'name="pick" value="([^"]+)" class="option nearest"', refused)
    assert [json.loads(v.replace("&#34;", '"')) for v in nearest] == [
        ["total_width", 2920],
        ["total_width", 3020],
    ]
    assert 'name="repair"' in refused


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9000", "9000 mm is not made: the range is 1600 mm to 5600 mm."),
        ("-5", "-5 mm is not made: the range is 1600 mm to 5600 mm."),
        ("2845", "2845 mm is not made: it comes in steps of 10 mm."),
        ("12.5", "“12.5” is not a whole number."),
        ("9" * 5000, "is not a whole number."),
    ],
)
def test_a_number_the_sofa_is_never_made_in_is_a_message_not_an_error(
    shop: Flask, typed: str, message: str
) -> None:
    response = click(shop.test_client(), "sofa", SQUARE_ARMS, **{"type.total_width": typed})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in text_of(fieldset(html, "total_width"))
    assert panel_state(html)["choices"] == {"arms": "square"}


def test_a_typed_number_for_a_feature_that_takes_none_is_refused_by_name(shop: Flask) -> None:
    client = shop.test_client()
    assert click(client, "sofa", {}, **{"type.layout": "3"}).status_code == 422
    unknown = click(client, "sofa", {}, **{"type.armrest": "3"})
    assert unknown.status_code == 422 and "armrest" in unknown.get_data(as_text=True)


# -- in a browser, on a phone and a desktop, in English and Chinese --------------------------


def new_page(browser: Any, errors: list[str], viewport: dict[str, int], lang: str) -> Any:
    phone = viewport["width"] < 600
    return browser_page(browser, errors, viewport=viewport, is_mobile=phone, has_touch=phone,
                        locale="zh-CN" if lang == "zh" else "en-GB")


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return (
        box is not None
        and box["height"] > 0
        and box["y"] >= 0
        and box["y"] + box["height"] <= height
    )


def scroll_to_the_end(page: Any) -> None:
    page.locator('fieldset[data-feature="headrests"]').scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


def wait_for_choice(page: Any, name: str) -> None:
    page.wait_for_selector(f'fieldset[data-feature="{name}"].is-chosen', timeout=15000)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_price_bar_stays_in_view_at_the_last_step_and_covers_nothing(
    shop: Flask, live_server: str, browser: Any, lang: str
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, PHONE, lang)
    page.goto(f"{live_server}/configure/sofa?lang={lang}")
    long_page = page.evaluate("document.documentElement.scrollHeight")
    scroll_to_the_end(page)
    assert in_viewport(page, ".price-bar")
    bar = page.locator(".price-bar")
    assert bar.locator("[data-total]").get_attribute("data-total") == str(total(page))
    assert ("ready by" if lang == "en" else "预计") in bar.inner_text()
    last = page.locator('fieldset[data-feature="headrests"]').bounding_box()
    assert last["y"] + last["height"] <= bar.bounding_box()["y"]  # the last step is not under it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = "Complete with defaults" if lang == "en" else "按默认值补全"
    page.get_by_role("button", name=button).click()
    page.wait_for_selector("#bar-order-now", timeout=15000)
    scroll_to_the_end(page)
    assert in_viewport(page, "#bar-order-now")
    # every step is chosen now and folds to its value: a much shorter page
    assert page.evaluate("document.documentElement.scrollHeight") < 0.7 * long_page
    assert page.locator('fieldset[data-feature="cover"] .step-value').is_visible()
    assert not page.locator('fieldset[data-feature="cover"] button.option').first.is_visible()
    page.locator('fieldset[data-feature="cover"] .step-toggle').click()
    assert page.locator('fieldset[data-feature="cover"] button.option').first.is_visible()
    page.click("#bar-order-now")
    page.wait_for_url(re.compile("/checkout/sofa"))
    assert errors == []


@pytest.mark.browser
def test_on_a_desktop_the_summary_shows_the_price_and_no_bar(
    shop: Flask, live_server: str, browser: Any
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, DESKTOP, "en")
    page.goto(f"{live_server}/configure/sofa?lang=en")
    assert page.locator(".quote .total").is_visible()
    assert page.locator("#type-total_width").is_visible()  # typed here too
    page.get_by_role("button", name="Complete with defaults").click()
    page.wait_for_selector("#order-now", timeout=15000)
    assert page.locator('fieldset[data-feature="cover"] .step-no').is_visible()
    assert not page.locator(".price-bar").is_visible()
    # a chosen step stays open: there is room for every option next to the summary
    assert page.locator('fieldset[data-feature="cover"] button.option').first.is_visible()
    assert not page.locator('fieldset[data-feature="cover"] .step-toggle').is_visible()
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "lang"), [(DESKTOP, "en"), (PHONE, "zh")])
def test_typing_a_width_the_sofa_can_have_updates_the_price(
    shop: Flask, live_server: str, browser: Any, viewport: dict[str, int], lang: str
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, viewport, lang)
    page.goto(f"{live_server}/configure/sofa?lang={lang}")
    page.locator('fieldset[data-feature="legs"] button[data-value="walnut"]').click()
    wait_for_choice(page, "legs")  # Undo is enabled now: Enter must not press it
    before = total(page)
    page.fill("#type-total_width", "3000")
    page.press("#type-total_width", "Enter")
    wait_for_choice(page, "total_width")
    assert total(page) != before
    assert page.locator("#type-total_width").input_value() == "3000"
    assert page.locator(".typed-refused").count() == 0
    assert page.locator('fieldset[data-feature="legs"].is-chosen').count() == 1
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "lang"), [(PHONE, "en"), (DESKTOP, "zh")])
def test_a_disallowed_width_shows_the_reason_and_the_nearest_widths_and_one_click_applies(
    shop: Flask, live_server: str, browser: Any, viewport: dict[str, int], lang: str
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors, viewport, lang)
    page.goto(f"{live_server}/configure/sofa?lang={lang}")
    page.locator('fieldset[data-feature="arms"] button[data-value="square"]').click()
    wait_for_choice(page, "arms")
    page.fill("#type-total_width", "3000")
    page.locator("#type-total_width").blur()  # a change is enough, as on a phone's keypad
    refused = page.locator("#typed-total_width")
    refused.wait_for(timeout=15000)
    reason = "both arms" if lang == "en" else "两侧扶手"
    assert reason in refused.locator(".reason").inner_text()
    assert "3000 mm" in refused.locator(".message").inner_text()
    nearest = refused.locator("button.nearest")
    assert [nearest.nth(i).get_attribute("data-value") for i in range(2)] == ["2920", "3020"]
    before = total(page)
    nearest.nth(1).click()
    wait_for_choice(page, "total_width")
    assert page.locator("#type-total_width").input_value() == "3020"
    assert page.locator(".typed-refused").count() == 0
    assert total(page) != before
    assert errors == []
