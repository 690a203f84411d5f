"""Who is on call, as a pure function of a schedule and a time range.

A schedule is layers painted over each other (a later layer wins wherever it has someone
on call, as in PagerDuty's final schedule), with overrides painted over all of them. All
arithmetic is done in UTC; local wall times (hand-offs, restriction windows) are turned
into UTC instants one by one, so a 09:00 hand-off stays 09:00 on both sides of a DST
change while an {"hours": N} rotation counts elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

U = TypeVar("U")

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OVERRIDE = "override"

Rotation = Literal["daily", "weekly"] | int  # an int is a shift length in hours


@dataclass(frozen=True, slots=True)
class Restriction:
    """A weekly window in the schedule's zone: on each of `days` (0 = Monday) from `start`
    to `end`, which is on the next day when it is not after `start` (00:00-00:00 is the
    whole day)."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Layer(Generic[U]):
    name: str
    start: datetime
    rotation: Rotation
    users: tuple[U, ...]
    handoff: time | None = None
    restrictions: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            raise ValueError("a layer's start needs a time zone")
        if not self.users:
            raise ValueError("a layer needs at least one user")
        if isinstance(self.rotation, int) and self.rotation < 1:
            raise ValueError("an hourly rotation needs at least one hour per shift")


@dataclass(frozen=True, slots=True)
class Override(Generic[U]):
    user: U
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Schedule(Generic[U]):
    time_zone: str
    layers: tuple[Layer[U], ...]
    overrides: tuple[Override[U], ...] = ()

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not in the middle of a range


@dataclass(frozen=True, slots=True)
class Shift(Generic[U]):
    user: U
    start: datetime
    end: datetime
    source: str  # the layer's name, or "override"


def _utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("times given to the schedule functions need a time zone")
    return value.astimezone(UTC)


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time. A time skipped by spring-forward is read with
    the offset before the change (02:30 becomes 03:30 summer time); a repeated one at its
    first occurrence."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# one layer ---------------------------------------------------------------------------------


