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
