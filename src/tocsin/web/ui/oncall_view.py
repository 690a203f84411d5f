"""On-call shifts laid out for people: one row per local day (DST days are 23 or 25 hours
long), each shift cut at midnight and placed on a 0-1000 scale for the day's bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tocsin.core.times import zone
from tocsin.oncall.rotation import OVERRIDE
from tocsin.oncall.schemas import LayerOut, ShiftOut

BAR = 1000  # the width of a day's bar in SVG user units
COLOURS = 6  # distinct fills for the people of one schedule (classes c0..c5)


@dataclass(frozen=True, slots=True)
class Segment:
    user: str
    source: str
    start: str  # "HH:MM" local
    end: str  # "HH:MM" local; "24:00" at the end of the day
    x: int
    width: int
    colour: str  # "c0".."c5", or "override"


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    segments: list[Segment]
    uncovered: bool  # someone should be on call and nobody is, for part of the day


def midnight(day: date, time_zone: str) -> datetime:
    """The start of `day` where the viewer is, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


def _hhmm(moment: datetime, day_end: datetime, time_zone: str) -> str:
    if moment >= day_end:
        return "24:00"
    return f"{moment.astimezone(zone(time_zone)):%H:%M}"


def calendar_days(
    shifts: Sequence[ShiftOut], first: date, count: int, time_zone: str, people: Sequence[str]
) -> list[Day]:
    """`count` days from `first` in `time_zone`; `people` fixes each user's colour."""
    colours = {user: f"c{i % COLOURS}" for i, user in enumerate(dict.fromkeys(people))}
    days = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        begin, end = midnight(day, time_zone), midnight(day + timedelta(days=1), time_zone)
        length = (end - begin).total_seconds()
        segments = []
        covered = 0.0
        for shift in shifts:
            start, finish = max(shift.start, begin), min(shift.end, end)
            if finish <= start:
                continue
            covered += (finish - start).total_seconds()
            x = round((start - begin).total_seconds() / length * BAR)
            right = round((finish - begin).total_seconds() / length * BAR)
            segments.append(
                Segment(
                    user=shift.user,
                    source=shift.source,
                    start=_hhmm(start, end, time_zone),
                    end=_hhmm(finish, end, time_zone),
                    x=x,
                    width=max(right - x, 1),
                    colour="override"
                    if shift.source == OVERRIDE
                    else colours.get(shift.user, f"c{COLOURS - 1}"),
                )
            )
        days.append(Day(day=day, segments=segments, uncovered=covered < length))
    return days


def layer_people(layers: Sequence[LayerOut]) -> list[str]:
    return [user for layer in layers for user in layer.users]


def rotation_words(layer: LayerOut) -> str:
    """ "Daily, hand-off at 09:00" / "Every 12 hours"."""
    if isinstance(layer.rotation, str):
        return f"{layer.rotation.capitalize()}, hand-off at {layer.handoff}"
    hours = layer.rotation.hours
    return f"Every {hours} hour{'s' if hours != 1 else ''}, counted from the layer's start"


DAY_WORDS = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


def restriction_words(days: Sequence[str], start: str, end: str) -> str:
    """ "Mon, Tue, Wed 08:00-18:00"; an end not after the start runs into the next day."""
    names = ", ".join(DAY_WORDS.get(d, d) for d in days)
    if start == end:
        return f"{names} all day"
    suffix = " (next day)" if end <= start else ""
    return f"{names} {start}\u2013{end}{suffix}"
