"""Order-status e-mails to the customer, sent from an outbox the way MES messages are.

The change that calls for an e-mail writes its row in the same transaction (`enqueue`): the
order placed (c2m.orders), scheduled with its promised date (c2m.planning), completed
(c2m.mes_intake), cancelled (c2m.cancellation). One e-mail per order and kind: a unique
constraint, and an insert that yields to a row already there, so a transition taken twice (a
redelivered task, an event posted again) writes nothing twice and never fails the transaction
that caused it.

A row holds the facts of its moment (kind, recipient, language, the promise as it stood); the
message is rendered from them when it is sent, so writing one needs nothing but the session
(planning runs in workers, the CLI and tests alike), and its links use C2M_PUBLIC_URL.

Delivery (`deliver`, the c2m.send_mail task) claims a due row in one conditional UPDATE, sends
with no transaction open, and records the verdict: sent; due again after an exponential
backoff with jitter (the retry is scheduled in the database and sent by the sweeper, never
held by the broker); dead after POLICY.max_attempts or a refusal for good (5xx). A worker
killed mid-send leaves the row claimed, and the sweeper sends it again once the claim has
expired. SMTP has no idempotency key, so a send whose answer was lost may arrive twice: the
Message-ID is the row's own, which lets mail clients fold such a copy away.

Without C2M_SMTP_URL (the embedded default) the messages are written as .eml files into the
instance folder's mail/ directory instead: nothing is lost, and a developer can read them.
"""

from __future__ import annotations

import html
import os
import random
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from c2m.db import hand_to_broker, take_claim, unit_of_work
from c2m.logging_setup import get_logger
from c2m.models import MailKind, MailMessage, MailStatus, Order, ProductModelRecord, utc_now
from c2m.settings import Settings, SmtpServer, parse_smtp_url
from c2m.web.i18n import LANGUAGES, product_name, translate
from mes_bridge.delivery import RetryPolicy, backoff

log = get_logger(__name__)
# Mail is not urgent, and an SMTP server may be down for a while: about half a day of
# attempts, at most half an hour apart, before a message is dead-lettered.
POLICY = RetryPolicy(max_attempts=12, base_delay=30.0, max_delay=1800.0)
SMTP_TIMEOUT_S = 30.0
# Longer than one SMTP conversation may take (connect, TLS, login, data, each under the
# timeout), so a live send is never taken over.
CLAIM_TIMEOUT = timedelta(minutes=5)
DATED = frozenset({MailKind.PLACED, MailKind.SCHEDULED})  # the e-mails that carry the promise
BODY_KEY = {
    MailKind.PLACED: "mail_placed",
    MailKind.SCHEDULED: "mail_scheduled",
    MailKind.COMPLETED: "mail_completed",
    MailKind.CANCELLED: "mail_cancelled",
}
# ISO digits, not the pages' Babel dates (c2m.web.formatting): Python's header folding drops the
# space between two RFC 2047 encoded words, so "预计 2026年12月10日" in a folded Chinese subject
# arrives as "预计2026年12月10日" (and CLDR's narrow no-break space before "PM" encodes, and
# then misfolds, the English one). An ASCII date keeps every subject intact.
DATE_FORMAT = "%Y-%m-%d %H:%M %Z"


# --- writing: in the transaction of the change -------------------------------------------


