"""Typed settings read from C2M_* environment variables, with embedded defaults.

Nothing here touches the network, and the disk only for the instance folder and the secrets
kept in it (owner-only, 0600): checking that the database and broker answer is
`c2m.preflight`'s job.

Secure cookies: the session cookie is marked Secure (sent over HTTPS only) unless the web
server listens on loopback (`C2M_HOST` 127.0.0.1, localhost or ::1, the embedded default,
where the app is reached over plain http://127.0.0.1). Nothing else tells the embedded default
from production (a production database may be SQLite too), and a server reachable from other
hosts should sit behind HTTPS. `C2M_SECURE_COOKIES=1` or `0` overrides the choice, e.g. `0`
for a plain-HTTP test host on the LAN.

The embedded default is a SQLite database and the embedded (SQLAlchemy) broker, what c2m
runs on when neither `C2M_DATABASE_URL` nor `C2M_BROKER_URL` points elsewhere: one host by
construction. There `c2m serve` migrates on start and the secrets are generated into the
instance folder. Anywhere else several hosts may run side by side, so migrations are the
one-shot `c2m db upgrade`, and the web server (`c2m serve`, the WSGI app) refuses to start
without `C2M_SECRET_KEY` and `C2M_MES_SECRET` in the environment, a `c2m worker` without
`C2M_MES_SECRET`: secrets each host made up for itself would not be shared (see
`require_shared_secrets`).

The web server runs `C2M_WEB_WORKERS` gunicorn processes of `C2M_WEB_THREADS` threads each.

Rate limits (`C2M_RATE_LIMIT_LOGIN`, `C2M_RATE_LIMIT_API`) are Flask-Limiter strings such as
`10 per minute` or `100/second; 3000/hour`; see c2m.web.throttling for what each one counts.

Order e-mails (c2m.mail) go to `C2M_SMTP_URL` (`smtp://user:password@host:587?starttls=1`, or
`smtps://` for TLS from the first byte), from `C2M_MAIL_FROM`; without an SMTP URL they are
written as .eml files into the instance folder's mail/ directory. Their links start with
`C2M_PUBLIC_URL`, the address customers reach the shop at (by default this host's
`http://C2M_HOST:C2M_PORT`, right only for the embedded default).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from limits import parse_many

from c2m.resources import default_instance_dir
from configurator.samples import SAMPLE_PRODUCTS

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value c2m cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    broker_url: str
    secret_key: str
    products_dir: Path
    mes_url: str
    mes_secret: str
    mes_format: str = "b2mml-v0701"
    mes_read_timeout_s: float = 10.0
    mes_claim_timeout_s: float = 120.0  # a push claimed longer than this is presumed lost
    replan_time_limit_s: float = 20.0  # search time of a re-plan or breakdown repair
    host: str = "127.0.0.1"
    port: int = 5000
    mes_sim_port: int = 5081
    log_level: str = "INFO"
    factory_timezone: str = "Asia/Shanghai"
    embedded_worker: bool = True
    testing: bool = False
    secure_cookies: bool = True  # the session cookie only over HTTPS (see the module's notes)
    # Failed logins per client address and user name: tight, as successes never count.
    rate_limit_login: str = "10 per minute"
    # Configurations and orders per client address and endpoint: above what the plant simulator
    # and the test suite send from one address (20 clients at 5 requests/s are 6000 a minute).
    rate_limit_api: str = "6000 per minute"
    # The B2MML schema set (XSDs) payloads are validated against; None: none is installed, and
    # B2MML is rendered without validation (c2m says so at start and in /healthz).
    b2mml_dir: Path | None = None
    # Two processes for two cores (more would only queue for them), four threads each to
    # overlap database and broker waits: see c2m.web_server.
    web_workers: int = 2
    web_threads: int = 4
    # Secrets not given in the environment: made up here (and kept in the instance folder on
    # the embedded default only).
    generated_secrets: tuple[str, ...] = ()
    # Order e-mails: the SMTP server (empty: .eml files in instance/mail), the sender, and
    # the shop's public address for links (empty: http://host:port).
    smtp_url: str = ""
    mail_from: str = "c2m <noreply@localhost>"
    public_url: str = ""

    @property
    def public_base_url(self) -> str:
        """Where customers reach the shop: C2M_PUBLIC_URL, else this server's own address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("sqla+")

    @property
    def embedded_default(self) -> bool:
        """SQLite and the embedded broker: one host by construction (see the module's notes)."""
        return _embedded(self.database_url, self.broker_url)

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be above zero")
    return value


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(
            f"{name}={value!r} is not a rate limit (expected e.g. '10 per minute')"
        ) from None
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or allowed[0]
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name}={value!r} must be at least 1")
    return value


