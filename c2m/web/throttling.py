"""Throttling with Flask-Limiter: password guessing at the two logins, floods at the public API.

- Logins (the form and `POST /api/v1/session` share one count): failed attempts per client
  address and user name, `C2M_RATE_LIMIT_LOGIN`. Only a failure (401) counts, so people and
  scripts that log in correctly are never held up; over the limit every attempt for that name
  from that address is refused, the right password too, until the window ends.
- `POST /api/v1/configurations` and `POST /api/v1/orders`: requests per client address and
  endpoint, `C2M_RATE_LIMIT_API`, generous enough for the plant simulator and the test suite.

Over a limit the answer is 429 with Retry-After (c2m.web.errors). The counts live in Redis when
the broker is Redis, so every web host of a deployment shares them; otherwise in a SQLite file
in the instance folder (c2m.rate_limit_storage), shared by the host's web processes: the web
server runs several (c2m.web_server), and counts kept in each one's memory would split.
The client address is the peer's: behind a reverse proxy that is the proxy's.
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from c2m import rate_limit_storage
from c2m.settings import Settings

REDIS_SCHEMES = ("redis://", "rediss://")

# One limiter for the process; each app binds it to its own storage (the last one made wins,
# which only tests notice: production makes one app per process). A Redis that stops
# answering falls back to counting in memory rather than failing the request.
limiter = Limiter(
    key_func=get_remote_address,
    strategy="fixed-window",
    in_memory_fallback_enabled=True,
)


def register(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(settings.broker_url, settings.instance_dir)
    limiter.init_app(app)


def storage_uri(broker_url: str, instance_dir: Path) -> str:
    if broker_url.startswith(REDIS_SCHEMES):
        return broker_url
    return rate_limit_storage.storage_uri(str(instance_dir / "rate-limits.sqlite"))


def _settings() -> Settings:
    settings: Settings = current_app.extensions["c2m.settings"]
    return settings


def _login_limit() -> str:
    return _settings().rate_limit_login


def _api_limit() -> str:
    return _settings().rate_limit_api


def _login_key() -> str:
    """Address and user name: guessing one user's password is throttled without locking that
    user out for everybody else. The name is hashed: it never lands in Redis as typed."""
    name = request.form.get("username") if request.form else _json_username()
    digest = hashlib.sha256(str(name or "").encode()).hexdigest()[:32]
    return f"{get_remote_address()}|{digest}"


def _json_username() -> object:
    body = request.get_json(silent=True)
    return body.get("username") if isinstance(body, dict) else None


def _failed(response: Response) -> bool:
    return response.status_code == 401


def retry_after_seconds() -> int:
    """Whole seconds until the breached limit's window ends (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60  # a 429 that is not the limiter's: a minute is the longest window we use
    try:
        reset_at = breached.window.reset_time  # one more storage read, on refusals only
    except Exception:  # the storage went away since the check: any honest wait will do
        return 60
    return max(1, math.ceil(reset_at - time.time()))


login_attempts = limiter.shared_limit(
    _login_limit, scope="login", key_func=_login_key, methods=["POST"], deduct_when=_failed
)
api_requests = limiter.limit(_api_limit, methods=["POST"])
