"""Business-hours arithmetic: days walked, DST, holidays, several intervals a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.sla.business_hours import (
    TWENTY_FOUR_SEVEN,
    Calendar,
    add_business,
    business_seconds,
)
from tocsin.sla.specs import CalendarSpecError, build_calendar, parse_holidays, parse_hours

BERLIN = ZoneInfo("Europe/Berlin")
NINE_FIVE = {d: [(time(9), time(17))] for d in range(5)}
OFFICE = Calendar("Europe/Berlin", NINE_FIVE)
SPLIT = Calendar(
    "America/New_York", {d: [(time(8), time(12)), (time(13), time(17))] for d in range(5)}
)
HOUR = 3600.0


def local(*args: int, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_friday_afternoon_plus_two_hours_is_monday_morning() -> None:
    friday = local(2026, 3, 6, 16, 0)
    assert add_business(OFFICE, friday, 2 * HOUR) == local(2026, 3, 9, 10, 0).astimezone(UTC)


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    saturday = local(2026, 3, 7, 12, 0)
    assert add_business(OFFICE, saturday, 30 * 60) == local(2026, 3, 9, 9, 30).astimezone(UTC)
    assert business_seconds(OFFICE, saturday, local(2026, 3, 9, 9, 30)) == 1800


def test_a_holiday_is_skipped() -> None:
    cal = Calendar("Europe/Berlin", NINE_FIVE, holidays=frozenset({date(2026, 3, 9)}))
    friday = local(2026, 3, 6, 16, 0)
    assert add_business(cal, friday, 2 * HOUR) == local(2026, 3, 10, 10, 0).astimezone(UTC)
    assert business_seconds(cal, friday, local(2026, 3, 10, 10, 0)) == 2 * HOUR


def test_country_holidays_with_a_subdivision() -> None:
    # 6 January (Epiphany) is a holiday in Bavaria, not in Berlin.
    bavaria = build_calendar("Europe/Berlin", {"tue": ["09:00", "17:00"]}, "DE-BY")
    berlin = build_calendar("Europe/Berlin", {"tue": ["09:00", "17:00"]}, "DE-BE")
    start = local(2026, 1, 5, 18, 0)
    assert add_business(berlin, start, HOUR) == local(2026, 1, 6, 10, 0).astimezone(UTC)
    assert add_business(bavaria, start, HOUR) == local(2026, 1, 13, 10, 0).astimezone(UTC)


def test_several_intervals_a_day() -> None:
    ny = ZoneInfo("America/New_York")
    start = local(2026, 3, 10, 11, 0, zone=ny)
    assert add_business(SPLIT, start, 2 * HOUR) == local(2026, 3, 10, 14, 0, zone=ny)
    assert business_seconds(SPLIT, start, local(2026, 3, 10, 18, 0, zone=ny)) == 5 * HOUR


def test_a_24x7_day_with_a_clock_change_has_23_or_25_hours() -> None:
    berlin_24 = Calendar("Europe/Berlin", TWENTY_FOUR_SEVEN.hours)
    spring = (local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0))
    autumn = (local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0))
    assert business_seconds(berlin_24, *spring) == 23 * HOUR
    assert business_seconds(berlin_24, *autumn) == 25 * HOUR
    assert add_business(berlin_24, spring[0], 23 * HOUR) == spring[1].astimezone(UTC)


def test_working_hours_across_a_clock_change_keep_their_wall_times() -> None:
    # Sunday 29 March 2026: Berlin moves to summer time; Monday still opens at 09:00 local.
    cal = Calendar("Europe/Berlin", {6: [(time(1), time(4))], 0: [(time(9), time(17))]})
    sunday = local(2026, 3, 29, 0, 0)
    # 01:00-04:00 local that night is only two real hours (02:00-03:00 does not exist).
    assert business_seconds(cal, sunday, local(2026, 3, 29, 23, 0)) == 2 * HOUR
    assert add_business(cal, sunday, 3 * HOUR) == local(2026, 3, 30, 10, 0).astimezone(UTC)


def test_thirty_days_of_business_time_is_quick() -> None:
    start = local(2026, 1, 1, 0, 0)
    due = add_business(OFFICE, start, 30 * 86400)
    # 30 days of 8-hour days = 90 working days: Thu 1 Jan + 2, 17 weeks, then Mon-Wed
    assert due == local(2026, 5, 6, 17, 0).astimezone(UTC)
    assert business_seconds(OFFICE, start, due) == 30 * 86400


def test_zero_and_negative_spans() -> None:
    at = local(2026, 3, 6, 16, 0)
    assert add_business(OFFICE, at, 0) == at
    assert business_seconds(OFFICE, at, at - timedelta(hours=1)) == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business(OFFICE, datetime(2026, 3, 6, 16, 0), 60)


def test_a_calendar_that_never_works_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Calendar("UTC", {})
    every_day = Calendar("UTC", NINE_FIVE, holidays=lambda _: True)
    with pytest.raises(ValueError, match="no working time"):
        add_business(every_day, local(2026, 1, 1, 0, 0), 60)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": ["09:00"]}, "pairs of start and end"),
        ({"mon": ["17:00", "09:00"]}, "ends before it starts"),
        ({"mon": ["9am", "17:00"]}, "not a time of day"),
        ({"funday": ["09:00", "17:00"]}, "not a day"),
        ({"mon": ["09:00", "13:00", "12:00", "17:00"]}, "overlap"),
        ({}, "at least one day"),
    ],
)
def test_bad_hours_are_named(hours: dict[str, list[str]], message: str) -> None:
    with pytest.raises(CalendarSpecError, match=message):
        parse_hours(hours)  # type: ignore[arg-type]


def test_hours_may_run_to_midnight() -> None:
    assert parse_hours({"sat": ["18:00", "24:00"]}) == {5: [(time(18), time(0))]}


def test_bad_holidays_are_named() -> None:
    with pytest.raises(CalendarSpecError, match="not a country"):
        parse_holidays("XX")
    with pytest.raises(CalendarSpecError, match="not a date"):
        parse_holidays(["2026-13-01"])
    with pytest.raises(CalendarSpecError, match="time zone"):
        build_calendar("Mars/Olympus", {"mon": ["09:00", "17:00"]}, None)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(
    [
        OFFICE,
        SPLIT,
        TWENTY_FOUR_SEVEN,
        Calendar("Europe/Berlin", TWENTY_FOUR_SEVEN.hours),
        build_calendar("America/New_York", {"mon": ["00:00", "02:30", "22:00", "24:00"]}, "US"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(cal=calendars, start=instants, seconds=st.floats(min_value=0, max_value=60 * 86400))
def test_add_then_count_gives_the_seconds_back(
    cal: Calendar, start: datetime, seconds: float
) -> None:
    due = add_business(cal, start, seconds)
    assert due >= start
    assert business_seconds(cal, start, due) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(cal=calendars, a=instants, b=instants, c=instants)
def test_counting_is_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    whole = business_seconds(cal, a, c)
    assert whole == pytest.approx(business_seconds(cal, a, b) + business_seconds(cal, b, c))
    assert whole <= (c - a).total_seconds() + 1e-6
