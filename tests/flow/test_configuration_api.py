"""POST /api/v1/configurations: what a shop front asks after every click."""

from __future__ import annotations

from flask import Flask


def ask(shop: Flask, choices: dict[str, object], **extra: object):  # type: ignore[no-untyped-def]
    return shop.test_client().post(
        "/api/v1/configurations", json={"model": "sofa", "choices": choices, **extra}
    )


def test_an_empty_configuration_offers_options_with_a_price_range(shop: Flask) -> None:
    body = ask(shop, {}).get_json()
    assert body["model"] == "sofa" and body["consistent"] and not body["complete"]
    assert int(body["completions"]) > 1000
    low, high = (float(body["price_range"][k]) for k in ("low", "high"))
    assert 0 < low < high


def test_every_unavailable_option_says_why_and_how_to_repair(shop: Flask) -> None:
    state = ask(shop, {"cover": "full_grain_leather"}).get_json()
    reasons = [
        option["reason"]
        for feature in state["features"]
        for option in feature["unavailable"]
        if option.get("reason")
    ]
    assert all(reason["text"]["en"] and reason["text"]["zh"] for reason in reasons)
    by_leather = [
        r for r in reasons if {"feature": "cover", "value": "full_grain_leather"} in r["blocking"]
    ]
    assert by_leather, "leather rules something out, and says so"
    assert all(r["repair"]["changes"] for r in by_leather)


def test_price_sent_by_the_client_is_ignored(shop: Flask) -> None:
    honest = ask(shop, {"cover": "full_grain_leather"}).get_json()["price_range"]
    cheeky = ask(
        shop, {"cover": "full_grain_leather"}, price="1.00", price_range={"low": "1"}
    ).get_json()
    assert cheeky["price_range"] == honest


def test_bad_choices_are_refused_naming_the_feature(shop: Flask) -> None:
    unknown = ask(shop, {"colr": "grey"})
    assert unknown.status_code == 422 and "colr" in unknown.get_json()["detail"]
    off_step = ask(shop, {"total_width": "1905"})
    assert off_step.status_code == 422 and "total_width" in off_step.get_json()["detail"]
    missing = ask(shop, {"cover": "full_grain_leather"}, model="spaceship")
    assert missing.status_code == 404