def _embedded(database_url: str, broker_url: str) -> bool:
    return broker_url.startswith("sqla+") and database_url.startswith("sqlite")


SHARED_SECRETS = ("C2M_SECRET_KEY", "C2M_MES_SECRET")


def require_shared_secrets(settings: Settings, names: tuple[str, ...] = SHARED_SECRETS) -> None:
    """Outside the embedded default every host must be given the same secrets: sessions made
    on one web host must be valid on the next, MES signatures checked by any of them. `names`:
    the ones this kind of process uses (a worker signs MES pushes and keeps no sessions)."""
    missing = ", ".join(name for name in settings.generated_secrets if name in names)
    if settings.embedded_default or not missing:
        return
    raise SettingsError(
        f"{missing} must be set in the environment outside the embedded default "
        "(SQLite and the embedded broker): every host of a deployment shares the same value"
    )


def _instance_secret(
    env: Mapping[str, str], name: str, instance_dir: Path, fresh: str, embedded: bool
) -> str:
    """An explicit value wins; otherwise, on the embedded default, one is made once and kept
    in the instance folder, so sessions and MES signatures survive a restart. Elsewhere a
    missing one is this process's own, never stored: only commands that need no shared secret
    (`c2m products load`, `c2m users create`) get that far (see require_shared_secrets)."""
    if env.get(name):
        return env[name]
    if not embedded:
        return fresh
    secret_file = instance_dir / name.lower()
    _create_private(secret_file, fresh)
    _make_private(secret_file)
    return secret_file.read_text().strip()


