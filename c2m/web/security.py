"""Cross-site defences that hang off the whole app: CSRF on cookie-authenticated API calls,
and the security headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from c2m.auth import bearer_token, current_role

# Methods that change something; GET/HEAD/OPTIONS never do here.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Scripts and styles from our own origin only: the templates have no inline scripts, style
# attributes or <style> elements (htmx's own indicator <style> is turned off in base.html),
# so neither needs 'unsafe-inline'. Pages are never framed (clickjacking on Release).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
}


def register(app: Flask, csrf: CSRFProtect, api_blueprints: frozenset[str]) -> None:
    """`api_blueprints` are exempt from Flask-WTF's blanket check (bearer clients have no
    CSRF token); this puts the check back for every request there that a session cookie
    authenticates, since a browser attaches that cookie to a cross-site form post too."""

    @app.before_request
    def csrf_for_cookie_authenticated_api() -> None:
        if request.blueprint not in api_blueprints or request.method not in STATE_CHANGING:
            return
        if bearer_token() is not None:
            return  # only the token authenticates it (auth ignores the cookie then)
        if current_role() is None:
            return  # no session to ride on: nothing for a forged request to borrow
        csrf.protect()  # the X-CSRFToken header htmx sends, or a csrf_token form field

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