def _hourly(layer: Layer[U], hours: int, start: datetime, end: datetime) -> Iterator[Shift[U]]:
    period = timedelta(hours=hours)
    origin = _utc(layer.start)
    index = max(0, (start - origin) // period)
    while True:
        begin = origin + index * period
        if begin >= end:
            return
        yield Shift(layer.users[index % len(layer.users)], begin, begin + period, layer.name)
        index += 1


def _calendar(
    layer: Layer[U], step_days: int, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Shift[U]]:
    """Daily or weekly shifts: hand-off number i >= 1 is at `handoff` local time on the
    first hand-off day after the layer's start, plus (i - 1) steps; shift 0 runs from the
    layer's start to hand-off 1."""
    origin = _utc(layer.start)
    local_start = origin.astimezone(zone)
    handoff = layer.handoff or local_start.time()
    first_day = local_start.date()
    if _wall(first_day, handoff, zone) <= origin:
        first_day += timedelta(days=step_days)

    def boundary(i: int) -> datetime:
        if i == 0:
            return origin
        return _wall(first_day + timedelta(days=(i - 1) * step_days), handoff, zone)

    # Jump near the shift holding `start`, then step to it exactly.
    index = max(0, (start.astimezone(zone).date() - first_day).days // step_days)
    while index > 0 and boundary(index) > start:
        index -= 1
    while boundary(index + 1) <= start:
        index += 1
    while True:
        begin = boundary(index)
        if begin >= end:
            return
        yield Shift(layer.users[index % len(layer.users)], begin, boundary(index + 1), layer.name)
        index += 1


def _windows(
    restrictions: Sequence[Restriction], zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The restriction windows meeting [start, end), in UTC, merged where they touch."""
    found: list[tuple[datetime, datetime]] = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for rule in restrictions:
            if day.weekday() not in rule.days:
                continue
            until = day if rule.end > rule.start else day + timedelta(days=1)
            begin, finish = _wall(day, rule.start, zone), _wall(until, rule.end, zone)
            if begin < end and finish > start and begin < finish:
                found.append((max(begin, start), min(finish, end)))
        day += timedelta(days=1)
    found.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in found:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def layer_shifts(layer: Layer[U], time_zone: str, start: datetime, end: datetime) -> list[Shift[U]]:
    """The layer's own shifts within [start, end), cut to its restrictions (if any)."""
    start, end = _utc(start), _utc(end)
    start = max(start, _utc(layer.start))
    if start >= end:
        return []
    zone = ZoneInfo(time_zone)
    if isinstance(layer.rotation, int):
        raw = _hourly(layer, layer.rotation, start, end)
    else:
        raw = _calendar(layer, 1 if layer.rotation == "daily" else 7, zone, start, end)
    clipped = [replace(s, start=max(s.start, start), end=min(s.end, end)) for s in raw]
    if not layer.restrictions:
        return clipped
    windows = _windows(layer.restrictions, zone, start, end)
    out: list[Shift[U]] = []
    w = 0
    for shift in clipped:
        while w < len(windows) and windows[w][1] <= shift.start:
            w += 1
        k = w
        while k < len(windows) and windows[k][0] < shift.end:
            begin, finish = max(shift.start, windows[k][0]), min(shift.end, windows[k][1])
            if begin < finish:
                out.append(replace(shift, start=begin, end=finish))
            k += 1
    return out


# the final schedule ------------------------------------------------------------------------


def _overlay(bottom: list[Shift[U]], top: list[Shift[U]]) -> list[Shift[U]]:
    """`top` painted over `bottom`: both sorted and without overlaps, and so is the result."""
    out: list[Shift[U]] = []
    j = 0
    for piece in bottom:
        while j < len(top) and top[j].end <= piece.start:
            j += 1
        cursor = piece.start
        k = j
        while k < len(top) and top[k].start < piece.end:
            if top[k].start > cursor:
                out.append(replace(piece, start=cursor, end=top[k].start))
            cursor = max(cursor, top[k].end)
            k += 1
        if cursor < piece.end:
            out.append(replace(piece, start=cursor, end=piece.end))
    out.extend(top)
    out.sort(key=lambda s: s.start)
    return out


def _merge(pieces: list[Shift[U]]) -> list[Shift[U]]:
    """Adjacent pieces of one user from one source become one shift."""
    merged: list[Shift[U]] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == piece.start
            and last.user == piece.user
            and last.source == piece.source
        ):
            merged[-1] = replace(last, end=piece.end)
        else:
            merged.append(piece)
    return merged


def shifts(schedule: Schedule[U], start: datetime, end: datetime) -> list[Shift[U]]:
    """The final schedule over [start, end): who is on call when, and from which layer or
    override; nobody in the gaps between shifts."""
    start, end = _utc(start), _utc(end)
    if start >= end:
        return []
    final: list[Shift[U]] = []
    for layer in schedule.layers:
        final = _overlay(final, layer_shifts(layer, schedule.time_zone, start, end))
    for override in schedule.overrides:  # a later override wins over an earlier one
        begin, finish = max(_utc(override.start), start), min(_utc(override.end), end)
        if begin < finish:
            final = _overlay(final, [Shift(override.user, begin, finish, OVERRIDE)])
    return _merge(final)


def on_call_at(schedule: Schedule[U], at: datetime) -> list[U]:
    """Who is on call at `at`: one user, or nobody in a gap."""
    moment = _utc(at)
    return [s.user for s in shifts(schedule, moment, moment + timedelta(microseconds=1))]


def gaps(schedule: Schedule[U], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) when nobody is on call."""
    start, end = _utc(start), _utc(end)
    found: list[tuple[datetime, datetime]] = []
    cursor = start
    for shift in shifts(schedule, start, end):
        if shift.start > cursor:
            found.append((cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < end:
        found.append((cursor, end))
    return found


def parse_hhmm(text: str) -> time:
    """ "HH:MM" on a 24-hour clock; ValueError with a sentence otherwise."""
    hours, sep, minutes = text.partition(":")
    if (
        sep
        and len(hours) == 2
        and len(minutes) == 2
        and hours.isdigit()
        and minutes.isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    ):
        return time(int(hours), int(minutes))
    raise ValueError(f"{text!r} is not a time of day written HH:MM (00:00 to 23:59)")
