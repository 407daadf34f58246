"""`c2m screenshots`: the README's pictures of the sofa, the fridge and the planner board, in
English and 中文, remade by one command.

It starts the plant simulator's scratch stack (c2m.plant_sim.stack: web, worker, beat and MES
simulator in a scratch instance folder, the sample products loaded, a planner account), places
a few orders over the API and waits until they are planned, so the board has bars and the
configurator's promise comes from the planner. Debian's chromium, driven by Playwright, then
takes each picture. Everything it started is stopped again, also after an error or Ctrl-C.

The business clock starts at the first shift of next week (as `c2m simulate` does), so the
board's day is a working day whatever day the pictures are taken on.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click

CHROMIUM = Path("/usr/bin/chromium")
# Also the browser tests' flags (tests/conftest.py): headless, no sandbox in a container, and
# no calls home that would slow the start or change what is drawn.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SUBJECTS = ("sofa", "fridge", "planner")
LANGUAGES = ("en", "zh")
PHONE_WIDTH = 375
HEIGHT = {"desktop": 900, "phone": 812}
# A few options chosen on each configurator, taken from its named sample configurations
# (sample_products/<model>/configurations.yaml): enough for the price, the promise and the
# preview to show a real product rather than the empty start.
PICKS: dict[str, dict[str, str]] = {
    "sofa": {"layout": "straight", "cover": "tech_fabric", "colour": "grey", "legs": "black_steel"},
    "fridge": {
        "door_style": "two_door",
        "panel": "steel_white",
        "handle": "bar_stainless",
        "cooling": "direct_cool",
    },
}
# Orders placed before the pictures (model, named configuration): the board's bars.
ORDERS = (("sofa", "compact_grey"), ("fridge", "compact_two_door"), ("sofa", "velvet_chaise"))
CUSTOMER = {
    "name": "李雷",
    "email": "lilei@example.com",
    "phone": "+86 138 0000 0000",
    "address": "广东省佛山市顺德区大良街道 88 号",
}
OWN_SERVICES = ("C2M_DATABASE_URL", "C2M_BROKER_URL", "C2M_PRODUCTS_DIR")
PLAN_TIMEOUT_S = 240.0
CLICK_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Shot:
    subject: str
    lang: str
    width: int
    phone: bool

    @property
    def name(self) -> str:
        return f"{self.subject}-{self.lang}"

    @property
    def filename(self) -> str:
        return f"{self.name}{'-phone' if self.phone else ''}.png"


def planned_shots(width: int, phone: bool, only: tuple[str, ...]) -> list[Shot]:
    """Every picture asked for: each subject in each language, at `width` (and on a phone),
    kept to those `only` names ("sofa-en", or "sofa" for both languages) when given."""
    shots = [
        Shot(subject, lang, size, is_phone)
        for subject in SUBJECTS
        for lang in LANGUAGES
        for size, is_phone in [(width, False)] + ([(PHONE_WIDTH, True)] if phone else [])
    ]
    return [s for s in shots if not only or s.name in only or s.subject in only]


def unknown_names(only: tuple[str, ...]) -> list[str]:
    known = set(SUBJECTS) | {f"{s}-{lang}" for s in SUBJECTS for lang in LANGUAGES}
    return [name for name in only if name not in known]


@click.command("screenshots")
@click.option(
    "--out",
    default="docs/screenshots",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the PNGs are written to.",
)
@click.option("--width", default=1280, show_default=True, type=click.IntRange(320, 3840))
@click.option("--phone", is_flag=True, help=f"Also each picture {PHONE_WIDTH} px wide.")
@click.option(
    "--only",
    multiple=True,
    help="Only these pictures: sofa-en, fridge-zh, planner (both languages), ... (repeatable).",
)
def screenshots(out: Path, width: int, phone: bool, only: tuple[str, ...]) -> None:
    """Take the README's screenshots (sofa, fridge, planner board; en and 中文)."""
    if unknown_names(only):
        raise click.BadParameter(
            f"unknown picture {', '.join(unknown_names(only))}; known: "
            f"{', '.join(SUBJECTS)} or one of them with -en/-zh",
            param_hint="--only",
        )
    if not CHROMIUM.exists():
        click.echo(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)",
                   err=True)
        sys.exit(2)
    try:
        from playwright.sync_api import Error as BrowserError
    except ImportError:
        click.echo("Playwright is not installed: pip install -e '.[test]'", err=True)
        sys.exit(2)
    from c2m.plant_sim.stack import StackError

    shots = planned_shots(width, phone, only)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with stopped_on_sigterm(), scratch_stack(any(s.subject == "planner" for s in shots)) as (
            stack
        ):
            for path in take(stack.url, stack.planner_password, shots, out):
                click.echo(str(path))
    except StackError as error:
        raise click.ClickException(str(error)) from None
    except BrowserError as error:  # its first line says what; the rest is the browser's log
        raise click.ClickException(f"chromium: {error.message.splitlines()[0]}") from None


