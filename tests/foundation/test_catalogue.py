"""Loading product models into the catalogue: versioned, all or nothing, listed on the shop."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from c2m import bootstrap
from c2m.models import ProductModelRecord
from c2m.settings import Settings

PRODUCTS = Path(__file__).parent / "products"


@pytest.fixture()
def products_dir(tmp_path: Path) -> Path:
    target = tmp_path / "products"
    shutil.copytree(PRODUCTS, target)
    return target


def stored_models(app: Flask) -> list[tuple[str, str]]:
    with app.extensions["c2m.sessions"]() as session:
        rows = session.scalars(select(ProductModelRecord)).all()
        return sorted((row.model, row.version) for row in rows)


def test_loaded_products_are_listed_on_the_catalogue_page(
    settings: Settings, app: Flask, products_dir: Path
) -> None:
    bootstrap.load_catalogue(settings.with_changes(products_dir=products_dir))
    client = app.test_client()
    english = client.get("/?lang=en").get_data(as_text=True)
    chinese = client.get("/?lang=zh").get_data(as_text=True)
    assert "Bar stool" in english and "299.00" in english
    assert "吧凳" in chinese


def test_loading_twice_changes_nothing(settings: Settings, app: Flask, products_dir: Path) -> None:
    here = settings.with_changes(products_dir=products_dir)
    assert [p.created for p in bootstrap.load_catalogue(here)] == [True]
    assert [p.created for p in bootstrap.load_catalogue(here)] == [False]
    assert stored_models(app) == [("stool", "1")]


def test_an_edited_model_needs_a_new_version(
    settings: Settings, app: Flask, products_dir: Path
) -> None:
    here = settings.with_changes(products_dir=products_dir)
    bootstrap.load_catalogue(here)
    model_file = products_dir / "stool" / "model.yaml"
    model_file.write_text(model_file.read_text().replace('"299.00"', '"319.00"'))
    with pytest.raises(bootstrap.BootstrapError, match="give the edited model a new version"):
        bootstrap.load_catalogue(here)
    model_file.write_text(model_file.read_text().replace('version: "1"', 'version: "2"'))
    bootstrap.load_catalogue(here)
    assert stored_models(app) == [("stool", "1"), ("stool", "2")]


def test_one_broken_model_stores_nothing_and_names_file_and_line(
    settings: Settings, app: Flask, products_dir: Path
) -> None:
    broken = products_dir / "broken"
    broken.mkdir()
    text = (products_dir / "stool" / "model.yaml").read_text()
    (broken / "model.yaml").write_text(
        text.replace("model: stool", "model: broken").replace(
            "finish == 'walnut'", "finnish == 'walnut'"
        )
    )
    with pytest.raises(bootstrap.BootstrapError) as error:
        bootstrap.load_catalogue(settings.with_changes(products_dir=products_dir))
    assert "broken/model.yaml:" in str(error.value) and "finnish" in str(error.value)
    assert stored_models(app) == []
