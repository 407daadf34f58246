"""Consumer pages: the catalogue and (later) the configurator."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from c2m import catalogue
from c2m.db import session_factory, unit_of_work

blueprint = Blueprint("shop", __name__)


@blueprint.get("/")
def catalogue_page() -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        products = catalogue.latest_products(session)
    return render_template("shop/catalogue.html", products=products)
