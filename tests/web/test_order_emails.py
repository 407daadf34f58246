"""Order-status e-mails: written with the change that calls for them (placed, scheduled with
its promised date, completed, cancelled), one per order and kind, in the customer's language,
sent from their outbox to a real SMTP server (aiosmtpd on a spare loopback port), retried while
it is down, dead-lettered in the end; without an SMTP server, written as .eml files."""

from __future__ import annotations

import email
import email.policy
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from c2m import mail, mes_intake, planning, release, tasks
from c2m.app import create_app
from c2m.db import unit_of_work
from c2m.models import (
    MailKind,
    MailMessage,
    MailStatus,
    Order,
    PlanRun,
    PlanRunStatus,
    WorkOrder,
    utc_now,
)
from c2m.settings import Settings, SettingsError, load_settings, parse_smtp_url
from mes_bridge.delivery import RetryPolicy
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, PayloadFormat
from tests.conftest import free_port
from tests.flow.conftest import SAMPLES, named_configuration

pytestmark = pytest.mark.usefixtures("no_background_worker")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLIC_URL = "https://shop.example.com"
POLICY_CEILING_S = mail.POLICY.base_delay  # the longest first backoff
CUSTOMER = {
    "name": "李雷",
    "email": "lilei@example.com",
    "phone": "+86 138 0000 0000",
    "address": "广东省佛山市顺德区大良街道 88 号",
}