def enqueue(session: Session, order: Order, kind: MailKind) -> None:
    """The order's e-mail of `kind`, written with the change that calls for it; once only
    (a second call for the same order and kind does nothing, whichever transaction makes it)."""
    now = utc_now()
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    session.execute(
        insert(MailMessage)
        .values(
            id=os.urandom(16).hex(),
            order_id=order.id,
            kind=kind,
            recipient=order.email,
            language=mail_language(order.language),
            promised_at=order.promised_at if kind in DATED else None,
            status=MailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
        .on_conflict_do_nothing()
    )


def mail_language(tag: str) -> str:
    """The e-mail's language for the order's language tag ("zh-CN" is Chinese); English for
    one c2m has no texts in."""
    primary = tag.split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else "en"


# --- the message: pure ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailFacts:
    """What one e-mail says, read from its row and its order."""

    message_id: str
    kind: MailKind
    language: str
    recipient: str
    customer_name: str
    order_number: str
    products: tuple[str, ...]  # product names in the customer's language
    promised_at: datetime | None
    tracking_url: str


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def local_date(moment: datetime, zone: ZoneInfo) -> str:
    """A promise in factory-local time with its zone, as the tracking page shows times."""
    return moment.astimezone(zone).strftime(DATE_FORMAT)


def compose(facts: MailFacts, zone: ZoneInfo) -> Composed:
    """Subject, plain text and HTML of the e-mail, in the customer's language."""
    lang = facts.language
    date = local_date(facts.promised_at, zone) if facts.promised_at else ""
    values = {
        "number": facts.order_number,
        "product": "、".join(facts.products) if lang == "zh" else ", ".join(facts.products),
        "date": date,
    }
    subject_key, body_key = f"mail_subject_{facts.kind.value}", BODY_KEY[facts.kind]
    if facts.kind is MailKind.SCHEDULED and not date:  # an order from before promises were kept
        subject_key, body_key = f"{subject_key}_undated", f"{body_key}_undated"
    sentences = [translate(body_key, lang, **values)]
    if facts.kind is MailKind.PLACED and date:
        sentences.append(translate("mail_placed_promise", lang, **values))
    greeting = translate("mail_greeting", lang, name=facts.customer_name)
    link_label = translate("tracking_link", lang)
    signature = translate("mail_signature", lang)
    separator = "" if lang == "zh" else " "
    paragraph = separator.join(sentences)
    text = (
        f"{greeting}\n\n{paragraph}\n\n{link_label}:\n{facts.tracking_url}\n\n"
        f"{translate('order_number', lang)}: {facts.order_number}\n\n{signature}\n"
    )
    return Composed(
        translate(subject_key, lang, **values), text, _html(facts, greeting, paragraph, signature)
    )


def _html(facts: MailFacts, greeting: str, paragraph: str, signature: str) -> str:
    lang, e = facts.language, html.escape
    link = e(facts.tracking_url)
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}"><body style="font-family:sans-serif">\n'
        f"<p>{e(greeting)}</p>\n<p>{e(paragraph)}</p>\n"
        f'<p><a href="{link}">{e(translate("tracking_link", lang))}</a><br>{link}</p>\n'
        f"<p>{e(translate('order_number', lang))}: <strong>{e(facts.order_number)}</strong></p>\n"
        f"<p>{e(signature)}</p>\n</body></html>\n"
    )


def as_email(facts: MailFacts, composed: Composed, sender: str, now: datetime) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative, its Message-ID the row's id."""
    message = EmailMessage()
    message["Subject"] = composed.subject
    message["From"] = sender
    message["To"] = formataddr((facts.customer_name, facts.recipient))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{facts.message_id}@{_domain(sender)}>"
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a robot
    message.set_content(composed.text)
    message.add_alternative(composed.html, subtype="html")
    # After the parts: making the message multipart moves Content-* headers into its first.
    message["Content-Language"] = "zh-CN" if facts.language == "zh" else "en"
    return message


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "c2m.invalid"


# --- transports ----------------------------------------------------------------------------


