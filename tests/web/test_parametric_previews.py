"""Each sample product is drawn from its own dimensions and options: the picture changes when
the choice that it shows changes, stays valid XML, and names the product and its sizes in the
page's language. In a real browser: one picture per product on the home page, and a click on
the configure page redraws it."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from c2m import preview
from configurator.loading import load_model
from configurator.model import ProductModel
from tests.conftest import screenshot
from tests.web.conftest import named_configuration

SAMPLES = Path(__file__).resolve().parents[2] / "sample_products"
KINDS = ("desk", "sofa", "wardrobe", "washer", "fridge", "kitchen")
SVG = "{http://www.w3.org/2000/svg}"


@cache
def model(kind: str) -> ProductModel:
    return load_model(SAMPLES / kind / "model.yaml")


def picture(kind: str, choices: dict[str, Any], language: str = "en") -> ET.Element:
    return ET.fromstring(preview.svg(model(kind), choices, language=language))


def drawn(root: ET.Element, cls: str) -> list[ET.Element]:
    """The elements carrying ``cls`` among their classes."""
    return [e for e in root.iter() if cls in e.get("class", "").split()]


def left_edge(root: ET.Element, cls: str) -> float:
    return min(float(e.get("x", "0")) for e in drawn(root, cls))


def middle(root: ET.Element, cls: str) -> float:
    """The horizontal middle of everything drawn with ``cls``."""
    boxes = drawn(root, cls)
    left = min(float(e.get("x", "0")) for e in boxes)
    right = max(float(e.get("x", "0")) + float(e.get("width", "0")) for e in boxes)
    return (left + right) / 2


def title_of(root: ET.Element) -> str:
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    return title.text


def configurations(kind: str) -> list[dict[str, Any]]:
    text = (SAMPLES / kind / "configurations.yaml").read_text()
    return [dict(entry["choices"]) for entry in yaml.safe_load(text)["configurations"]]


@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_product_has_its_own_drawing_that_parses_as_xml(kind: str) -> None:
    for choices in [{}, *configurations(kind)]:
        for language in ("en", "zh"):
            root = picture(kind, choices, language)
            assert root.get("data-product") == kind
            assert title_of(root).startswith(model(kind).label.get(language))
            assert root.get("aria-label") == title_of(root)


def test_a_corner_sofa_draws_its_return_on_the_side_it_names() -> None:
    left = named_configuration("sofa", "family_corner_leather")
    assert left["layout"] == "corner_left"
    right = {**left, "layout": "corner_right"}
    drawn_left, drawn_right = picture("sofa", left), picture("sofa", right)
    assert ET.tostring(drawn_left) != ET.tostring(drawn_right)
    for root in (drawn_left, drawn_right):
        assert len(drawn(root, "return-seat")) == left["return_seats"]
        assert f"+ {left['return_length']} mm" in ET.tostring(root, encoding="unicode")
    run_middle = middle(drawn_left, "seat")
    assert middle(drawn_left, "return-seat") < run_middle < middle(drawn_right, "return-seat")


def test_a_chaise_sits_left_or_right_as_chosen_and_the_arm_goes_to_the_other_end() -> None:
    right = named_configuration("sofa", "velvet_chaise")
    assert right["layout"] == "chaise_right"
    left = {**right, "layout": "chaise_left"}
    on_left, on_right = picture("sofa", left), picture("sofa", right)
    assert middle(on_left, "chaise") < middle(on_left, "seat") < middle(on_left, "arm")
    assert middle(on_right, "arm") < middle(on_right, "seat") < middle(on_right, "chaise")
    assert len(drawn(on_left, "seat")) == right["seats_800"] + right["seats_1000"]


def test_the_sofa_is_drawn_to_scale_in_its_colour_with_a_cushion_per_seat() -> None:
    compact = named_configuration("sofa", "compact_grey")
    wide = {**compact, "seats_800": 4, "total_width": 3500, "colour": "navy"}
    small, large = picture("sofa", compact), picture("sofa", wide)
    assert drawn(small, "seat")[0].get("fill") == "#8a8d8f"
    assert drawn(large, "seat")[0].get("fill") == "#1f2f4f"
    assert len(drawn(small, "seat")) == 2 and len(drawn(large, "seat")) == 4
    small_text, large_text = (ET.tostring(r, encoding="unicode") for r in (small, large))
    assert "1900 × 900 mm" in small_text and "3500 × 900 mm" in large_text


@pytest.mark.parametrize("handle", ["recessed", "bar_stainless", "bar_black"])
def test_each_fridge_handle_kind_is_drawn_its_own_way(handle: str) -> None:
    base = named_configuration("fridge", "french_500_silver")
    others = {"recessed", "bar_stainless", "bar_black"} - {handle}
    root = picture("fridge", {**base, "handle": handle})
    text = ET.tostring(root)
    assert all(text != ET.tostring(picture("fridge", {**base, "handle": o})) for o in others)
    bars, recesses = drawn(root, "handle-bar"), drawn(root, "handle-recessed")
    # A bar stands out from the door in the side view; a recess does not.
    assert (len(bars) > 0, len(recesses) > 0) == (handle != "recessed", handle == "recessed")
    assert bool(drawn(root, "handle-side")) == (handle != "recessed")
    assert len(bars + recesses) == len(drawn(root, "door")) == 4


def test_fridge_door_layouts_differ_and_the_two_door_handles_follow_the_hinge() -> None:
    two = named_configuration("fridge", "compact_two_door")
    counts = {style: len(drawn(picture("fridge", {**two, "door_style": style}), "door"))
              for style in ("two_door", "three_door", "french_door", "side_by_side")}
    assert counts == {"two_door": 2, "three_door": 3, "french_door": 4, "side_by_side": 2}
    hinged_right = picture("fridge", {**two, "door_hinge": "right"})
    hinged_left = picture("fridge", {**two, "door_hinge": "left"})
    assert left_edge(hinged_right, "handle") < left_edge(hinged_left, "handle")


def test_a_front_loader_has_a_porthole_and_a_top_loader_a_lid() -> None:
    front = picture("washer", named_configuration("washer", "family_front_10kg"))
    top = picture("washer", named_configuration("washer", "budget_top_load"))
    assert drawn(front, "door") and not drawn(front, "lid")
    assert drawn(top, "lid") and not drawn(top, "door")


def test_a_bigger_drum_has_a_bigger_door() -> None:
    base = named_configuration("washer", "family_front_10kg")
    small = drawn(picture("washer", {**base, "capacity_kg": 7}), "door")[0]
    large = drawn(picture("washer", {**base, "capacity_kg": 12}), "door")[0]
    assert float(large.get("r", "0")) > float(small.get("r", "0"))


def test_a_wider_desk_top_is_drawn_wider_and_in_proportion_to_its_depth() -> None:
    base = named_configuration("desk", "office_white_1400")
    widths = {}
    for width in (1200, 1800):
        root = picture("desk", {**base, "top_width": width})
        top, plan = drawn(root, "top")[0], drawn(root, "top-plan")[0]
        drawn_w, drawn_d = float(top.get("width", "0")), float(plan.get("height", "0"))
        assert drawn_w / drawn_d == pytest.approx(width / base["top_depth"], rel=0.01)
        widths[width] = drawn_w
    assert widths[1800] > widths[1200]


def test_an_l_desk_shows_its_return_and_a_frame_shows_its_stages() -> None:
    l_right = named_configuration("desk", "walnut_l_executive")
    l_left = {**l_right, "shape": "l_left"}
    assert drawn(picture("desk", l_right), "top-plan")[0].tag == f"{SVG}polygon"
    assert ET.tostring(picture("desk", l_left)) != ET.tostring(picture("desk", l_right))
    two = picture("desk", {**l_right, "frame": "dual_2stage"})
    three = picture("desk", {**l_right, "frame": "dual_3stage"})
    assert len(drawn(three, "stage")) == 3 * len(drawn(three, "foot"))
    assert len(drawn(two, "stage")) == 2 * len(drawn(two, "foot"))


def test_each_base_cabinet_of_the_kitchen_run_is_drawn() -> None:
    base = named_configuration("kitchen", "straight_white_quartz")
    counted = base["base_400"] + base["base_600"] + base["base_800"] + 1  # and the sink
    assert len(drawn(picture("kitchen", base), "cabinet")) == counted
    longer = {**base, "base_600": base["base_600"] + 1, "run_length": base["run_length"] + 600}
    assert len(drawn(picture("kitchen", longer), "cabinet")) == counted + 1
    assert not drawn(picture("kitchen", base), "corner")


def test_an_l_kitchen_unfolds_its_return_beside_the_run_from_the_corner() -> None:
    root = picture("kitchen", named_configuration("kitchen", "l_shape_oak_dishwasher"))
    assert drawn(root, "fold") and drawn(root, "corner") and drawn(root, "return-cabinet")
    assert left_edge(root, "corner") > max(float(e.get("x", "0")) for e in drawn(root, "cabinet"))
    assert drawn(root, "cabinet-dishwasher") and drawn(root, "cabinet-tall")


def test_wardrobe_doors_follow_the_door_type_and_sections() -> None:
    hinged = named_configuration("wardrobe", "white_hinged_2400")
    sections = hinged["sections_500"] + hinged["sections_800"] + hinged["sections_1000"]
    root = picture("wardrobe", hinged)
    assert len(drawn(root, "section")) == sections
    assert len(drawn(root, "door")) == 2 * sections - hinged["sections_500"]
    sliding = picture("wardrobe", named_configuration("wardrobe", "mirror_sliding_3000"))
    assert drawn(sliding, "track") and drawn(sliding, "glass")
    open_front = named_configuration("wardrobe", "open_compact_e1")
    shelves = picture("wardrobe", open_front)
    assert not drawn(shelves, "door")
    assert len(drawn(shelves, "shelf")) == open_front["shelves"]
    assert len(drawn(shelves, "rail")) == open_front["hanging_rails"]


def test_the_title_names_the_product_and_its_sizes_in_the_page_language() -> None:
    corner = named_configuration("sofa", "family_corner_leather")
    english, chinese = (title_of(picture("sofa", corner, lang)) for lang in ("en", "zh"))
    assert english.startswith("Modular sofa") and "Corner, return on the left" in english
    assert chinese.startswith("模块化沙发") and "转角（左转）" in chinese
    assert f"{corner['total_width']} mm" in english and f"{corner['total_width']} mm" in chinese
    given = ET.fromstring(preview.svg(model("sofa"), corner, "Sofa <b>&</b>"))
    assert title_of(given).startswith("Sofa <b>&</b> · ")


def test_an_unknown_or_reshaped_model_keeps_the_generic_box() -> None:
    bench = dataclasses.replace(model("sofa"), name="bench")
    compact = named_configuration("sofa", "compact_grey")
    assert picture_of(bench, compact).get("data-product") == "generic"
    features = tuple(f for f in model("fridge").features if f.name != "handle")
    reshaped = dataclasses.replace(model("fridge"), features=features)
    assert picture_of(reshaped, {}).get("data-product") == "generic"


def test_a_colour_that_is_not_hex_never_reaches_a_drawer() -> None:
    desk = model("desk")
    attack = '#fff" onload="alert(1)'
    features = tuple(
        dataclasses.replace(f, options=tuple(
            dataclasses.replace(o, attributes={**o.attributes, "hex": attack}) for o in f.options))
        if f.name == "top_colour" else f
        for f in desk.features
    )
    svg = preview.svg(dataclasses.replace(desk, features=features), {})
    assert "onload" not in svg
    assert drawn(ET.fromstring(svg), "top")[0].get("fill") == preview.DEFAULT_COLOUR


def picture_of(product: ProductModel, choices: dict[str, Any]) -> ET.Element:
    return ET.fromstring(preview.svg(product, choices))


def page_picture(html: str) -> ET.Element:
    start = html.index("<svg")
    return ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


def test_configure_and_checkout_show_the_products_own_drawing_in_the_page_language(
    shop: Flask,
) -> None:
    client = shop.test_client()
    for kind in KINDS:
        configure = client.get(f"/configure/{kind}?lang=zh").get_data(as_text=True)
        drawn_zh = page_picture(configure)
        assert drawn_zh.get("data-product") == kind
        assert title_of(drawn_zh).startswith(model(kind).label.zh)
        choices = json.dumps(configurations(kind)[0])
        checkout = client.get(f"/checkout/{kind}", query_string={"choices": choices, "lang": "en"})
        assert checkout.status_code == 200
        drawn_en = page_picture(checkout.get_data(as_text=True))
        assert drawn_en.get("data-product") == kind
        assert title_of(drawn_en).startswith(model(kind).label.en)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_the_home_page_shows_each_product_and_a_click_redraws_it(
    shop: Flask, live_server: str, browser: Any, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/?lang=en")
    cards = page.locator(".product-card")
    assert cards.count() == len(KINDS)
    for index in range(cards.count()):
        card = cards.nth(index)
        pictures = card.locator("svg.preview")
        assert pictures.count() == 1
        assert pictures.get_attribute("data-product") == card.get_attribute("data-model")
        box = pictures.bounding_box()
        assert box is not None and 0 < box["width"] <= width
    screenshot(page, f"previews-home-{width}")
    page.goto(f"{live_server}/configure/sofa?lang=en")
    shown = page.locator("#panel svg.preview")
    before = shown.inner_html()
    layout = page.locator('fieldset[data-feature="layout"]')
    for side in ("chaise_left", "chaise_right"):
        option = layout.locator(f'button[data-value="{side}"]')
        if not option.is_visible():  # a phone folds a chosen step to its value
            layout.locator(".step-toggle").click()
        option.click()
        page.wait_for_selector(
            f'fieldset[data-feature="layout"] button[data-value="{side}"][aria-pressed="true"]',
            state="attached",
            timeout=15000,
        )
        after = shown.inner_html()
        assert after != before and 'class="chaise"' in after
        before = after
    screenshot(page, f"previews-configure-{width}")
    assert not errors
    context.close()