# --- a real SMTP server --------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server on loopback received; `refuse` makes it turn recipients away."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: str = ""
    controller: Controller | None = None

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def inbox() -> Iterator[Inbox]:
    server = Inbox(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def smtp_url(inbox: Inbox) -> str:
    return f"smtp://127.0.0.1:{inbox.port}"


@pytest.fixture()
def app(settings: Settings, clean_database: str, smtp_url: str, tmp_path: Path) -> Flask:
    """The app of the shop fixture, sending to the test's SMTP server (none when `smtp_url` is
    parametrised empty), its links on a public address, its instance folder the test's own."""
    return create_app(
        settings.with_changes(smtp_url=smtp_url, public_url=PUBLIC_URL, instance_dir=tmp_path)
    )


# --- helpers -------------------------------------------------------------------------------


class Broker:
    """Stands in for the broker: what the sweeper hands to the tasks it sends."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def delay(self, *args: object) -> None:
        self.sent.append(args[0])


@pytest.fixture()
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    mails = Broker()
    monkeypatch.setattr(tasks, "send_mail", mails)
    monkeypatch.setattr(tasks, "plan", Broker())
    monkeypatch.setattr(tasks, "deliver", Broker())
    return mails


SEND_MAIL = tasks.send_mail  # the real task, before the broker fixture stands in for it


def sweep_and_send(app: Flask, broker: Broker) -> list[str]:
    """One pass of the beat's sweep, then the mail tasks it sent, run here as a worker would;
    returns each task's outcome."""
    broker.sent.clear()
    with app.app_context():
        tasks.sweep.run()
        return [SEND_MAIL.run(message_id) for message_id in broker.sent]


def place(client: FlaskClient, key: str, language: str) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": {**CUSTOMER, "language": language},
        },
        headers={"Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.get_json()
    placed = dict(answer.get_json())
    placed["token"] = placed["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    return placed


def rows(app: Flask) -> list[MailMessage]:
    with app.extensions["c2m.sessions"]() as session:
        found = session.scalars(select(MailMessage).order_by(MailMessage.created_at)).all()
        for row in found:
            session.expunge(row)
        return list(found)


def make_due(app: Flask) -> None:
    """The retry's time has come (instead of waiting out the backoff)."""
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        session.execute(update(MailMessage).values(next_attempt_at=utc_now()))


def carry_out_queued(app: Flask) -> None:
    sessions = app.extensions["c2m.sessions"]
    with sessions() as session:
        queued = session.scalars(
            select(PlanRun.id).filter_by(status=PlanRunStatus.QUEUED).order_by(PlanRun.id)
        ).all()
    for run_id in queued:
        planning.carry_out(sessions, SAMPLES, run_id)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


# --- the message, in both languages --------------------------------------------------------

FACTS = mail.MailFacts(
    message_id="0123456789abcdef0123456789abcdef",
    kind=MailKind.SCHEDULED,
    language="en",
    recipient="lilei@example.com",
    customer_name="Li Lei",
    order_number="C2M-000042",
    products=("Modular sofa",),
    promised_at=datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
    tracking_url=f"{PUBLIC_URL}/track/tok?lang=en",
)


def test_a_scheduled_mail_in_english_names_order_product_local_promise_and_tracking_link() -> None:
    composed = mail.compose(FACTS, SHANGHAI)
    assert composed.subject == "Your order C2M-000042 is scheduled: ready by 2026-12-10 17:00 CST"
    assert composed.text.startswith("Dear Li Lei,\n")
    assert "C2M-000042 (Modular sofa)" in composed.text
    assert "ready by 2026-12-10 17:00 CST" in composed.text  # 09:00 UTC is 17:00 in Shanghai
    assert f"{PUBLIC_URL}/track/tok?lang=en" in composed.text
    assert f'<a href="{PUBLIC_URL}/track/tok?lang=en">' in composed.html


def test_the_same_mail_in_chinese_is_written_in_chinese_throughout() -> None:
    facts = replace(FACTS, language="zh", customer_name="李雷", products=("模块化沙发",))
    composed = mail.compose(facts, SHANGHAI)
    assert composed.subject == "您的订单 C2M-000042 已排期：预计 2026-12-10 17:00 CST 完成"
    assert composed.text.startswith("李雷，您好：\n")
    assert "C2M-000042（模块化沙发）已排入生产计划" in composed.text
    assert "您的专属跟踪链接" in composed.text and "c2m 团队" in composed.text
    assert "Dear" not in composed.text and "Your order" not in composed.subject
    assert '<html lang="zh">' in composed.html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_kind_of_mail_has_its_own_subject_naming_the_order(lang: str) -> None:
    subjects = {
        mail.compose(replace(FACTS, kind=kind, language=lang), SHANGHAI).subject
        for kind in MailKind
    }
    assert len(subjects) == len(MailKind)
    assert all("C2M-000042" in subject for subject in subjects)


def test_a_placed_mail_gives_the_promise_and_a_cancelled_one_gives_none() -> None:
    placed = mail.compose(replace(FACTS, kind=MailKind.PLACED), SHANGHAI)
    assert "thank you for your order C2M-000042" in placed.text
    assert "We expect it ready by 2026-12-10 17:00 CST" in placed.text
    cancelled = mail.compose(replace(FACTS, kind=MailKind.CANCELLED, promised_at=None), SHANGHAI)
    assert cancelled.subject == "Your order C2M-000042 is cancelled"
    assert "ready by" not in cancelled.text


def test_a_scheduled_mail_without_a_promise_says_scheduled_without_a_date() -> None:
    composed = mail.compose(replace(FACTS, promised_at=None), SHANGHAI)
    assert composed.subject == "Your order C2M-000042 is scheduled"
    assert "ready by" not in composed.text


def test_the_html_part_escapes_what_the_customer_typed() -> None:
    composed = mail.compose(replace(FACTS, customer_name="<b>Li</b> & Co"), SHANGHAI)
    assert "&lt;b&gt;Li&lt;/b&gt; &amp; Co" in composed.html
    assert "<b>Li</b>" not in composed.html


def test_the_message_is_plain_text_with_an_html_alternative_and_the_rows_message_id() -> None:
    facts = replace(FACTS, language="zh", customer_name="李雷")
    composed = mail.compose(facts, SHANGHAI)
    message = mail.as_email(facts, composed, "Shop <orders@shop.example.com>", utc_now())
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] == f"<{FACTS.message_id}@shop.example.com>"
    assert message["Content-Language"] == "zh-CN"
    assert message["To"].addresses[0].addr_spec == "lilei@example.com"
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == composed.subject  # Chinese survives the MIME encoding
    assert "已排入生产计划" in text_of(parsed) and "已排入生产计划" in html_of(parsed)


def test_the_mail_language_follows_the_orders_language_tag_and_falls_back_to_english() -> None:
    assert [mail.mail_language(tag) for tag in ("zh", "zh-CN", "EN", "fr", "")] == [
        "zh",
        "zh",
        "en",
        "en",
        "en",
    ]


def test_a_failed_send_is_retried_with_backoff_then_dead_lettered() -> None:
    policy, rng = RetryPolicy(max_attempts=3, base_delay=30.0, max_delay=1800.0), random.Random(1)
    down = mail.SendFailed("ConnectionRefusedError: [Errno 111] Connection refused")
    first = mail.decide(down, 1, policy, rng)
    assert first.status is MailStatus.PENDING and 0 <= first.delay_s <= 30
    assert mail.decide(down, 2, policy, rng).delay_s <= 60
    assert mail.decide(down, 3, policy, rng).status is MailStatus.DEAD
    refused = mail.SendFailed("recipient refused: 550", permanent=True)
    assert mail.decide(refused, 1, policy, rng).status is MailStatus.DEAD
    assert mail.decide(None, 1, policy, rng).status is MailStatus.SENT


def test_the_smtp_url_gives_server_login_and_starttls_and_errors_hide_the_password() -> None:
    server = parse_smtp_url("smtp://shop%40example.com:p%40ss@mail.example.com:587?starttls=1")
    assert (server.host, server.port, server.user, server.password, server.starttls) == (
        "mail.example.com",
        587,
        "shop@example.com",
        "p@ss",
        True,
    )
    assert parse_smtp_url("smtps://mail.example.com").port == 465
    assert parse_smtp_url("smtp://mail.example.com").port == 25
    with pytest.raises(SettingsError, match="C2M_SMTP_URL") as refused:
        parse_smtp_url("http://user:secret@mail.example.com")
    assert "secret" not in str(refused.value)


def test_mail_settings_are_read_and_checked_at_start(tmp_path: Path) -> None:
    env = {"C2M_INSTANCE_DIR": str(tmp_path), "C2M_PORT": "5123"}
    default = load_settings(env)
    assert (default.smtp_url, default.public_base_url) == ("", "http://127.0.0.1:5123")
    given = load_settings(
        {
            **env,
            "C2M_SMTP_URL": "smtp://mail.example.com:2525",
            "C2M_MAIL_FROM": "Shop <orders@example.com>",
            "C2M_PUBLIC_URL": "https://shop.example.com/",
        }
    )
    assert given.mail_from == "Shop <orders@example.com>"
    assert given.public_base_url == "https://shop.example.com"
    for name, value in (("C2M_SMTP_URL", "mail.example.com"), ("C2M_MAIL_FROM", "nobody")):
        with pytest.raises(SettingsError, match=name):
            load_settings({**env, name: value})


def test_a_starting_worker_says_in_one_info_line_where_order_mail_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("C2M_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("C2M_SMTP_URL", raising=False)
    with caplog.at_level(logging.INFO, logger="c2m.tasks"):
        tasks.say_where_mail_goes()
        monkeypatch.setenv("C2M_SMTP_URL", "smtp://shop:secret@mail.example.com:587?starttls=1")
        tasks.say_where_mail_goes()
        plan_worker = SimpleNamespace(
            app=SimpleNamespace(
                amqp=SimpleNamespace(queues=SimpleNamespace(consume_from={"plan": 0}))
            )
        )
        tasks.say_where_mail_goes(plan_worker)  # sends no mail: says nothing about it
    lines = [r.getMessage() for r in caplog.records if r.name == "c2m.tasks"]
    assert lines == [
        "no SMTP server configured (C2M_SMTP_URL): order e-mails are written as .eml files "
        f"to {tmp_path / 'mail'}",
        "order e-mails go to the SMTP server at mail.example.com:587 with STARTTLS",
    ]


# --- over HTTP, to a real SMTP server ------------------------------------------------------


def test_an_order_placed_over_http_mails_the_customer_once_in_their_language(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    placed = place(client, "mail-placed-zh-1", "zh")
    (row,) = rows(shop)
    assert (row.kind, row.status, row.language) == (MailKind.PLACED, MailStatus.PENDING, "zh")

    assert sweep_and_send(shop, broker) == ["sent"]
    ((recipients, message),) = inbox.received
    assert recipients == ["lilei@example.com"]
    assert message["Subject"] == f"您的订单 {placed['order']} 已提交"
    assert message["Content-Language"] == "zh-CN"
    link = f"{PUBLIC_URL}/track/{placed['token']}?lang=zh"
    assert link in text_of(message) and f'href="{link}"' in html_of(message)
    assert "感谢您的订购" in text_of(message) and "模块化沙发" in text_of(message)
    page = client.get(link.removeprefix(PUBLIC_URL))  # the link opens the tracking page
    assert page.status_code == 200 and placed["order"] in page.get_data(as_text=True)
    (row,) = rows(shop)
    assert (row.status, row.attempts) == (MailStatus.SENT, 1)

    # A second delivery attempt (a copy of the task, the next sweep) sends nothing again.
    with shop.app_context():
        assert SEND_MAIL.run(row.id) == "skipped"
    assert sweep_and_send(shop, broker) == []
    assert len(inbox.received) == 1


def test_a_retried_order_request_writes_no_second_mail(
    shop: Flask, client: FlaskClient, broker: Broker
) -> None:
    place(client, "mail-retried-01", "en")
    again = client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": {**CUSTOMER, "language": "en"},
        },
        headers={"Idempotency-Key": "mail-retried-01"},
    )
    assert again.status_code == 200
    assert [row.kind for row in rows(shop)] == [MailKind.PLACED]


def test_with_the_smtp_server_down_the_mail_stays_due_and_goes_out_once_it_is_back(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    placed = place(client, "mail-smtp-down-1", "en")
    inbox.stop()
    before = utc_now()
    assert sweep_and_send(shop, broker) == ["pending"]
    (row,) = rows(shop)
    assert (row.status, row.attempts) == (MailStatus.PENDING, 1)
    assert "Connection refused" in row.last_error
    # Due again after a backoff of at most the first ceiling (full jitter), not lost.
    assert before <= row.next_attempt_at <= utc_now() + timedelta(seconds=POLICY_CEILING_S)
    make_due(shop)
    assert sweep_and_send(shop, broker) == ["pending"]  # still down: retried, still kept

    inbox.start()
    make_due(shop)
    assert sweep_and_send(shop, broker) == ["sent"]
    ((_, message),) = inbox.received
    assert message["Subject"] == f"Your order {placed['order']} is placed"
    (row,) = rows(shop)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, "")


def test_after_its_last_attempt_a_mail_is_dead_lettered_with_the_reason(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    place(client, "mail-dead-0001", "en")
    inbox.stop()
    settings = shop.extensions["c2m.settings"]
    config = replace(mail.config_from(settings), policy=RetryPolicy(max_attempts=2))
    sessions = shop.extensions["c2m.sessions"]
    (row,) = rows(shop)
    assert mail.deliver(sessions, config, row.id) == "pending"
    make_due(shop)
    assert mail.deliver(sessions, config, row.id) == "dead"
    (row,) = rows(shop)
    assert row.status is MailStatus.DEAD and "gave up after 2 attempts" in row.last_error
    make_due(shop)
    assert sweep_and_send(shop, broker) == []  # a dead letter is not sent again


def claimed_by_a_lost_worker(app: Flask, attempts: int) -> None:
    """As a worker killed mid-send leaves a row: claimed, never recorded, its claim expired."""
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        session.execute(
            update(MailMessage)
            .where(MailMessage.status == MailStatus.PENDING)
            .values(
                status=MailStatus.IN_FLIGHT,
                attempts=attempts,
                enqueued_at=None,
                next_attempt_at=utc_now() - timedelta(seconds=1),
            )
        )


def test_a_mail_whose_worker_died_mid_send_is_sent_again_and_given_up_after_the_last_attempt(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    place(client, "mail-lost-00001", "en")
    claimed_by_a_lost_worker(shop, attempts=1)
    assert sweep_and_send(shop, broker) == ["sent"]
    assert len(inbox.received) == 1

    place(client, "mail-lost-00002", "en")
    claimed_by_a_lost_worker(shop, attempts=mail.POLICY.max_attempts)
    assert sweep_and_send(shop, broker) == ["skipped"]
    statuses = [(row.status, row.last_error) for row in rows(shop)]
    assert statuses[1] == (
        MailStatus.DEAD,
        f"its worker was lost during each of {mail.POLICY.max_attempts} attempts",
    )
    assert len(inbox.received) == 1


def test_a_recipient_the_server_refuses_for_good_is_dead_lettered_at_once(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    place(client, "mail-refused-01", "en")
    inbox.refuse = "550 5.1.1 no such mailbox"
    assert sweep_and_send(shop, broker) == ["dead"]
    (row,) = rows(shop)
    assert row.attempts == 1 and "550" in row.last_error and "no such mailbox" in row.last_error
    assert inbox.received == []


def test_scheduling_completing_and_cancelling_each_mail_once_with_the_promise_in_local_time(
    shop: Flask, client: FlaskClient, inbox: Inbox, broker: Broker
) -> None:
    made = place(client, "mail-made-00001", "en")
    cancelled = place(client, "mail-cancel-0001", "zh")
    carry_out_queued(shop)
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        order = session.scalars(select(Order).filter_by(number=made["order"])).one()
        promised = order.promised_at
    assert promised is not None

    url = f"/api/v1/track/{cancelled['token']}/cancel"
    assert [client.post(url).status_code for _ in range(2)] == [200, 200]  # twice: one mail
    with unit_of_work(sessions) as session:
        run = session.scalars(select(PlanRun).filter_by(is_current=True)).one()
        work_orders = release.release(session, run.id, PayloadFormat.JSON)
    with unit_of_work(sessions) as session:
        number = session.get_one(WorkOrder, work_orders[0]).number
    done = Event("mail-done-1", number, 1, EventKind.COMPLETED, datetime.now(UTC), Decimal(1))
    for _ in range(2):  # the MES reports it twice: one mail
        with shop.app_context(), unit_of_work(sessions) as session:  # units are keyed by the app
            mes_intake.take_in(session, [done])

    kinds = sorted((row.kind.value, row.language) for row in rows(shop))
    assert kinds == [
        ("cancelled", "zh"),
        ("completed", "en"),
        ("placed", "en"),
        ("placed", "zh"),
        ("scheduled", "en"),
        ("scheduled", "zh"),
    ]
    assert sorted(sweep_and_send(shop, broker)) == ["sent"] * 6
    subjects = {str(message["Subject"]) for _, message in inbox.received}
    local = promised.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M %Z")
    assert f"Your order {made['order']} is scheduled: ready by {local}" in subjects
    assert f"Your order {made['order']} is made and will be shipped" in subjects
    assert f"您的订单 {cancelled['order']} 已取消" in subjects
    assert sweep_and_send(shop, broker) == [] and len(inbox.received) == 6


# --- no SMTP server: .eml files ------------------------------------------------------------


@pytest.mark.parametrize("smtp_url", [""])
def test_without_an_smtp_server_each_mail_is_written_as_an_eml_file_in_the_instance_folder(
    shop: Flask, client: FlaskClient, broker: Broker, tmp_path: Path
) -> None:
    placed = place(client, "mail-eml-000001", "zh")
    assert sweep_and_send(shop, broker) == ["sent"]
    (written,) = (tmp_path / "mail").iterdir()
    assert written.name == f"{placed['order']}-placed.eml"
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == f"您的订单 {placed['order']} 已提交"
    assert message["To"].addresses[0].addr_spec == "lilei@example.com"
    assert f"{PUBLIC_URL}/track/{placed['token']}?lang=zh" in text_of(message)
    assert sweep_and_send(shop, broker) == []
    assert [path.name for path in (tmp_path / "mail").iterdir()] == [written.name]
