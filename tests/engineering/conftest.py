"""Fixtures for the engineering tests: loaded sample products (cached) and parametrisation
over every product that has a BOM and routing, and over its named configurations."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from routing.engineer import EngineeringModel, load_engineering

PRODUCTS_DIR = Path(__file__).resolve().parents[2] / "sample_products"
PRODUCTS = ("sofa", "wardrobe", "kitchen", "desk", "washer", "fridge")


def _engineered_products() -> list[str]:
    return [
        p
        for p in PRODUCTS
        if (PRODUCTS_DIR / p / "bom.yaml").exists() and (PRODUCTS_DIR / p / "routing.yaml").exists()
    ]


@cache
def _engineering(product: str) -> EngineeringModel:
    return load_engineering(PRODUCTS_DIR / product)


@cache
def _named(product: str) -> dict[str, dict[str, object]]:
    """The product's named configurations (sample_products/<product>/configurations.yaml)."""
    path = PRODUCTS_DIR / product / "configurations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {entry["name"]: entry["choices"] for entry in data["configurations"]}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "golden_case" in metafunc.fixturenames:
        cases = [(p, n) for p in _engineered_products() for n in _named(p)]
        metafunc.parametrize("golden_case", cases, ids=[f"{p}-{n}" for p, n in cases])
    elif "product" in metafunc.fixturenames:
        metafunc.parametrize("product", _engineered_products())


@pytest.fixture
def products_dir() -> Path:
    return PRODUCTS_DIR


@pytest.fixture
def engineering() -> Callable[[str], EngineeringModel]:
    return _engineering


@pytest.fixture
def named() -> Callable[[str], dict[str, dict[str, object]]]:
    return _named


@pytest.fixture
def sofa() -> EngineeringModel:
    return _engineering("sofa")


def sofa_values(**changes: object) -> dict[str, object]:
    """A plain straight two-seater, with `changes` applied: the tests' reference sofa."""
    values: dict[str, object] = {
        "layout": "straight",
        "seats_800": 2,
        "seats_1000": 0,
        "return_seats": 0,
        "arms": "slim",
        "total_width": 1900,
        "return_length": 0,
        "seat_depth": 900,
        "cover": "tech_fabric",
        "colour": "grey",
        "legs": "oak",
        "filling": "hr_foam",
        "firmness": "medium",
        "recliner": False,
        "usb_charging": False,
        "removable_covers": True,
        "stain_protection": False,
        "headrests": 0,
    }
    values.update(changes)
    return values
