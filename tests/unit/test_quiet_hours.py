"""Quiet hours: low priorities wait for the end of the window, in the person's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tocsin.notifications.quiet_hours import QuietHours, defer_until, parse_hhmm

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours("Europe/Berlin", "22:00", "07:00")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_a_low_priority_page_in_the_evening_waits_for_the_morning() -> None:
    until = defer_until(NIGHT, 4, berlin(2026, 3, 2, 23, 15))
    assert until == berlin(2026, 3, 3, 7, 0).astimezone(UTC)
    assert until is not None
    assert until.tzinfo is UTC


def test_after_midnight_it_waits_for_the_same_morning() -> None:
    assert defer_until(NIGHT, 5, berlin(2026, 3, 3, 2, 0)) == berlin(2026, 3, 3, 7, 0)


def test_urgent_pages_and_daytime_pages_go_at_once() -> None:
    assert defer_until(NIGHT, 3, berlin(2026, 3, 2, 23, 15)) is None
    assert defer_until(NIGHT, 1, berlin(2026, 3, 3, 2, 0)) is None
    assert defer_until(NIGHT, 5, berlin(2026, 3, 2, 12, 0)) is None
    # the end is not inside the window, the start is
    assert defer_until(NIGHT, 5, berlin(2026, 3, 3, 7, 0)) is None
    assert defer_until(NIGHT, 5, berlin(2026, 3, 2, 22, 0)) == berlin(2026, 3, 3, 7, 0)


def test_a_window_within_one_day() -> None:
    lunch = QuietHours("UTC", "12:00", "13:30", min_priority=3)
    at = datetime(2026, 3, 2, 12, 45, tzinfo=UTC)
    assert defer_until(lunch, 3, at) == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    assert defer_until(lunch, 2, at) is None
    assert defer_until(lunch, 3, datetime(2026, 3, 2, 14, 0, tzinfo=UTC)) is None


def test_the_zone_decides_not_utc() -> None:
    # 22:30 UTC is 23:30 in Berlin in winter (quiet) and 07:30 in Tokyo (morning)
    at = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)
    assert defer_until(NIGHT, 4, at) == berlin(2026, 1, 6, 7, 0)
    assert defer_until(QuietHours("Asia/Tokyo", "22:00", "07:00"), 4, at) is None


def test_the_morning_after_a_dst_change_is_the_local_morning() -> None:
    # Europe/Berlin springs forward on 2026-03-29: 07:00 that morning is 05:00 UTC
    until = defer_until(NIGHT, 4, berlin(2026, 3, 28, 23, 0))
    assert until == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    # a window ending inside the skipped hour ends when the clock jumps past it
    gap = QuietHours("Europe/Berlin", "22:00", "02:30")
    assert defer_until(gap, 4, berlin(2026, 3, 28, 23, 0)) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_no_quiet_hours() -> None:
    assert defer_until(QuietHours("UTC", None, None), 5, berlin(2026, 3, 2, 23, 0)) is None
    assert defer_until(QuietHours("UTC", "08:00", "08:00"), 5, berlin(2026, 3, 2, 8, 0)) is None


@pytest.mark.parametrize(
    "bad", ["7:00", "24:00", "12:60", "noon", "12-00", "\uff11\uff12:\uff10\uff10"]
)
def test_times_are_hh_mm(bad: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(bad)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        defer_until(NIGHT, 5, datetime(2026, 3, 2, 23, 0))
