"""Formatting for the console's templates: local times, labels, timeline values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from tocsin.core.times import zone


@pass_context
def local(context: Context, value: datetime | None) -> str:
    """A timestamp in the signed-in user's time zone, e.g. 2026-03-02 10:00 CET."""
    if value is None:
        return "—"
    tz = zone(str(context.get("tz", "UTC")))
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


@pass_context
def local_short(context: Context, value: datetime | None) -> str:
    """A timestamp in the user's zone without the zone's name, for dense lists whose
    header names the zone: 2026-03-02 10:00."""
    if value is None:
        return "—"
    tz = zone(str(context.get("tz", "UTC")))
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def label(value: object) -> str:
    """in_progress -> In progress; enums by their value."""
    if value is None:
        return "—"
    text = value.value if isinstance(value, Enum) else str(value)
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


LEVEL_NAMES = {1: "High", 2: "Medium", 3: "Low"}


def level(value: int) -> str:
    return f"{value} · {LEVEL_NAMES.get(value, '?')}"


LEVELS = [(str(n), level(n)) for n in LEVEL_NAMES]


KIND_LABELS = {
    "created": "opened the incident",
    "updated": "updated fields",
    "acknowledge": "acknowledged",
    "assign": "assigned",
    "start": "started work",
    "hold": "put it on hold",
    "resume": "resumed work",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened",
    "cancel": "cancelled",
    "work_note": "added a work note",
    "comment": "commented",
    "linked": "linked an incident",
    "unlinked": "removed a link",
    "paged": "paged the on-call",
    "escalated": "escalated",
    "sla_warning": "warned: SLA at risk",
    "sla_breached": "recorded an SLA breach",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


# Fields whose recorded values are codes (in_progress) rather than names people typed.
CODED_FIELDS = frozenset({"state", "hold_reason", "resolution_code", "type"})


@pass_context
def change_value(context: Context, value: Any, field: str = "") -> str:
    """One side of a before -> after pair in the timeline."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in CODED_FIELDS and isinstance(value, str):
        return label(value)
    if field == "priority" and isinstance(value, int):
        return f"P{value}"
    if field in ("impact", "urgency") and isinstance(value, int):
        return level(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return str(local(context, parsed))
    return str(value)


def pairs(items: Iterable[object], value: str, text: str) -> list[tuple[str, str]]:
    """(value, label) options for a select from a list of objects."""
    return [(str(getattr(i, value)), str(getattr(i, text))) for i in items]


def enum_options(members: Iterable[Enum]) -> list[tuple[str, str]]:
    return [(str(m.value), label(m)) for m in members]


def change_rows(changes: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """field, before, after for each recorded change (tolerates odd shapes from imports)."""
    rows = []
    for name, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((name, pair[0], pair[1]))
        else:
            rows.append((name, None, pair))
    return rows


def priority_class(priority: int) -> str:
    return f"p{priority}" if 1 <= priority <= 5 else "p5"
