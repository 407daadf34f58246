"""What happened to an order on the shop floor, told to its customer: one sentence per MES
report ("Cut fronts started on CNC-02"), in the customer's language and the factory's time,
instead of the raw event kinds ("progress") and operation ids the MES sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# Event and operation kinds (mes_bridge's event schema) as what happened, (en, zh).
HAPPENED: dict[str, tuple[str, str]] = {
    "accepted": ("accepted by the workshop", "车间已接收"),
    "started": ("started", "已开始"),
    "progress": ("in progress", "进行中"),
    "interrupted": ("interrupted", "已中断"),
    "resumed": ("resumed", "已恢复"),
    "completed": ("finished", "已完成"),
    "aborted": ("stopped", "已中止"),
}
WHOLE_ORDER = ("Production", "生产")
ON_MACHINE = (" on {machine}", "（{machine}）")
MADE = ("{good} made", "已生产 {good} 件")


@dataclass(frozen=True)
class ProgressLine:
    at: datetime  # aware, in the factory's zone
    text: str

    @property
    def shown_at(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M %Z")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def _happened(kind: str, lang: str) -> str:
    return _pick(HAPPENED.get(kind, (kind, kind)), lang)


def operation_sentence(op: Mapping[str, Any], names: Mapping[str, str], lang: str) -> str:
    name = names.get(str(op.get("operation")), str(op.get("operation")))
    machine = _pick(ON_MACHINE, lang).format(machine=op["machine"]) if op.get("machine") else ""
    joiner = "" if lang == "zh" else " "
    return f"{name}{joiner}{_happened(str(op.get('state')), lang)}{machine}"


def event_sentence(body: Mapping[str, Any], names: Mapping[str, str], lang: str) -> str:
    """The event's operations if it names any, else the work order as a whole."""
    operations = body.get("operations") or []
    if operations:
        return "; ".join(operation_sentence(op, names, lang) for op in operations)
    joiner = "" if lang == "zh" else " "
    text = f"{_pick(WHOLE_ORDER, lang)}{joiner}{_happened(str(body.get('kind')), lang)}"
    if body.get("good") not in (None, "0"):
        text += ("，" if lang == "zh" else ", ") + _pick(MADE, lang).format(good=body["good"])
    return text


def progress_lines(events: Iterable[Any], names: Mapping[str, str], lang: str,
                   zone: ZoneInfo) -> list[ProgressLine]:
    """One line per event (objects with `occurred_at` and `body`), oldest first."""
    return [
        ProgressLine(event.occurred_at.astimezone(zone), event_sentence(event.body, names, lang))
        for event in events
    ]


def operation_names(routings: Iterable[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Operation id -> its name in `lang`, from order lines' routing snapshots."""
    names: dict[str, str] = {}
    for routing in routings:
        for op in routing.get("routing", {}).get("operations", []):
            name = op.get("name") or {}
            names[op["id"]] = str(name.get(lang) or name.get("en") or op["id"])
    return names