class SendFailed(Exception):
    """A send that did not go through; `permanent`: the server refused this message for good."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


class Transport(Protocol):
    def send(self, message: EmailMessage, name: str) -> None:
        """Hand the message on, or raise SendFailed. `name`: a stable file-like name."""


@dataclass(frozen=True)
class SmtpTransport:
    server: SmtpServer
    timeout: float = SMTP_TIMEOUT_S

    def send(self, message: EmailMessage, name: str) -> None:
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise SendFailed(f"recipient refused: {_answers(error)}", _for_good(codes)) from None
        except smtplib.SMTPAuthenticationError as error:
            # A wrong password is the operator's to fix; the mail goes once it is fixed.
            raise SendFailed(f"SMTP login refused: {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:
            reason = f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
            raise SendFailed(reason, _for_good([error.smtp_code])) from None
        except (OSError, smtplib.SMTPException) as error:  # refused, timed out, TLS, ...
            raise SendFailed(f"{type(error).__name__}: {error}") from None

    def _send(self, message: EmailMessage) -> None:
        server = self.server
        if server.implicit_tls:
            context = ssl.create_default_context()
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(message)


def _for_good(codes: list[int]) -> bool:
    """5xx is a permanent refusal (RFC 5321); 4xx and anything else may pass later."""
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _answers(error: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{who} {code} {_text(answer)}" for who, (code, answer) in error.recipients.items()
    )


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


@dataclass(frozen=True)
class EmlFolder:
    """No SMTP server configured: each message becomes `<name>.eml` in `folder`, whole or
    not at all (written aside, then renamed), the same file again if it is sent again."""

    folder: Path

    def send(self, message: EmailMessage, name: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(message.as_bytes())
            os.replace(temporary, self.folder / f"{name}.eml")
        except OSError as error:
            raise SendFailed(f"cannot write {self.folder}: {error}") from None


# --- delivery ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailConfig:
    transport: Transport
    sender: str
    public_url: str
    zone: ZoneInfo
    policy: RetryPolicy = POLICY
    claim_timeout: timedelta = CLAIM_TIMEOUT


def mail_folder(settings: Settings) -> Path:
    return settings.instance_dir / "mail"


def config_from(settings: Settings) -> MailConfig:
    transport: Transport
    if settings.smtp_url:
        transport = SmtpTransport(parse_smtp_url(settings.smtp_url))
    else:
        transport = EmlFolder(mail_folder(settings))
    return MailConfig(
        transport, settings.mail_from, settings.public_base_url, ZoneInfo(settings.factory_timezone)
    )


def transport_line(settings: Settings) -> str:
    """The one line a worker logs at start: where order e-mails go."""
    if not settings.smtp_url:
        return (
            "no SMTP server configured (C2M_SMTP_URL): order e-mails are written as .eml "
            f"files to {mail_folder(settings)}"
        )
    server = parse_smtp_url(settings.smtp_url)
    security = " with STARTTLS" if server.starttls else " over TLS" if server.implicit_tls else ""
    return f"order e-mails go to the SMTP server at {server.address}{security}"


def tracking_url(public_url: str, token: str, lang: str) -> str:
    """The customer's tracking page (c2m.web.tracking), opened in the e-mail's language."""
    return f"{public_url.rstrip('/')}/track/{token}?lang={lang}"


@dataclass(frozen=True)
class Claim:
    facts: MailFacts
    attempt: int
    file_name: str


def claim(sessions: sessionmaker[Session], config: MailConfig, message_id: str) -> Claim | None:
    """Take the row if it is due; of two workers (or two copies of its task) one wins."""
    now = utc_now()
    with unit_of_work(sessions) as session:
        row = session.get(MailMessage, message_id)
        if row is None:
            return None
        if _lost_every_time(row, config.policy, now):
            row.status = MailStatus.DEAD
            row.last_error = f"its worker was lost during each of {row.attempts} attempts"
            log.warning("order e-mail", extra={"mail": row.id, "outcome": "dead"})
            return None
        statuses = (MailStatus.PENDING, MailStatus.IN_FLIGHT)
        if not take_claim(session, MailMessage, row, statuses, config.claim_timeout):
            return None
        order = session.get_one(Order, row.order_id)
        facts = MailFacts(
            message_id=row.id,
            kind=row.kind,
            language=row.language,
            recipient=row.recipient,
            customer_name=order.customer_name,
            order_number=order.number,
            products=_product_names(session, order, row.language),
            promised_at=row.promised_at,
            tracking_url=tracking_url(config.public_url, order.tracking_token, row.language),
        )
        return Claim(facts, row.attempts + 1, f"{order.number}-{row.kind.value}")


def _lost_every_time(row: MailMessage, policy: RetryPolicy, now: datetime) -> bool:
    """Claimed for the last time and never recorded: a message that kills its worker (or a
    worker dying again and again) must not be taken forever."""
    expired = row.status is MailStatus.IN_FLIGHT and row.next_attempt_at <= now
    return expired and row.attempts >= policy.max_attempts


def _product_names(session: Session, order: Order, lang: str) -> tuple[str, ...]:
    return tuple(
        product_name(session.get_one(ProductModelRecord, line.product_model_id), lang)
        for line in order.lines
    )


@dataclass(frozen=True)
class Verdict:
    status: MailStatus
    reason: str = ""
    delay_s: float = 0.0


def decide(
    failure: SendFailed | None, attempt: int, policy: RetryPolicy, rng: random.Random
) -> Verdict:
    """After attempt number `attempt` (1-based): sent, again later, or dead. Pure given rng."""
    if failure is None:
        return Verdict(MailStatus.SENT)
    if failure.permanent:
        return Verdict(MailStatus.DEAD, f"refused for good: {failure.reason}")
    if attempt >= policy.max_attempts:
        return Verdict(MailStatus.DEAD, f"gave up after {attempt} attempts; last {failure.reason}")
    return Verdict(MailStatus.PENDING, failure.reason, backoff(attempt, policy, rng))


def record(sessions: sessionmaker[Session], message_id: str, verdict: Verdict) -> None:
    now = utc_now()
    with unit_of_work(sessions) as session:
        row = session.get_one(MailMessage, message_id, with_for_update=True)
        row.status, row.last_error = verdict.status, verdict.reason
        if verdict.status is MailStatus.SENT:
            row.sent_at = now
        elif verdict.status is MailStatus.PENDING:
            row.next_attempt_at = now + timedelta(seconds=verdict.delay_s)
        log_line = log.warning if verdict.status is MailStatus.DEAD else log.info
        log_line(
            "order e-mail",
            extra={
                "mail": message_id,
                "kind": row.kind.value,
                "outcome": verdict.status.value,
                "reason": verdict.reason,
                "attempt": row.attempts,
            },
        )


def deliver(
    sessions: sessionmaker[Session],
    config: MailConfig,
    message_id: str,
    rng: random.Random | None = None,
) -> str:
    """One attempt at one row; returns its status after it (or 'skipped': not ours to send)."""
    claimed = claim(sessions, config, message_id)
    if claimed is None:
        return "skipped"
    failure: SendFailed | None = None
    try:
        composed = compose(claimed.facts, config.zone)
        message = as_email(claimed.facts, composed, config.sender, utc_now())
        config.transport.send(message, claimed.file_name)
    except SendFailed as error:
        failure = error
    except Exception as error:  # a message that cannot be built: counted, in the end dead
        log.exception("order e-mail could not be built", extra={"mail": message_id})
        failure = SendFailed(f"cannot build the message: {type(error).__name__}: {error}")
    verdict = decide(failure, claimed.attempt, config.policy, rng or random.Random())
    record(sessions, message_id, verdict)
    return verdict.status.value


# At most this many e-mails handed to the broker per sweep (every 5 s: 6 a second, some
# 500,000 a day). A release schedules one per order at once; in one burst they held the
# workers' slots while a killed worker's MES push waited for the sweep to take it over.
SENDS_PER_SWEEP = 30


def enqueue_due(
    sessions: sessionmaker[Session],
    send: Callable[[str], object],
    window: timedelta = CLAIM_TIMEOUT,
    limit: int = SENDS_PER_SWEEP,
) -> list[str]:
    """The sweeper's part: hand each due row without a waiting task to `send` (the broker),
    marking it enqueued first in one conditional UPDATE, so two sweepers cannot both send it."""
    needs = _needs_task(utc_now(), window)
    return hand_to_broker(sessions, MailMessage, needs, send, limit, (MailMessage.next_attempt_at,))


def _needs_task(now: datetime, window: timedelta) -> ColumnElement[bool]:
    """Due, and no task for it handed to the broker within `window`."""
    return and_(
        MailMessage.status.in_([MailStatus.PENDING, MailStatus.IN_FLIGHT]),
        MailMessage.next_attempt_at <= now,
        or_(MailMessage.enqueued_at.is_(None), MailMessage.enqueued_at <= now - window),
    )
