"""Changing one's mind in the configurator never leads into a dead end (issue #15): another
value of a chosen feature says what else it changes and offers both in one step, or keeping
the old value; a pick that would contradict is not taken; a drop-down list names every value
it leaves out, with its repair. In the real browser at 1280 px and 375 px, English and 中文."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ARTIFACTS
from tests.web.conftest import click, panel_state

LEATHER_OAK = {
    "choices": {"cover": "top_grain_leather", "legs": "oak"},
    "history": [{}, {"cover": "top_grain_leather"}],
}
GLIDES_WITH_FABRIC = [["cover", "tech_fabric"], ["legs", "hidden_plastic"]]


def fieldset(html: str, name: str) -> str:
    match = re.search(rf'<fieldset[^>]*data-feature="{name}".*?</fieldset>', html, re.S)
    assert match, name
    return match.group(0)


def dead_end(html: str) -> bool:
    """The page of contradictory choices: a conflict, and no product left."""
    return 'class="conflict"' in html or bool(re.search(r">\s*0 complete products", html))


def repairs_in(part: str) -> list[Any]:
    return [
        json.loads(html_lib.unescape(value))
        for value in re.findall(r'name="repair" value="([^"]*)"', part)
    ]


def test_another_value_of_a_chosen_feature_says_what_else_it_changes(shop: Flask) -> None:
    client = shop.test_client()
    html = click(client, "sofa", LEATHER_OAK, action="keep").get_data(as_text=True)
    legs = fieldset(html, "legs")
    glides = re.search(r'<details class="option changes" data-value="hidden_plastic">.*?</details>',
                       legs, re.S)
    assert glides, "the glides must not be a plain pick into a contradiction"
    text = html_lib.unescape(glides.group(0))
    assert "Leather sofas stand on wooden or metal legs" in text
    assert "change Cover material to Tech fabric (polyester microfibre)" in text
    assert repairs_in(glides.group(0)) == [GLIDES_WITH_FABRIC]
    assert "Apply both" in text and "Keep Solid oak legs" in text
    assert 'name="action" value="keep" class="keep"' in glides.group(0)
    kept = click(client, "sofa", LEATHER_OAK, action="keep").get_data(as_text=True)
    assert panel_state(kept) == LEATHER_OAK  # keeping the old value leaves everything as it was
    # a value that goes with the leather stays a plain pick
    assert 'name="pick" value="[&#34;legs&#34;, &#34;walnut&#34;]"' in legs


def test_the_consequence_speaks_chinese(shop: Flask) -> None:
    client = shop.test_client()
    client.get("/?lang=zh")
    answer = click(client, "sofa", LEATHER_OAK, action="keep")
    html = html_lib.unescape(answer.get_data(as_text=True))
    legs = fieldset(html, "legs")
    assert "真皮沙发需配实木或金属腿" in legs and "将面料改为科技布" in legs
    assert "两项一起更改" in legs and "保留实木橡木腿" in legs


def test_a_plain_pick_that_would_contradict_is_not_taken_but_answered(shop: Flask) -> None:
    client = shop.test_client()
    response = click(client, "sofa", LEATHER_OAK, pick=json.dumps(["legs", "hidden_plastic"]))
    html = response.get_data(as_text=True)
    assert panel_state(html) == LEATHER_OAK  # nothing stored, not even in the history
    assert not dead_end(html)
    proposal = re.search(r'<div class="proposal".*?</div>', fieldset(html, "legs"), re.S)
    assert proposal and 'data-value="hidden_plastic"' in proposal.group(0)
    assert repairs_in(proposal.group(0)) == [GLIDES_WITH_FABRIC]
    assert 'data-total="' in html  # the price of what is chosen stays shown
    applied = click(client, "sofa", LEATHER_OAK, repair=json.dumps(GLIDES_WITH_FABRIC))
    html = applied.get_data(as_text=True)
    assert panel_state(html)["choices"] == {"cover": "tech_fabric", "legs": "hidden_plastic"}
    assert 'data-total="' in html and not dead_end(html)


ONE_SECTION = {"sections_500": 0, "sections_800": 1, "sections_1000": 0}


def test_a_drop_down_change_that_would_contradict_proposes_its_repair(shop: Flask) -> None:
    """The wardrobe's shelves are a list: four per section, so eight need another section."""
    client = shop.test_client()
    start = {"choices": ONE_SECTION, "history": []}
    complete = panel_state(click(client, "wardrobe", start, action="defaults").get_data(
        as_text=True))
    assert complete["choices"]["shelves"] <= 4
    html = click(client, "wardrobe", complete, **{"set.shelves": "8"}).get_data(as_text=True)
    assert panel_state(html) == complete and not dead_end(html)
    shelves = fieldset(html, "shelves")
    assert re.search(r'<option value="8"[^>]*data-changes="true"', shelves), (
        "the list marks the values that change other choices")
    proposal = re.search(r'<div class="proposal".*?</div>', shelves, re.S)
    assert proposal, "the refused value must come back with what else it needs"
    (repair,) = repairs_in(proposal.group(0))
    assert repair == [["sections_1000", 1], ["width", 1800], ["shelves", 8]]
    applied = click(client, "wardrobe", complete, repair=json.dumps(repair)).get_data(
        as_text=True)
    assert panel_state(applied)["choices"]["shelves"] == 8 and 'id="order-now"' in applied


