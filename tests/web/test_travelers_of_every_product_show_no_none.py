"""The traveler and the order confirmation of an order of every sample product: a cut-list
part shows the dimensions it has ("770 mm" for a batten, never "770.0 × None × None"), no
"None" anywhere, no number with a spurious ".0", and the product called by its name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import planning
from c2m.models import Order, OrderLine, PlanRun, Unit, WorkOrder
from c2m.planning_input import current_run
from configurator.loading import load_model
from tests.flow.conftest import SAMPLES, named_configuration, samples_dir
from tests.web.conftest import csrf_of, finished, pdf_text_and_info

SAMPLE_MODELS = sorted(path.parent.name for path in SAMPLES.glob("*/model.yaml"))
# "770.0", "6.0000", "15.0 mm": a whole number printed with a zero fraction.
SPURIOUS_FRACTION = re.compile(r"(?<![\d.,])\d+\.0+(?![\d])")


def pdf_text(pdf: bytes, tmp_path: Path, name: str) -> tuple[str, str]:
    """(the text, the document title) of a PDF."""
    text, info = pdf_text_and_info(pdf, tmp_path / f"{name}.pdf")
    title = re.search(r"^Title:\s*(.*)$", info, re.M)
    return text, title.group(1).strip() if title else ""


def without_options_named_none(model: str, text: str) -> str:
    """The text but for "Power outlet   None": a desk option whose English label is "None"
    (no outlet), a value the customer chose, not a missing one printed as None."""
    for feature in load_model(SAMPLES / model / "model.yaml").features:
        for option in feature.options:
            if option.label.en == "None":
                text = re.sub(rf"{re.escape(feature.label.en)}\s+None\n", "", text)
    return text


def product_name(model: str) -> str:
    return load_model(SAMPLES / model / "model.yaml").label.en


def first_configuration(model: str) -> dict[str, object]:
    import yaml

    entries = yaml.safe_load((SAMPLES / model / "configurations.yaml").read_text())
    return named_configuration(model, entries["configurations"][0]["name"])


def current_run_id(sessions: Any) -> int:
    """The run whose schedule holds every order: with the session's worker running too, the
    first run to start inserts all six, and later ones finish with no new orders (and no
    schedule of their own to release)."""
    with sessions() as session:
        run = current_run(session)
    assert run is not None
    return run.id


@pytest.fixture()
def work_orders(
    shop: Flask, customer: dict[str, str], planner: FlaskClient
) -> dict[str, tuple[int, str]]:
    """One order of each sample product, planned and released: model → (work order id,
    tracking token)."""
    client = shop.test_client()
    for model in SAMPLE_MODELS:
        response = client.post(
            "/api/v1/orders",
            json={"model": model, "choices": first_configuration(model), "customer": customer},
            headers={"Idempotency-Key": f"every-product-{model}"},
        )
        assert response.status_code == 201, (model, response.get_json())
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_ids = session.scalars(select(PlanRun.id)).all()
    for run_id in run_ids:
        planning.carry_out(sessions, samples_dir(), run_id)
        finished(sessions, run_id)
    html = planner.get("/planning").get_data(as_text=True)
    response = planner.post(
        f"/planning/runs/{current_run_id(sessions)}/release", data={"csrf_token": csrf_of(html)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with sessions() as session:
        rows = session.execute(
            select(OrderLine.model, WorkOrder.id, Order.tracking_token)
            .join(WorkOrder, WorkOrder.order_line_id == OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
        ).all()
    found = {model: (work_order, token) for model, work_order, token in rows}
    assert sorted(found) == SAMPLE_MODELS
    return found


def test_every_traveler_shows_what_each_part_has_and_never_none(
    planner: FlaskClient, work_orders: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    for model, (work_order, _token) in work_orders.items():
        response = planner.get(f"/planning/work-orders/{work_order}/traveler.pdf")
        assert response.status_code == 200, model
        text, title = pdf_text(response.data, tmp_path, f"traveler-{model}")
        assert "None" not in text and "None" not in title, model
        assert not SPURIOUS_FRACTION.search(text), (model, SPURIOUS_FRACTION.findall(text))
        assert "Cut list" in text and "Bill of materials" in text, model
        name = product_name(model)
        assert title.startswith("Traveler WO-") and title.endswith(f"· {name}"), (model, title)
        assert f"· {name} (model {model}, version 2026.1) ·" in text, model


def test_a_batten_cut_to_length_reads_just_its_length(
    planner: FlaskClient, work_orders: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    text, _ = pdf_text(
        planner.get(f"/planning/work-orders/{work_orders['sofa'][0]}/traveler.pdf").data,
        tmp_path,
        "sofa",
    )

    def row(pattern: str) -> None:
        assert re.search(pattern, text, re.M), pattern

    row(r"^frame_rails\s+PINE-4570\s+770 mm\s+8\s+cut_battens$")  # a batten: its length only
    row(r"^frame_base\s+PLY-15\s+760 × 780 × 15 mm\s+2\s+cut_frame_panels$")  # a panel
    row(r"^cover_tech\s+FAB-TECH\s+1000 × 880 mm\s+8\s+cut_fabric$")  # fabric: no thickness
    row(r"^HW-SOFA-CONNECTOR\s.*\s2\s+pieces$")  # whole counts, the unit in their number
    row(r"^CH-GLUE-CONTACT\s.*\s0\.24\s+kg$")  # 0.2400 kg without its trailing zeros


def test_every_confirmation_names_its_product_and_never_none(
    shop: Flask, work_orders: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    for model, (_work_order, token) in work_orders.items():
        for lang in ("en", "zh"):
            response = shop.test_client().get(f"/track/{token}/confirmation.pdf?lang={lang}")
            assert response.status_code == 200, (model, lang)
            text, title = pdf_text(response.data, tmp_path, f"confirmation-{model}-{lang}")
            assert "None" not in without_options_named_none(model, text) + title, (model, lang)
            assert not re.search(r"\d\s*pcs\b", text), (model, lang)
            label = load_model(SAMPLES / model / "model.yaml").label
            name = label.en if lang == "en" else label.get("zh")
            assert name in text and title.endswith(f"· {name}"), (model, lang, title)
            assert f"model {model}" not in text and "型号" not in text, (model, lang)


def test_a_unit_page_names_the_product_and_its_version(
    shop: Flask, work_orders: dict[str, tuple[int, str]]
) -> None:
    with shop.extensions["c2m.sessions"].begin() as session:
        session.add(Unit(code="U0000101NAMES1", work_order_id=work_orders["sofa"][0], serial=1))
    html = shop.test_client().get("/u/U0000101NAMES1?lang=en").get_data(as_text=True)
    assert "<p>Modular sofa · version 2026.1 · WO-" in html and "model sofa" not in html
    assert "None" not in html and not re.search(r"\d\s*pcs\b", html)
    zh = shop.test_client().get("/u/U0000101NAMES1?lang=zh").get_data(as_text=True)
    assert "<p>模块化沙发 · 版本 2026.1 · WO-" in zh
