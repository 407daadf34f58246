"""The printed schedule: no blank first page, and every machine of the plant on paper.

The day's chart used to be one picture taller than an A4 landscape page: it was pushed off
the first page (left with its heading alone) and cut at the bottom of the second, losing the
last five machines. Now the lanes are split over pages, each with its heading and axis."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import gantt, planning
from c2m.models import PlanRun
from tests.flow.conftest import samples_dir
from tests.web.conftest import finished, named_configuration, pdf_text_and_info


def pages_of(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    text, info = pdf_text_and_info(pdf, tmp_path / "plan.pdf")
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    pages = text.split("\f")[:count]
    assert len(pages) == count
    return pages


def plant_machines() -> list[str]:
    return sorted(planning.factory_of(samples_dir()).machines)


def lanes_on(page: str) -> set[str]:
    """Machine ids printed as lane labels on a page (words alone on their line)."""
    return {line.strip() for line in page.splitlines()} & set(plant_machines())


def planned_day(shop: Flask, customer: dict[str, str]) -> datetime:
    response = shop.test_client().post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": customer,
        },
        headers={"Idempotency-Key": "gantt-pdf-order-0001"},
    )
    assert response.status_code == 201, response.get_json()
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id)).one()
    planning.carry_out(sessions, samples_dir(), run_id)
    finished(sessions, run_id)
    with sessions() as session:
        return session.get_one(PlanRun, run_id).origin


def assert_every_machine_on_filled_pages(pages: list[str], day: datetime) -> None:
    machines = plant_machines()
    assert len(machines) == 38  # the sample plant; more than one page holds
    printed: list[str] = []
    for number, page in enumerate(pages, start=1):
        on_page = lanes_on(page)
        assert on_page, f"page {number} of {len(pages)} shows no machine"
        assert f"Schedule {day:%Y-%m-%d}" in page, f"page {number} has no heading"
        printed += sorted(on_page)
    assert sorted(printed) == machines  # each machine once, none lost
    assert len(pages) == len(gantt.print_pages(machines))


def test_the_day_plan_pdf_starts_on_page_one_and_prints_every_machine(
    shop: Flask, customer: dict[str, str], planner: FlaskClient, tmp_path: Path
) -> None:
    day = planned_day(shop, customer)
    response = planner.get(f"/planning/gantt.pdf?day={day:%Y-%m-%d}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pages_of(response.data, tmp_path)
    assert lanes_on(pages[0]), "the first page is blank"
    assert_every_machine_on_filled_pages(pages, day)
    assert "APL-01" in pages[0] and "WJ-01" in pages[-1]  # first and last lane, in order


def test_a_shift_with_no_plan_still_prints_the_whole_plant(
    shop: Flask, planner: FlaskClient, tmp_path: Path
) -> None:
    response = planner.get("/planning/gantt.pdf?day=2026-03-02&zoom=shift&hour=6")
    assert response.status_code == 200
    day = datetime(2026, 3, 2)
    assert_every_machine_on_filled_pages(pages_of(response.data, tmp_path), day)


def test_print_pages_are_balanced_and_never_over_full() -> None:
    machines = [f"M-{i:02d}" for i in range(38)]
    assert [len(page) for page in gantt.print_pages(machines)] == [19, 19]
    assert [len(p) for p in gantt.print_pages(machines[:24])] == [24]
    assert [len(p) for p in gantt.print_pages(machines[:25])] == [13, 12]
    assert gantt.print_pages([]) == [[]]
    assert sum(gantt.print_pages(machines), []) == machines