@contextmanager
def stopped_on_sigterm() -> Iterator[None]:
    """SIGTERM ends the command like Ctrl-C does: through the `finally` that stops the stack
    (the stack's processes run in sessions of their own, so no signal reaches them else)."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def scratch_stack(with_orders: bool) -> Iterator[Any]:
    """The simulator's scratch stack on the wall clock's pace, orders placed and planned."""
    from c2m.planning import factory_of
    from c2m.plant_sim.runner import first_shift_of_next_week
    from c2m.plant_sim.stack import Stack, StackSpec
    from configurator.samples import SAMPLE_PRODUCTS

    # The embedded default, whatever this shell points at: the stack would otherwise make a
    # scratch database on the given PostgreSQL and flush the given Redis db, and other
    # products than the samples would not have the options the pictures choose.
    for name in OWN_SERVICES:
        os.environ.pop(name, None)
    anchor = datetime.now(UTC) + timedelta(seconds=30)  # ~ when the stack is up
    start = first_shift_of_next_week(factory_of(SAMPLE_PRODUCTS), anchor)
    stack = Stack(StackSpec(speed=1.0, anchor=anchor, start=start, worker_concurrency=2))
    click.echo(f"starting a scratch stack in {stack.instance_dir} ...", err=True)
    try:
        stack.start()
        if with_orders:
            place_and_plan(stack.url, stack.planner_password)
        yield stack
    finally:
        stack.stop()


def place_and_plan(url: str, planner_password: str) -> None:
    """Place the sample orders through the API and wait until the worker has planned them all
    (each order asks for a plan run of its own)."""
    from c2m.plant_sim.client import Client, Tally
    from c2m.plant_sim.planners import log_in
    from c2m.plant_sim.stack import PLANNER, StackError

    tally = Tally()
    shopper, planner = Client(url, tally), Client(url, tally)
    for index, (model, name) in enumerate(ORDERS):
        body = {"model": model, "choices": named_choices(model, name), "customer": CUSTOMER}
        key = f"screenshot-order-{index:04d}"
        status, answer = shopper.json(
            "POST", "/api/v1/orders", json=body, headers={"Idempotency-Key": key}
        )
        if status != 201:
            raise StackError(f"the {model} order was refused: {status} {str(answer)[:300]}")
    log_in(planner, PLANNER, planner_password)
    deadline = time.monotonic() + PLAN_TIMEOUT_S
    while time.monotonic() < deadline:
        _, plant = planner.json("GET", "/api/v1/plant-status")
        if plant.get("plan_run_failures"):
            raise StackError(f"a plan run failed: {plant['plan_run_failures'][0]}")
        if all_planned(plant):
            return
        time.sleep(1)
    raise StackError(f"the orders were not planned within {PLAN_TIMEOUT_S:.0f} s")


def all_planned(plant: dict[str, Any]) -> bool:
    """A current schedule, and no plan run waiting or running that would change it."""
    runs = plant.get("plan_runs", {})
    pending = sum(count for status, count in runs.items() if status in ("queued", "running"))
    return plant.get("current_plan_run") is not None and pending == 0


def named_choices(model: str, name: str) -> dict[str, Any]:
    import yaml

    from configurator.samples import SAMPLE_PRODUCTS

    entries = yaml.safe_load((Path(SAMPLE_PRODUCTS) / model / "configurations.yaml").read_text())
    return next(dict(e["choices"]) for e in entries["configurations"] if e["name"] == name)


def take(url: str, planner_password: str, shots: list[Shot], out: Path) -> Iterator[Path]:
    """Each picture in a browser context of its own (its own viewport, language and login)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for shot in shots:
                height = HEIGHT["phone" if shot.phone else "desktop"]
                context = browser.new_context(viewport={"width": shot.width, "height": height})
                try:
                    page = context.new_page()
                    if shot.subject == "planner":
                        show_board(page, url, shot.lang, planner_password)
                    else:
                        show_configurator(page, url, shot.subject, shot.lang)
                    path = out / shot.filename
                    # The caret is left as it is: hiding it leaves an empty style attribute
                    # that htmx copies on and the page's CSP reports (tests/conftest.py).
                    page.screenshot(path=str(path), caret="initial")
                    yield path
                finally:
                    context.close()
        finally:
            browser.close()


def show_configurator(page: Any, url: str, model: str, lang: str) -> None:
    page.goto(f"{url}/configure/{model}?lang={lang}")
    for feature, value in PICKS[model].items():
        fieldset = page.locator(f'fieldset[data-feature="{feature}"]')
        fieldset.locator(f'button[data-value="{value}"]').click(timeout=CLICK_TIMEOUT_MS)
        page.wait_for_selector(
            f'fieldset[data-feature="{feature}"].is-chosen', timeout=CLICK_TIMEOUT_MS
        )
    page.wait_for_selector(".quote .total", timeout=CLICK_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    # Each click scrolled its step into view; the picture starts where a visitor does, with
    # the preview, the price and the promise at the top.
    page.evaluate("window.scrollTo(0, 0)")


def show_board(page: Any, url: str, lang: str, planner_password: str) -> None:
    from c2m.plant_sim.stack import PLANNER

    page.goto(f"{url}/login?next=/planning&lang={lang}")
    page.fill("#username", PLANNER)
    page.fill("#password", planner_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/planning**", timeout=CLICK_TIMEOUT_MS)
    page.goto(f"{url}/planning?lang={lang}")
    page.wait_for_selector("svg.gantt g.op", timeout=CLICK_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def register(cli: click.Group, bench: click.Group) -> None:
    cli.add_command(screenshots)
