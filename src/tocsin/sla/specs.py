"""From a calendar as people write it (JSON: day names, "HH:MM" strings, a country code or
a list of dates) to a business-hours `Calendar` (pure). Each mistake is a ValueError whose
message is a sentence for the person who wrote it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

from tocsin.sla.business_hours import END_OF_DAY, Calendar, HolidayRule, Interval

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HoursSpec = dict[str, list[str]]
HolidaySpec = str | list[str] | None


class CalendarSpecError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _clock_time(text: str, day: str) -> time:
    if text == "24:00":
        return END_OF_DAY
    try:
        hour, minute = text.split(":")
        if len(hour) != 2 or len(minute) != 2:
            raise ValueError
        return time(int(hour), int(minute))
    except ValueError:
        raise CalendarSpecError(
            f'hours: {text!r} on {day} is not a time of day written "HH:MM" (00:00 to 24:00).',
            "hours",
        ) from None


def parse_hours(spec: dict[str, Any]) -> dict[int, list[Interval]]:
    """{"mon": ["09:00", "17:00"], "tue": ["08:00", "12:00", "13:00", "17:00"], ...}: pairs
    of start and end per day; a day left out is not worked."""
    hours: dict[int, list[Interval]] = {}
    for day, values in spec.items():
        if day not in DAYS:
            raise CalendarSpecError(f"hours: {day!r} is not a day; use {', '.join(DAYS)}.", "hours")
        if (
            not isinstance(values, list)
            or len(values) % 2
            or not all(isinstance(v, str) for v in values)
        ):
            raise CalendarSpecError(
                f'hours: {day} needs pairs of start and end times, e.g. ["09:00", "17:00"].',
                "hours",
            )
        intervals: list[Interval] = []
        for start_text, end_text in zip(values[0::2], values[1::2], strict=True):
            start, end = _clock_time(start_text, day), _clock_time(end_text, day)
            if start_text == "24:00":
                raise CalendarSpecError(f"hours: on {day} nothing starts at 24:00.", "hours")
            if end != END_OF_DAY and end <= start:
                raise CalendarSpecError(
                    f"hours: on {day} the interval {start_text}-{end_text} ends before it starts.",
                    "hours",
                )
            if intervals and (intervals[-1][1] == END_OF_DAY or start < intervals[-1][1]):
                raise CalendarSpecError(
                    f"hours: the intervals of {day} overlap or are out of order.", "hours"
                )
            intervals.append((start, end))
        if intervals:
            hours[DAYS.index(day)] = intervals
    if not hours:
        raise CalendarSpecError(
            "hours: a calendar needs working hours on at least one day.", "hours"
        )
    return hours


@lru_cache(maxsize=256)
def _country_table(code: str, subdivision: str | None) -> holiday_tables.HolidayBase:
    # Years are filled in as dates are asked about: one table serves every year.
    return holiday_tables.country_holidays(code, subdiv=subdivision)


def parse_holidays(spec: HolidaySpec) -> HolidayRule:
    """A country code ("DE", or "DE-BY" with a subdivision) from the `holidays` package, a
    list of ISO dates, or nothing."""
    if spec is None:
        return frozenset()
    if isinstance(spec, str):
        code, _, subdivision = spec.strip().partition("-")
        try:
            table = _country_table(code.upper(), subdivision.upper() or None)
        except NotImplementedError:
            raise CalendarSpecError(
                f"holidays: {spec!r} is not a country (or country-subdivision) the holidays "
                'package knows; use a code such as "US", "GB" or "DE-BY", or a list of dates.',
                "holidays",
            ) from None
        rule: Callable[[date], bool] = table.__contains__
        return rule
    days = set()
    for text in spec:
        try:
            days.add(date.fromisoformat(text))
        except (TypeError, ValueError):
            raise CalendarSpecError(
                f"holidays: {text!r} is not a date written YYYY-MM-DD.", "holidays"
            ) from None
    return frozenset(days)


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarSpecError(
            f"time_zone: {name!r} is not a known time zone (e.g. Europe/Berlin).", "time_zone"
        ) from None
    return name


def build_calendar(time_zone: str, hours: dict[str, Any], holidays: HolidaySpec) -> Calendar:
    return Calendar(
        check_time_zone(time_zone), parse_hours(hours), holidays=parse_holidays(holidays)
    )
