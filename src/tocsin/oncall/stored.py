"""A stored schedule as the pure model of rotation.py, and its gaps as sentences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.oncall.models import Schedule, ScheduleOverride
from tocsin.oncall.rotation import (
    DAY_NAMES,
    Layer,
    Override,
    Restriction,
    Rotation,
    parse_hhmm,
)
from tocsin.oncall.rotation import Schedule as Plan

MAX_WARNINGS = 10


def rotation_of(value: Any) -> Rotation:
    if isinstance(value, dict):
        return int(value["hours"])
    return "weekly" if value == "weekly" else "daily"


def layer_of(doc: dict[str, Any]) -> Layer[int]:
    return Layer(
        name=str(doc["name"]),
        start=datetime.fromisoformat(doc["start"]),
        rotation=rotation_of(doc["rotation"]),
        users=tuple(int(u) for u in doc["users"]),
        handoff=parse_hhmm(doc["handoff"]) if doc.get("handoff") else None,
        restrictions=tuple(
            Restriction(
                days=frozenset(DAY_NAMES.index(d) for d in r["days"]),
                start=parse_hhmm(r["start"]),
                end=parse_hhmm(r["end"]),
            )
            for r in doc.get("restrictions", [])
        ),
    )


def stored_schedule(schedule: Schedule, overrides: Sequence[ScheduleOverride]) -> Plan[int]:
    """The schedule with the overrides given (in the order they were made: a later one
    wins), users as ids."""
    return Plan(
        time_zone=schedule.time_zone,
        layers=tuple(layer_of(doc) for doc in schedule.layers),
        overrides=tuple(Override(o.user_id, o.start_at, o.end_at) for o in overrides),
    )


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def gap_sentence(start: datetime, end: datetime, time_zone: str) -> str:
    """ "Nobody is on call on Sat 7 Mar 2026 from 00:00 to 08:00 (Europe/Berlin)."""
    zone = ZoneInfo(time_zone)
    begin, finish = start.astimezone(zone), end.astimezone(zone)
    if begin.date() == finish.date():
        return (
            f"Nobody is on call on {_day(begin)} from {begin:%H:%M} to {finish:%H:%M} "
            f"({time_zone})."
        )
    return (
        f"Nobody is on call from {_day(begin)} {begin:%H:%M} to {_day(finish)} "
        f"{finish:%H:%M} ({time_zone})."
    )


def gap_warnings(found: Sequence[tuple[datetime, datetime]], time_zone: str) -> list[str]:
    sentences = [gap_sentence(start, end, time_zone) for start, end in found[:MAX_WARNINGS]]
    if len(found) > MAX_WARNINGS:
        sentences.append(f"There are {len(found) - MAX_WARNINGS} more gaps in the next 14 days.")
    return sentences
