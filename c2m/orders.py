"""Use case: place an order. One transaction stores the order, its frozen configuration,
price, BOM and routing snapshots; planning follows in a worker (Celery carries only ids)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from c2m import mail, planning, products, promise
from c2m.clock import business_now
from c2m.db import unit_of_work
from c2m.errors import InvalidInput
from c2m.models import MailKind, Order, OrderLine
from configurator.api import coerce_choices
from configurator.pricing import PriceBreakdown, price_breakdown
from mes_bridge.lifecycle import WorkOrderState
from routing.engineer import as_dict, engineer
from routing.export import planner_operations

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    address: str
    language: str = "en"

    def validated(self) -> Customer:
        """Every wrong field at once, so a form can mark them all."""
        problems = {}
        if not self.name.strip():
            problems["name"] = "enter your name"
        if not EMAIL.match(self.email.strip()):
            problems["email"] = "enter an e-mail address like name@example.com"
        if not PHONE.match(self.phone.strip()):
            problems["phone"] = "enter a phone number (digits, spaces, + - ( ))"
        if len(self.address.strip()) < 8:
            problems["address"] = "enter the full delivery address"
        if problems:
            raise CustomerInvalid(problems)
        return self


class IdempotencyKeyReused(InvalidInput):
    """The key already placed an order for another request: answering with that order would
    hand its tracking link (and the customer's details behind it) to whoever sent this one."""

    def __init__(self) -> None:
        super().__init__(
            "this idempotency key was already used for a different order; "
            "use a new key for a new order",
            "idempotency_key",
        )


class CustomerInvalid(InvalidInput):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()), ",".join(problems))
        self.problems = problems

    def details(self) -> dict[str, object]:
        return {"fields": self.problems}


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    number: str
    tracking_token: str
    created: bool  # False when the idempotency key had already placed this order
    plan_run_id: int | None = None  # the queued run that will take the order in


def place(
    sessions: sessionmaker[Session],
    *,
    model: str,
    choices: Mapping[str, object],
    customer: Customer,
    idempotency_key: str,
) -> PlacedOrder:
    """The one way an order is placed (web checkout and API alike): stored with its promise,
    and a plan run queued for it. Clients racing with one idempotency key all get the order
    the winner placed; the losers' inserts fail on the unique key and are answered from it."""
    fingerprint = request_fingerprint(model, choices, customer)
    try:
        with unit_of_work(sessions) as session:
            placed = place_order(
                session,
                model=model,
                choices=choices,
                customer=customer,
                idempotency_key=idempotency_key,
            )
            if not placed.created:
                return placed
            run = planning.request_insert(session)
            return replace(placed, plan_run_id=run.id)
    except IntegrityError:
        with unit_of_work(sessions) as session:
            existing = session.scalar(select(Order).filter_by(idempotency_key=idempotency_key))
            if existing is None:
                raise
            return _already_placed(existing, fingerprint, customer)


def request_fingerprint(model: str, choices: Mapping[str, object], customer: Customer) -> str:
    """SHA-256 of the request as canonical JSON (sorted keys, customer fields as stored), so
    a retry of the same request matches whatever order its keys and spaces came in."""
    canonical = {
        "model": model,
        "choices": {str(name): value for name, value in choices.items()},
        "customer": {
            "name": customer.name.strip(),
            "email": customer.email.strip(),
            "phone": customer.phone.strip(),
            "address": customer.address.strip(),
            "language": customer.language,
        },
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _already_placed(order: Order, fingerprint: str, customer: Customer) -> PlacedOrder:
    """The order a retried request placed; never the order of a different request."""
    if order.request_hash is not None:
        same = hmac.compare_digest(order.request_hash, fingerprint)
    else:  # placed before request hashes were kept: at least the customer must be the same
        same = (order.email, order.customer_name) == (
            customer.email.strip(),
            customer.name.strip(),
        )
    if not same:
        raise IdempotencyKeyReused()
    return PlacedOrder(order.id, order.number, order.tracking_token, created=False)


def place_order(
    session: Session,
    *,
    model: str,
    choices: Mapping[str, object],
    customer: Customer,
    idempotency_key: str,
) -> PlacedOrder:
    """Place one configured product. The same idempotency key always gives the same order."""
    if not 8 <= len(idempotency_key) <= 64:
        raise InvalidInput("the idempotency key must have 8 to 64 characters", "idempotency_key")
    fingerprint = request_fingerprint(model, choices, customer)
    existing = session.scalar(select(Order).filter_by(idempotency_key=idempotency_key))
    if existing is not None:
        return _already_placed(existing, fingerprint, customer)
    customer = customer.validated()
    record = products.record_for(session, model)
    values = _complete_valid(record, choices)
    price = price_breakdown(products.configurator_for(record).model, values)
    engineered = engineer(products.engineering_for(record), values)
    # Read before the first write: the promise reads the schedule, the inserts lock.
    promised = promise.promise_for(session, model, values)
    order = _new_order(idempotency_key, customer, price)
    order.request_hash = fingerprint
    order.promised_at = promised.ready_at
    session.add(order)
    session.flush()
    order.number = f"C2M-{order.id:06d}"
    bom, routing = _snapshots(engineered)
    session.add(
        OrderLine(
            order_id=order.id,
            product_model_id=record.id,
            model=record.model,
            model_version=record.version,
            quantity=1,
            choices=dict(values),
            price=price_dict(price),
            bom=bom,
            routing=routing,
        )
    )
    session.flush()
    mail.enqueue(session, order, MailKind.PLACED)  # committed with the order, or not at all
    return PlacedOrder(order.id, order.number, order.tracking_token, created=True)


def _complete_valid(record: Any, choices: Mapping[str, object]) -> dict[str, object]:
    """Only a complete product that satisfies every rule can be ordered; say what is missing."""
    configurator = products.configurator_for(record)
    state = configurator.configure(
        coerce_choices(configurator, choices), explain=False, price=False
    )
    if not state.consistent:
        raise InvalidInput("the chosen options contradict each other", "choices")
    missing = [f.name for f in state.features if f.chosen is None]
    if missing:
        raise InvalidInput(f"choose a value for: {', '.join(missing)}", missing[0])
    return dict(state.choices)


def _new_order(key: str, customer: Customer, price: PriceBreakdown) -> Order:
    return Order(
        number=f"pending-{secrets.token_hex(8)}",
        idempotency_key=key,
        status=WorkOrderState.ENGINEERED,
        customer_name=customer.name.strip(),
        email=customer.email.strip(),
        phone=customer.phone.strip(),
        address=customer.address.strip(),
        language=customer.language,
        currency=price.currency,
        total_price=str(price.total),
        tracking_token=secrets.token_urlsafe(24),
        created_at=business_now(),  # the release date the planner counts from
    )


def _snapshots(engineered: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """BOM and routing as JSON data, Decimals as exact strings (what to_canonical_json writes,
    without a serialise-and-parse round trip per order)."""
    full = _plain(as_dict(engineered))
    routing = {
        "routing": full.pop("routing"),
        "planner_operations": planner_operations(engineered.routing),
    }
    return full, routing


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def price_dict(price: PriceBreakdown) -> dict[str, Any]:
    return {
        "currency": price.currency,
        "total": str(price.total),
        "lines": [
            {"id": line.id, "label": line.label.as_dict(), "amount": str(line.amount)}
            for line in price.lines
        ],
    }