def test_a_drop_down_names_each_value_it_leaves_out_with_its_repair(shop: Flask) -> None:
    state = {"choices": ONE_SECTION, "history": []}
    html = click(shop.test_client(), "wardrobe", state, action="keep").get_data(as_text=True)
    hidden = re.search(r'<details class="hidden-reasons">.*?</details>',
                       fieldset(html, "shelves"), re.S)
    assert hidden
    text = html_lib.unescape(hidden.group(0))
    for shelves in range(5, 13):
        assert f">{shelves} pieces</button>" in text, "each value is named on its repair"
    repairs = repairs_in(hidden.group(0))
    assert [["sections_1000", 1], ["shelves", 5]] in repairs
    assert [["sections_1000", 2], ["shelves", 12]] in repairs
    assert "At most four adjustable shelves per section" in text and "to allow" in text


# -- in the browser -------------------------------------------------------------------------

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
WORDS = {
    "en": {"because": "Leather sofas stand on wooden or metal legs", "fabric": "Tech fabric"},
    "zh": {"because": "真皮沙发需配实木或金属腿", "fabric": "科技布"},
}


def _feature(page: Any, name: str) -> Any:
    return page.locator(f'fieldset[data-feature="{name}"]')


def _pressed(page: Any, name: str) -> str | None:
    button = _feature(page, name).locator('button[aria-pressed="true"]')
    return button.get_attribute("data-value") if button.count() else None


def _choices(page: Any) -> Any:
    return json.loads(page.locator('input[name="choices"]').get_attribute("value"))


def _open_glides(page: Any) -> Any:
    """The glides of the chosen legs, opened (on a phone a chosen step is folded first)."""
    legs = _feature(page, "legs")
    toggle = legs.locator(".step-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()
    glides = legs.locator('.option.changes[data-value="hidden_plastic"]')
    glides.locator("summary").click()
    return glides


def _screenshot(page: Any, name: str) -> None:
    """Kept as an artifact. The caret stays as it is: hiding it leaves an empty style
    attribute on the inputs, which htmx then settles into the next panel, and the page's
    Content-Security-Policy reports that as an error."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


def _panel_answer(page: Any, action: Any) -> None:
    """Click and wait until htmx has swapped in the answer."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/configure/" in r.url):
        action()
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_changing_ones_mind_in_the_browser_never_leads_into_a_dead_end(
    shop: Flask, live_server: str, browser: Any, size: str, lang: str
) -> None:
    errors: list[str] = []
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/configure/sofa?lang={lang}")
    _panel_answer(page, _feature(page, "cover").locator('[data-value="top_grain_leather"]').click)
    _panel_answer(page, _feature(page, "legs").locator('[data-value="oak"]').click)
    assert _pressed(page, "cover") == "top_grain_leather" and _pressed(page, "legs") == "oak"
    before = (_choices(page), page.locator(".quote .total").get_attribute("data-total"))

    glides = _open_glides(page)
    consequence = glides.locator(".consequence")
    assert consequence.is_visible()
    assert WORDS[lang]["because"] in consequence.inner_text()
    assert WORDS[lang]["fabric"] in consequence.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    _screenshot(page, f"change-of-mind-{size}-{lang}-consequence")

    _panel_answer(page, glides.locator("button.keep").click)  # keep the old value
    assert (_choices(page), page.locator(".quote .total").get_attribute("data-total")) == before
    assert _pressed(page, "legs") == "oak" and _pressed(page, "cover") == "top_grain_leather"

    glides = _open_glides(page)
    _panel_answer(page, glides.locator("button.apply-both").click)
    assert _pressed(page, "legs") == "hidden_plastic" and _pressed(page, "cover") == "tech_fabric"
    assert page.locator(".quote .total").count() == 1  # a price
    assert page.locator(".conflict").count() == 0
    completions = page.locator(".completions").inner_text()
    assert not re.match(r"\D*0\D", completions), completions  # never "0 complete products"
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    _screenshot(page, f"change-of-mind-{size}-{lang}-applied")
    context.close()
    assert errors == []
