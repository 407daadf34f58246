"""Consumer pages: the catalogue, the configurator (htmx panel) and checkout."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from c2m import catalogue, orders, preview, products, validation
from c2m.db import session_factory, unit_of_work
from c2m.errors import InvalidInput
from c2m.promise import promise_for
from c2m.web import configure_view, number_field, panel
from c2m.web.api import enqueue_plan
from c2m.web.i18n import language, value_label
from configurator.session import Configurator

blueprint = Blueprint("shop", __name__)

# The "from" price of each product version: the exact lowest price of a valid complete
# product, the low end of the empty configuration's price range (what
# POST /api/v1/configurations answers for no choices). Keyed by the version's content, so an
# edited model is priced afresh; one search per version and process.
_FROM_PRICES: dict[tuple[str, str, str], Decimal | None] = {}
_FROM_PRICES_GUARD = threading.Lock()


def from_price(configurator: Configurator, content_hash: str) -> Decimal | None:
    """None when no complete product is valid (nothing to offer a price for)."""
    model = configurator.model
    key = (model.name, model.version, content_hash)
    with _FROM_PRICES_GUARD:
        if key in _FROM_PRICES:
            return _FROM_PRICES[key]
    possible = configurator.pricing.price_range({})
    low = None if possible is None else possible.low
    with _FROM_PRICES_GUARD:
        _FROM_PRICES[key] = low
    return low


@blueprint.get("/")
def catalogue_page() -> ResponseReturnValue:
    cards, lang = [], language()
    with unit_of_work(session_factory()) as session:
        for record in catalogue.latest_products(session):
            configurator = products.configurator_for(record)
            # The picture is the product as recommended (its defaults), drawn to its sizes.
            values = configurator.complete({}, "defaults") or {}
            cards.append({
                "record": record,
                "svg": preview.svg(configurator.model, values, language=lang),
                "from_price": from_price(configurator, record.content_hash),
            })
    return render_template("shop/catalogue.html", cards=cards)


def _panel_context(model: str, state_in: configure_view.PanelInput) -> dict[str, Any]:
    lang = language()
    with unit_of_work(session_factory()) as session:
        record = products.record_for(session, model)
        configurator = products.configurator_for(record)
        state = configurator.configure(state_in.choices, explain=True, price=False)
        quoted = configure_view.quote(configurator, state)
        possible = None
        if state.consistent and not state.complete:
            possible = configure_view.price_range(configurator, dict(state_in.choices))
        promised = promise_for(session, model, quoted[0]) if quoted else None
    return {
        "record": record,
        "model": configurator.model,
        "state": state,
        "features": number_field.with_number_fields(
            panel.panel_features(configurator, state, lang, state_in.attempt),
            configurator.model,
            state,
            lang,
            state_in.typed,
        ),
        "conflict": panel.conflict_view(configurator.model, state, lang),
        "quote": quoted[1] if quoted else None,
        "price_range": possible,
        "svg": preview.svg(configurator.model, quoted[0], language=lang) if quoted else "",
        "promise": promised,
        "choices_json": json.dumps(state_in.choices),
        "history_json": json.dumps(state_in.history),
        "can_undo": bool(state_in.history),
    }


@blueprint.get("/configure/<model>")
def configure_page(model: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        configurator = products.configurator_for(products.record_for(session, model))
    start = configure_view.parse(request.args, configurator)
    return render_template("shop/configure.html", **_panel_context(model, start))


@blueprint.post("/configure/<model>")
def configure_click(model: str) -> ResponseReturnValue:
    """One click. htmx swaps the panel; without JavaScript the whole page comes back."""
    with unit_of_work(session_factory()) as session:
        configurator = products.configurator_for(products.record_for(session, model))
    state = configure_view.apply(
        request.form, configurator, configure_view.parse(request.form, configurator)
    )
    context = _panel_context(model, state)
    if request.headers.get("HX-Request"):
        return render_template("shop/_panel.html", **context)
    return render_template("shop/configure.html", **context)


@blueprint.get("/checkout/<model>")
def checkout_page(model: str) -> ResponseReturnValue:
    """A fresh idempotency key per rendered form: resubmitting this form never orders twice."""
    choices = _complete_choices(model, request.args.get("choices", ""))
    return _checkout(model, choices, uuid.uuid4().hex, {}, {}, 200)


def _complete_choices(model: str, raw: str) -> dict[str, object]:
    with unit_of_work(session_factory()) as session:
        configurator = products.configurator_for(products.record_for(session, model))
    choices = configure_view.parse({"choices": raw}, configurator).choices
    if not configurator.is_valid(choices):
        raise InvalidInput("configure every feature before checking out", "choices")
    return choices


def _checkout(
    model: str,
    choices: dict[str, object],
    key: str,
    form: dict[str, str],
    problems: dict[str, str],
    status: int,
) -> ResponseReturnValue:
    lang = language()
    with unit_of_work(session_factory()) as session:
        configurator = products.configurator_for(products.record_for(session, model))
        # The same promise the panel showed, and the one the order will be given.
        promised = promise_for(session, model, choices)
    breakdown = configurator.price(choices)
    summary = [
        (f.label.get(lang), value_label(f, choices[f.name], lang))
        for f in configurator.model.features
    ]
    return render_template(
        "shop/checkout.html",
        model=configurator.model,
        choices_json=json.dumps(choices),
        key=key,
        form=form,
        problems=problems,
        breakdown=breakdown,
        summary=summary,
        svg=preview.svg(configurator.model, choices, language=lang),
        promise=promised,
    ), status


@blueprint.post("/checkout/<model>")
def place_order(model: str) -> ResponseReturnValue:
    choices = _complete_choices(model, request.form.get("choices", ""))
    key = request.form.get("idempotency_key", "")
    fields = {name: request.form.get(name, "") for name in ("name", "email", "phone", "address")}
    customer = orders.Customer(**fields, language=language())
    try:
        problems = validation.customer_problems(fields)
        if problems:  # before the domain check, which would store an oversized address
            raise orders.CustomerInvalid(problems)
        placed = orders.place(
            session_factory(), model=model, choices=choices, customer=customer, idempotency_key=key
        )
    except orders.CustomerInvalid as error:
        return _checkout(model, choices, key, fields, error.problems, 422)
    if placed.plan_run_id is not None:
        enqueue_plan(placed.plan_run_id)
    return redirect(url_for("tracking.track_page", token=placed.tracking_token, placed=1), code=303)
