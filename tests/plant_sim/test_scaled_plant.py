"""A soak needs a plant that can make 100+ orders a day: the sample plant, machines faster."""

from __future__ import annotations

from pathlib import Path

from c2m.plant_sim.stack import scaled_products
from c2m.settings import REPO_ROOT
from routing.factory import load_factory

SAMPLES = REPO_ROOT / "sample_products"


def test_a_scaled_plant_has_the_same_machines_faster_and_shorter_changeovers(tmp_path: Path):
    scaled = scaled_products(SAMPLES, tmp_path / "products", 8)
    original, faster = load_factory(SAMPLES / "factory.yaml"), load_factory(scaled / "factory.yaml")
    assert set(faster.machines) == set(original.machines)
    for machine_id, machine in original.machines.items():
        assert faster.machines[machine_id].speed == machine.speed * 8
    assert (scaled / "desk" / "model.yaml").read_text() == (
        SAMPLES / "desk" / "model.yaml"
    ).read_text()


def test_a_simulation_starts_at_the_first_shift_of_next_week_whatever_day_it_is_launched():
    from datetime import UTC, datetime, timedelta

    from c2m.plant_sim.runner import first_shift_of_next_week

    factory = load_factory(SAMPLES / "factory.yaml")
    thursday_evening = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    sunday_night = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    for launched in (thursday_evening, sunday_night, thursday_evening + timedelta(days=4)):
        start = first_shift_of_next_week(factory, launched).astimezone(factory.zone)
        assert (start.strftime("%a"), start.hour, start.minute) == ("Mon", 6, 0)
        assert timedelta(0) < start - launched <= timedelta(days=7)
