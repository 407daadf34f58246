"""Use cases: admins record planned machine downtime; the next plan run works around it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import planning
from c2m.errors import InvalidInput, NotFound
from c2m.models import MachineDowntime
from routing.factory import Factory


def local_time(text: str, zone: ZoneInfo, field: str) -> datetime:
    """A form's `datetime-local` value (factory time) or an ISO time with its own zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a date and time", field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def add(
    session: Session, factory: Factory, machine: str, start: datetime, end: datetime, reason: str
) -> MachineDowntime:
    """Record the window and queue a re-plan, so the schedule in force follows."""
    if machine not in factory.machines:
        raise InvalidInput(f"machine {machine!r} is not in {factory.file}", "machine")
    if end <= start:
        raise InvalidInput("the downtime must end after it starts", "until")
    row = MachineDowntime(machine=machine, start=start, end=end, reason=reason.strip()[:200])
    session.add(row)
    planning.request_replan_once(session)
    return row


def remove(session: Session, downtime_id: int) -> None:
    row = session.get(MachineDowntime, downtime_id)
    if row is None:
        raise NotFound(f"no downtime {downtime_id}")
    session.delete(row)
    planning.request_replan_once(session)


def listed(session: Session) -> list[MachineDowntime]:
    return list(session.scalars(select(MachineDowntime).order_by(MachineDowntime.start)))
