"""Who may do what: planners and admins log in; MES clients present bearer tokens.

Scripts that plan (the plant simulator, a planner's automation) may present a bearer token of
an API client with the `planner` scope instead of a session cookie: a bearer token is never
sent by a browser on its own, so such requests need no CSRF token (see c2m.web.security).

Consumers need no account: their private links carry an unguessable tracking token.

Sessions: Flask keeps the session in a signed cookie, so nothing on the server would notice a
copy of it outliving a log-out. The cookie therefore names the user and the user's session
epoch at login; every request that relies on it looks the user up by primary key, and a
missing user or another epoch (bumped at log-out, and by a new role or password) voids it.
The role always comes from that row, never from the cookie, so a demoted or deleted user loses
their rights at their next request.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, g, request, session
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from c2m.db import session_factory, unit_of_work
from c2m.errors import Conflict, InvalidInput
from c2m.models import ApiClient, User, utc_now

ROLES = ("planner", "admin")
SCOPES = ("pull", "events", "planner")
MES_SCOPES = ("pull", "events")  # what a new MES client gets unless told otherwise
F = TypeVar("F", bound=Callable[..., Any])
# What a login puts in the cookie. Only the id and epoch are trusted; the name and role are
# kept for the page header (base.html) and refreshed from the database.
SESSION_USER_ID, SESSION_EPOCH, SESSION_USER, SESSION_ROLE = "user_id", "epoch", "user", "role"
SESSION_KEYS = (SESSION_USER_ID, SESSION_EPOCH, SESSION_USER, SESSION_ROLE)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@functools.cache
def _unknown_user_hash() -> str:
    """Checked when no user has the name, so a wrong name costs what a wrong password costs
    (same method and parameters as every stored hash): timing tells no user names."""
    return hash_password(secrets.token_urlsafe(16))


def create_user(db: Session, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", "role")
    if len(password) < 8:
        raise InvalidInput("the password needs at least 8 characters", "password")
    if db.scalar(select(User).filter_by(username=username)) is not None:
        raise Conflict(f"user {username!r} exists already")
    user = User(username=username, password_hash=hash_password(password), role=role)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).filter_by(username=username))
    stored = user.password_hash if user is not None else _unknown_user_hash()
    matches = check_password_hash(stored, password)
    return user if matches and user is not None else None


def register(app: Flask) -> None:
    """Every request that carries a login is checked against the database before anything
    reads the session (pages show its user name and role)."""
    _unknown_user_hash()  # made now, so no login pays for it and stands out by its timing

    @app.before_request
    def check_session() -> None:
        # Afresh for each request: g outlives one when a caller holds an app context open.
        g.pop("session_role", None)
        if request.endpoint != "static":
            current_role()


def current_role() -> str | None:
    """The role the database gives the session's user now; None when nobody is logged in or
    the cookie is void. Looked up once per request."""
    if "session_role" not in g:
        g.session_role = _role_of_session()
    role: str | None = g.session_role
    return role


def _role_of_session() -> str | None:
    if not any(key in session for key in SESSION_KEYS):
        return None  # no login (and no read of the session that would add Vary: Cookie)
    user_id, epoch = session.get(SESSION_USER_ID), session.get(SESSION_EPOCH)
    if not isinstance(user_id, int) or not isinstance(epoch, int):
        _forget_login()  # nobody logged in, or a cookie from before session epochs
        return None
    with session_factory()() as db:
        user = db.get(User, user_id)
    if user is None or user.session_epoch != epoch or user.role not in ROLES:
        _forget_login()
        return None
    if session.get(SESSION_ROLE) != user.role:
        session[SESSION_ROLE] = user.role  # what the page header shows
    return user.role


def _forget_login() -> None:
    """Drops a void login from the cookie; the language and CSRF token stay."""
    for key in SESSION_KEYS:
        if key in session:
            session.pop(key)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def _request_role() -> str | None:
    """A bearer token, when one is presented, is the only credential looked at: a request
    exempt from CSRF because it carries one must not fall back to the session cookie."""
    if bearer_token() is None:
        return current_role()
    require_client_scope("planner")
    return "planner"  # a token never makes an admin: admins log in


def role_required(*roles: str) -> Callable[[F], F]:
    """Pages and APIs of planners/admins; admins may do everything planners may."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            role = _request_role()
            if role is None:
                abort(401)
            if role not in roles and role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_client_token(db: Session, name: str, scopes: tuple[str, ...]) -> str:
    """A new MES client; the token is shown once and only its hash is stored."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)}", "scopes")
    if db.scalar(select(ApiClient).filter_by(name=name)) is not None:
        raise Conflict(f"MES client {name!r} exists already")
    token = "c2m_" + secrets.token_urlsafe(32)
    db.add(ApiClient(name=name, token_hash=hash_token(token), scopes=" ".join(sorted(scopes))))
    db.flush()
    return token


def install_client_token(db: Session, name: str, scopes: tuple[str, ...], token: str) -> None:
    """Give a client a token chosen elsewhere (e.g. `c2m serve` for its own MES simulator)."""
    client = db.scalar(select(ApiClient).filter_by(name=name))
    if client is None:
        client = ApiClient(name=name, token_hash="", scopes="")
        db.add(client)
    client.token_hash, client.scopes = hash_token(token), " ".join(sorted(scopes))
    client.revoked_at = None
    db.flush()


def revoke_client(db: Session, name: str) -> None:
    client = db.scalar(select(ApiClient).filter_by(name=name))
    if client is None:
        raise InvalidInput(f"no MES client {name!r}", "name")
    client.revoked_at = utc_now()


def scope_required(scope: str) -> Callable[[F], F]:
    """MES endpoints: a valid, unrevoked bearer token with the scope; nothing else gets in."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_client_scope(scope)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def require_client_scope(required: str) -> None:
    """The request's bearer token must belong to an unrevoked client with the scope: 401 for
    no or an unknown token, 403 for a known one without the scope."""
    token = bearer_token()
    if token is None:
        abort(401)
    with unit_of_work(session_factory()) as db:
        client = db.scalar(select(ApiClient).filter_by(token_hash=hash_token(token)))
        if client is None or client.revoked_at is not None:
            abort(401)
        if required not in client.scopes.split():
            abort(403)
        g.api_client = client.name


def start_session(user: User) -> None:
    session.clear()  # a fresh session id on login: no session fixation
    session[SESSION_USER_ID], session[SESSION_EPOCH] = user.id, user.session_epoch
    session[SESSION_USER], session[SESSION_ROLE] = user.username, user.role
    g.session_role = user.role


def end_session() -> None:
    """Logging out voids every cookie of this login, copies included (and the user's other
    sessions: they share the epoch). A cookie that is void already changes nothing, so an old
    stolen copy cannot log the user out again and again."""
    if current_role() is not None:
        _bump_epoch(session[SESSION_USER_ID], session[SESSION_EPOCH])
    session.clear()
    g.session_role = None


def _bump_epoch(user_id: int, epoch: int) -> None:
    with unit_of_work(session_factory()) as db:
        db.execute(
            update(User)
            .where(User.id == user_id, User.session_epoch == epoch)
            .values(session_epoch=User.session_epoch + 1)
        )
