"""Dates and times people send: a body must say its zone; a filter is read in the user's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.core.errors import ValidationFailed

EXAMPLE = "2026-01-05T09:00:00Z or 2026-01-05T10:00:00+01:00"
_OUT_OF_RANGE = "is too close to year 1 or year 9999 to be converted to UTC"


def to_utc(value: datetime) -> datetime | None:
    """`value` in UTC, or None when that falls outside years 1-9999 (`value` is aware)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        return None


def check_aware(value: datetime) -> datetime:
    """A time in a request body: it must carry its zone (an offset or Z), since a stored
    time without one means something else to every reader. Kept as sent."""
    if value.utcoffset() is None:
        raise ValueError(f"needs a time zone: add an offset or Z, e.g. {EXAMPLE}")
    if to_utc(value) is None:
        raise ValueError(_OUT_OF_RANGE)
    return value


def zone(name: str) -> ZoneInfo:
    """The zone a user chose (UTC if it is somehow not a zone)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def filter_time(value: datetime, time_zone: str, *, field: str) -> datetime:
    """A time in a filter, in UTC: without a zone it is read in the user's `time_zone`
    (so `2026-01-01`, which arrives as its midnight, is midnight where the user is)."""
    if value.utcoffset() is None:
        value = value.replace(tzinfo=zone(time_zone))
    moment = to_utc(value)
    if moment is None:
        raise ValidationFailed(f"{field} {_OUT_OF_RANGE}.", field=field)
    return moment


def not_a_number(value: object) -> object:
    """A filter's time must be written as a date or a time: pydantic would read a bare
    number as seconds since 1970, so `20260101` would quietly mean January 1970."""
    number = isinstance(value, int | float)
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            number = True
    if number:
        raise ValueError(f"write a date or a time, e.g. 2026-01-05 or {EXAMPLE}")
    return value
