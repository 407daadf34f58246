"""The SVG pictures: the Gantt chart and the product preview drawn from a configuration."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from c2m import gantt, preview
from configurator.loading import load_model
from tests.web.conftest import named_configuration

SOFA = load_model(Path(__file__).resolve().parents[2] / "sample_products" / "sofa" / "model.yaml")
DAY = datetime(2026, 3, 2, tzinfo=UTC)


def bar(order: str, machine: str, start_h: float, hours: float, fixed: bool = False) -> gantt.Bar:
    start = DAY + timedelta(hours=start_h)
    return gantt.Bar(1, machine, start, start + timedelta(hours=hours), order, "sew", fixed, 10)


def test_the_gantt_has_a_lane_per_machine_and_colours_bars_by_order() -> None:
    bars = [
        bar("C2M-1", "SEW-01", 8, 1),
        bar("C2M-2", "SEW-01", 9, 1),
        bar("C2M-1", "CUT-01", 7, 1),
    ]
    svg = gantt.svg(bars, ["CUT-01", "SEW-01"], gantt.window(DAY, "day"), None, None)
    assert ">CUT-01</text>" in svg and ">SEW-01</text>" in svg
    assert svg.count(gantt.colour("C2M-1")) == 2 and gantt.colour("C2M-1") != gantt.colour("C2M-2")


def test_the_gantt_shades_the_frozen_zone_and_draws_now_and_setups() -> None:
    now = DAY + timedelta(hours=6)
    svg = gantt.svg(
        [bar("C2M-1", "SEW-01", 8, 1)],
        ["SEW-01"],
        gantt.window(DAY, "day"),
        now + timedelta(hours=2),
        now,
    )
    assert 'class="frozen"' in svg and 'class="now"' in svg and 'class="setup"' in svg


def test_bars_outside_the_window_are_left_out() -> None:
    svg = gantt.svg(
        [bar("C2M-9", "SEW-01", 30, 1)], ["SEW-01"], gantt.window(DAY, "day"), None, None
    )
    assert gantt.colour("C2M-9") not in svg
    week = gantt.svg(
        [bar("C2M-9", "SEW-01", 30, 1)], ["SEW-01"], gantt.window(DAY, "week"), None, None
    )
    assert gantt.colour("C2M-9") in week


def test_interactive_bars_ask_for_their_detail_and_take_the_keyboard() -> None:
    svg = gantt.svg(
        [bar("C2M-1", "SEW-01", 8, 1)],
        ["SEW-01"],
        gantt.window(DAY, "day"),
        None,
        None,
        interactive="/planning/operations/",
    )
    assert 'hx-get="/planning/operations/1"' in svg and 'tabindex="0"' in svg


def test_the_preview_is_drawn_to_scale_in_the_chosen_colour() -> None:
    compact = named_configuration("sofa", "compact_grey")
    wide = {**compact, "seats_800": 4, "total_width": 3500, "colour": "navy"}
    small, large = preview.svg(SOFA, compact), preview.svg(SOFA, wide)
    assert "#8a8d8f" in small and "#1f2f4f" in large
    assert "1900 × 900 mm" in small and "3500 × 900 mm" in large  # width × seat depth
    assert small.count('class="seat"') == 2 and large.count('class="seat"') == 4


def test_a_model_no_drawer_knows_gets_the_generic_box_to_scale() -> None:
    bench = dataclasses.replace(SOFA, name="bench")
    compact = named_configuration("sofa", "compact_grey")
    wide = {**compact, "seats_800": 4, "total_width": 3500, "colour": "navy"}
    assert "1900 × 850 mm" in preview.svg(bench, compact)
    assert "3500 × 850 mm" in preview.svg(bench, wide) and "#1f2f4f" in preview.svg(bench, wide)
    assert (
        preview.shape_of(bench, wide).modules == 4 and preview.shape_of(bench, compact).modules == 2
    )


def test_a_corner_sofa_shows_its_return_run() -> None:
    corner = named_configuration("sofa", "family_corner_leather")
    svg = preview.svg(SOFA, corner)
    assert f"+ {corner['return_length']} mm" in svg
