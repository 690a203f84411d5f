"""Quiet hours: when a low-priority page waits for the morning (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A person's quiet hours as stored: "HH:MM" local times in `time_zone`; no start or
    end means none. Pages whose priority number is `min_priority` or higher (P4, P5 by
    default: the least urgent) wait."""

    time_zone: str
    start: str | None
    end: str | None
    min_priority: int = 4


def parse_hhmm(value: str) -> time:
    """ "07:30" -> 07:30; anything else is a ValueError with a sentence."""
    hours, sep, minutes = value.partition(":")
    if (
        sep != ":"
        or len(hours) != 2
        or len(minutes) != 2
        or not (hours + minutes).isascii()
        or not (hours + minutes).isdigit()
    ):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 22:00)")
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 22:00)")
    return time(hour, minute)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on the local date `day`, as an aware time; a wall time skipped by a DST
    change is taken as the moment the clock jumps past it."""
    wall = datetime.combine(day, at, tzinfo=zone)
    naive = wall.replace(tzinfo=None)
    late = wall.astimezone(UTC)  # a skipped wall time read with the offset before the jump
    if late.astimezone(zone).replace(tzinfo=None) == naive:
        return wall
    moment = wall.replace(fold=1).astimezone(UTC)  # ... and with the offset after it
    while moment.astimezone(zone).replace(tzinfo=None) < naive and moment < late:
        moment += timedelta(minutes=1)
    return moment


def defer_until(quiet: QuietHours, priority: int, at: datetime) -> datetime | None:
    """The end of the quiet hours `at` falls in, in UTC, when a page of `priority` must
    wait for it; None when it may go at `at`. Windows may cross midnight (22:00-07:00)."""
    if at.tzinfo is None:
        raise ValueError("defer_until needs an aware time")
    if quiet.start is None or quiet.end is None or priority < quiet.min_priority:
        return None
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    if start == end:
        return None
    zone = ZoneInfo(quiet.time_zone)
    local = at.astimezone(zone)
    now = local.timetz().replace(tzinfo=None)
    if start < end:
        if start <= now < end:
            return _local(local.date(), end, zone).astimezone(UTC)
        return None
    if now >= start:  # the evening part: the window ends tomorrow
        return _local(local.date() + timedelta(days=1), end, zone).astimezone(UTC)
    if now < end:  # the morning part
        return _local(local.date(), end, zone).astimezone(UTC)
    return None