def _create_private(path: Path, content: str) -> None:
    """Born 0600 (never readable by others, not even for a moment); O_EXCL: when two processes
    start at once, the first one's secret is the one both keep."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)


def _make_private(path: Path) -> None:
    """Secrets written by earlier versions were 0644: take group and others' access away."""
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    instance_dir = Path(env.get("C2M_INSTANCE_DIR") or default_instance_dir()).resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    database_url = env.get("C2M_DATABASE_URL") or f"sqlite:///{instance_dir / 'c2m.sqlite'}"
    broker_url = env.get("C2M_BROKER_URL") or f"sqla+sqlite:///{instance_dir / 'broker.sqlite'}"
    mes_sim_port = _int(env, "C2M_MES_SIM_PORT", 5081)
    host = env.get("C2M_HOST") or "127.0.0.1"
    embedded = _embedded(database_url, broker_url)
    return Settings(
        instance_dir=instance_dir,
        database_url=_normalise_database_url(database_url),
        broker_url=broker_url,
        secret_key=_instance_secret(
            env, "C2M_SECRET_KEY", instance_dir, secrets.token_urlsafe(32), embedded
        ),
        products_dir=Path(env.get("C2M_PRODUCTS_DIR") or SAMPLE_PRODUCTS),
        mes_url=env.get("C2M_MES_URL") or f"http://127.0.0.1:{mes_sim_port}",
        mes_secret=_instance_secret(
            env, "C2M_MES_SECRET", instance_dir, _fresh_webhook_secret(), embedded
        ),
        mes_format=_choice(env, "C2M_MES_FORMAT", ("b2mml-v0701", "b2mml-v0600", "json")),
        mes_read_timeout_s=_number(env, "C2M_MES_READ_TIMEOUT_S", 10.0),
        mes_claim_timeout_s=_number(env, "C2M_MES_CLAIM_TIMEOUT_S", 120.0),
        replan_time_limit_s=_number(env, "C2M_REPLAN_TIME_LIMIT_S", 20.0),
        host=host,
        secure_cookies=_secure_cookies(env, host),
        rate_limit_login=_rate_limit(env, "C2M_RATE_LIMIT_LOGIN", Settings.rate_limit_login),
        rate_limit_api=_rate_limit(env, "C2M_RATE_LIMIT_API", Settings.rate_limit_api),
        port=_int(env, "C2M_PORT", 5000),
        mes_sim_port=mes_sim_port,
        log_level=(env.get("C2M_LOG_LEVEL") or "INFO").upper(),
        factory_timezone=env.get("C2M_FACTORY_TZ") or "Asia/Shanghai",
        embedded_worker=(env.get("C2M_EMBEDDED_WORKER") or "1") not in {"0", "false", "no"},
        b2mml_dir=_b2mml_dir(env),
        web_workers=_positive_int(env, "C2M_WEB_WORKERS", Settings.web_workers),
        web_threads=_positive_int(env, "C2M_WEB_THREADS", Settings.web_threads),
        generated_secrets=tuple(name for name in SHARED_SECRETS if not env.get(name)),
        smtp_url=_smtp_url(env),
        mail_from=_mail_from(env),
        public_url=_public_url(env),
    )


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True)
class SmtpServer:
    """C2M_SMTP_URL taken apart (c2m.mail sends through it with smtplib)."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False  # upgrade the plain connection with STARTTLS before logging in
    implicit_tls: bool = False  # smtps://: TLS from the first byte

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


SMTP_URL_EXAMPLE = "smtp://user:password@host:587?starttls=1"


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://[user[:password]@]host[:port][?starttls=1]` or `smtps://...`; the default port
    is 465 for smtps, 587 with STARTTLS, else 25. Errors never repeat the password."""
    parts = urlsplit(url)
    shown = _without_password(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError(f"C2M_SMTP_URL={shown!r} is not an SMTP URL (e.g. {SMTP_URL_EXAMPLE})")
    flags = {name: values[-1].lower() for name, values in parse_qs(parts.query).items()}
    unknown = sorted(set(flags) - {"starttls"})
    if unknown:
        raise SettingsError(f"C2M_SMTP_URL={shown!r}: unknown option {', '.join(unknown)}")
    starttls = flags.get("starttls", "0") in {"1", "true", "yes"}
    implicit_tls = parts.scheme == "smtps"
    if starttls and implicit_tls:
        raise SettingsError(f"C2M_SMTP_URL={shown!r}: smtps:// is TLS already; drop starttls")
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(f"C2M_SMTP_URL={shown!r} has no valid port") from None
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 587 if starttls else 25),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls,
        implicit_tls=implicit_tls,
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _smtp_url(env: Mapping[str, str]) -> str:
    url = (env.get("C2M_SMTP_URL") or "").strip()
    if url:
        parse_smtp_url(url)  # refused at start, not at the first e-mail
    return url


def _mail_from(env: Mapping[str, str]) -> str:
    value = (env.get("C2M_MAIL_FROM") or "").strip() or Settings.mail_from
    _, address = parseaddr(value)
    if "@" not in address:
        raise SettingsError(
            f"C2M_MAIL_FROM={value!r} is not an e-mail address (e.g. 'Shop <orders@example.com>')"
        )
    return value


def _public_url(env: Mapping[str, str]) -> str:
    url = (env.get("C2M_PUBLIC_URL") or "").strip()
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise SettingsError(
            f"C2M_PUBLIC_URL={url!r} is not an http(s) address (e.g. https://shop.example.com)"
        )
    return url.rstrip("/")


def _secure_cookies(env: Mapping[str, str], host: str) -> bool:
    raw = (env.get("C2M_SECURE_COOKIES") or "").lower()
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"0", "false", "no"}:
        return False
    if raw:
        raise SettingsError(f"C2M_SECURE_COOKIES={raw!r} is not 1 or 0")
    return host not in LOOPBACK_HOSTS


def _b2mml_dir(env: Mapping[str, str]) -> Path | None:
    """$C2M_B2MML_DIR, or none: the package never looks outside itself (the checkout's
    Makefile sets it from ../shared for developers)."""
    return Path(env["C2M_B2MML_DIR"]).resolve() if env.get("C2M_B2MML_DIR") else None


def _fresh_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _normalise_database_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the only PostgreSQL driver we install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if "://" not in url:
        raise SettingsError(
            f"C2M_DATABASE_URL={url!r} is not a database URL "
            "(expected e.g. sqlite:///path/c2m.sqlite or postgresql://user@host:5432/db)"
        )
    return url
