"""The sample factory: work centres, machines, shift calendars and setup families."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bom.source import Node, as_decimal, check_keys, items_of, optional, read_yaml, require

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHIFT = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Calendar:
    id: str
    weekdays: frozenset[int]  # 0 = Monday
    shifts: tuple[tuple[int, int], ...]  # minutes after local midnight, end may pass 24:00
    holidays: frozenset[date]

    def minutes_per_day(self) -> int:
        return sum(end - start for start, end in self.shifts)

    def working_intervals(
        self, start: datetime, end: datetime, zone: ZoneInfo
    ) -> list[tuple[datetime, datetime]]:
        """The working time between two aware datetimes, as UTC intervals in order."""
        utc = ZoneInfo("UTC")
        day = start.astimezone(zone).date() - timedelta(days=1)  # night shifts start the day before
        result: list[tuple[datetime, datetime]] = []
        while datetime.combine(day, time(), zone) < end:
            if day.weekday() in self.weekdays and day not in self.holidays:
                midnight = datetime.combine(day, time(), zone)
                for first, last in self.shifts:
                    low = max(start, midnight + timedelta(minutes=first))
                    high = min(end, midnight + timedelta(minutes=last))
                    if low < high:
                        result.append((low.astimezone(utc), high.astimezone(utc)))
            day += timedelta(days=1)
        return result


@dataclass(frozen=True)
class SetupFamily:
    """Sequence-dependent changeover: minutes to switch a machine from one value to another."""

    id: str
    default_minutes: Decimal
    matrix: dict[tuple[str, str], Decimal]

    def changeover(self, before: str | None, after: str) -> Decimal:
        if before == after:
            return Decimal(0)
        if before is None:
            return self.default_minutes
        return self.matrix.get((before, after), self.default_minutes)


@dataclass(frozen=True)
class Machine:
    id: str
    name: str
    work_centre: str
    capabilities: frozenset[str]
    speed: Decimal  # run time is divided by it; setup is not


@dataclass(frozen=True)
class WorkCentre:
    id: str
    name: str
    calendar: str
    cost_per_hour: Decimal
    machines: tuple[str, ...]


@dataclass(frozen=True)
class Factory:
    file: str
    name: str
    timezone: str
    calendars: dict[str, Calendar]
    setup_families: dict[str, SetupFamily]
    work_centres: dict[str, WorkCentre]
    machines: dict[str, Machine]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def capable(self, capability: str) -> list[Machine]:
        return [m for m in self.machines.values() if capability in m.capabilities]

    def calendar_of(self, machine_id: str) -> Calendar:
        return self.calendars[self.work_centres[self.machines[machine_id].work_centre].calendar]

    def capabilities(self) -> set[str]:
        return {c for m in self.machines.values() for c in m.capabilities}


def load_factory(path: Path, display: str | None = None) -> Factory:
    """Load `factory.yaml`; errors name file, line and the offending field."""
    root = read_yaml(path, display)
    check_keys(root, {"factory", "timezone", "calendars", "setup_families", "work_centres"},
               "factory.yaml")
    zone = require(root, "timezone", str)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise root.error("timezone", f"unknown time zone '{zone}'") from None
    calendars = _by_id(root, "calendars", _calendar)
    families = _by_id(root, "setup_families", _family)
    centres: dict[str, WorkCentre] = {}
    machines: dict[str, Machine] = {}
    for node in items_of(root, "work_centres"):
        centre = _work_centre(node, calendars, machines)
        if centre.id in centres:
            raise node.error("id", f"work centre '{centre.id}' is defined twice")
        centres[centre.id] = centre
    if not machines:
        raise root.error("work_centres", "the factory has no machines")
    return Factory(root.file, require(root, "factory", str), zone, calendars, families,
                   centres, machines)


def _by_id(root: Node, key: str, build):  # type: ignore[no-untyped-def]
    result = {}
    for node in items_of(root, key):
        entry = build(node)
        if entry.id in result:
            raise node.error("id", f"'{entry.id}' is defined twice in {key}")
        result[entry.id] = entry
    return result


def _ident(node: Node, key: str = "id") -> str:
    value = str(require(node, key, str))
    if not IDENT.match(value):
        raise node.error(key, f"'{value}' is not a valid identifier")
    return value


def _calendar(node: Node) -> Calendar:
    check_keys(node, {"id", "days", "shifts", "holidays"}, "a calendar")
    days = require(node, "days", list)
    unknown = [d for d in days if d not in DAYS]
    if unknown:
        raise node.error("days", f"unknown day '{unknown[0]}' (use {', '.join(DAYS)})")
    shifts = tuple(_shift(node, text) for text in require(node, "shifts", list))
    holidays: set[date] = set()
    for text in optional(node, "holidays", list, []):
        try:
            holidays.add(date.fromisoformat(str(text)))
        except ValueError:
            raise node.error("holidays", f"'{text}' is not a date (YYYY-MM-DD)") from None
    return Calendar(_ident(node), frozenset(DAYS.index(d) for d in days), shifts,
                    frozenset(holidays))


def _shift(node: Node, text: object) -> tuple[int, int]:
    match = SHIFT.match(str(text))
    if not match:
        raise node.error("shifts", f"shift '{text}' must look like 06:00-14:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:  # a night shift ends the next morning
        end += 24 * 60
    return start, end


def _family(node: Node) -> SetupFamily:
    check_keys(node, {"id", "default", "changeover"}, "a setup family")
    matrix: dict[tuple[str, str], Decimal] = {}
    for row in optional(node, "changeover", list, []):
        if not (isinstance(row, list) and len(row) == 3):
            raise node.error("changeover", "each changeover row is [from, to, minutes]")
        minutes = Decimal(str(row[2]))
        if minutes < 0:
            raise node.error("changeover", f"negative changeover {row[0]} -> {row[1]}")
        matrix[(str(row[0]), str(row[1]))] = minutes
    return SetupFamily(_ident(node), as_decimal(node, "default"), matrix)


def _work_centre(
    node: Node, calendars: dict[str, Calendar], machines: dict[str, Machine]
) -> WorkCentre:
    check_keys(node, {"id", "name", "calendar", "cost_per_hour", "machines"}, "a work centre")
    centre_id = _ident(node)
    calendar = require(node, "calendar", str)
    if calendar not in calendars:
        raise node.error("calendar", f"unknown calendar '{calendar}'")
    ids = []
    for entry in items_of(node, "machines"):
        check_keys(entry, {"id", "name", "capabilities", "speed"}, "a machine")
        machine_id = _ident(entry)
        if machine_id in machines:
            raise entry.error("id", f"machine '{machine_id}' is defined twice")
        speed = as_decimal(entry, "speed", Decimal(1))
        if speed <= 0:
            raise entry.error("speed", "speed factor must be positive")
        capabilities = frozenset(str(c) for c in require(entry, "capabilities", list))
        machines[machine_id] = Machine(machine_id, str(entry.get("name", machine_id)), centre_id,
                                       capabilities, speed)
        ids.append(machine_id)
    return WorkCentre(centre_id, str(node.get("name", centre_id)), calendar,
                      as_decimal(node, "cost_per_hour", Decimal(0)), tuple(ids))
