"""The application factory. Nothing happens at import time; everything hangs off the app."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from c2m import resources
from c2m.celery_app import celery_init_app
from c2m.db import make_engine, make_session_factory
from c2m.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(
        "c2m",
        template_folder=str(resources.templates_dir()),
        static_folder=str(resources.static_dir()),
        instance_path=str(settings.instance_dir),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        WTF_CSRF_TIME_LIMIT=None,
        # Lax: a cross-site form post or fetch arrives without the session (CSRF in depth);
        # Secure: the cookie never travels over plain HTTP (settings.secure_cookies says when).
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        JSON_SORT_KEYS=False,
    )
    app.extensions["c2m.settings"] = settings
    engine = make_engine(settings.database_url)
    app.extensions["c2m.engine"] = engine
    app.extensions["c2m.sessions"] = make_session_factory(engine)
    csrf = CSRFProtect(app)
    celery_init_app(app, settings)
    _register_blueprints(app, csrf)
    return app


def _register_blueprints(app: Flask, csrf: CSRFProtect) -> None:
    from c2m import auth
    from c2m.web import (
        admin,
        api,
        cancellation,
        errors,
        health,
        i18n,
        input_limits,
        mes_api,
        planning_views,
        request_ids,
        security,
        shop,
        throttling,
        tracking,
    )
    from c2m.web.status_api import blueprint as plant_status

    # Before any blueprint: the converter and limits that make malformed input (huge ids,
    # bodies, nesting) a 4xx must exist when the routes that use them are registered.
    request_ids.register(app)  # first: every later hook's log lines carry the id
    input_limits.install(app)
    errors.register(app)
    auth.register(app)  # a void session cookie is dropped before any page or hook reads it
    throttling.register(app, app.extensions["c2m.settings"])
    i18n.register(app)
    app.register_blueprint(health.blueprint)
    pages = (shop.blueprint, tracking.blueprint, planning_views.blueprint, admin.blueprint)
    for page in (*pages, cancellation.pages):
        app.register_blueprint(page)
    # JSON APIs: clients with a bearer token have no CSRF token, so the blanket check is off
    # here; security.register checks every request a session cookie authenticates instead
    # (a body-less POST such as a release is a plain cross-site form away).
    apis = (api.blueprint, mes_api.blueprint, plant_status, cancellation.api)
    for blueprint in apis:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    security.register(app, csrf, frozenset(blueprint.name for blueprint in apis))
