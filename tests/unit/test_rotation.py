"""Who is on call: rotations, hand-offs, restrictions, layers, overrides, DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.oncall.rotation import (
    OVERRIDE,
    Layer,
    Override,
    Restriction,
    Schedule,
    gaps,
    layer_shifts,
    on_call_at,
    parse_hhmm,
    shifts,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def spans(found: list[object]) -> list[tuple[str, str, str]]:
    """Shifts as (user, local start, local end) in Berlin, easy to read in assertions."""
    out = []
    for s in found:
        start, end = s.start.astimezone(BERLIN), s.end.astimezone(BERLIN)  # type: ignore[attr-defined]
        out.append((s.user, f"{start:%a %d %H:%M}", f"{end:%a %d %H:%M}"))  # type: ignore[attr-defined]
    return out


def test_daily_rotation_cycles_users_in_order_from_the_start() -> None:
    layer = Layer("day", at(BERLIN, 2026, 3, 2, 9), "daily", ("a", "b", "c"))
    sched = Schedule("Europe/Berlin", (layer,))
    found = shifts(sched, at(BERLIN, 2026, 3, 2, 0), at(BERLIN, 2026, 3, 7, 0))
    assert spans(found) == [
        ("a", "Mon 02 09:00", "Tue 03 09:00"),
        ("b", "Tue 03 09:00", "Wed 04 09:00"),
        ("c", "Wed 04 09:00", "Thu 05 09:00"),
        ("a", "Thu 05 09:00", "Fri 06 09:00"),
        ("b", "Fri 06 09:00", "Sat 07 00:00"),
    ]
    assert gaps(sched, at(BERLIN, 2026, 3, 2, 0), at(BERLIN, 2026, 3, 3, 0)) == [
        (at(BERLIN, 2026, 3, 2, 0).astimezone(UTC), at(BERLIN, 2026, 3, 2, 9).astimezone(UTC))
    ]


def test_custom_handoff_makes_a_short_first_shift() -> None:
    layer = Layer("day", at(BERLIN, 2026, 3, 2, 14), "daily", ("a", "b"), handoff=time(8))
    found = shifts(
        Schedule("Europe/Berlin", (layer,)), at(BERLIN, 2026, 3, 2), at(BERLIN, 2026, 3, 4, 12)
    )
    assert spans(found) == [
        ("a", "Mon 02 14:00", "Tue 03 08:00"),
        ("b", "Tue 03 08:00", "Wed 04 08:00"),
        ("a", "Wed 04 08:00", "Wed 04 12:00"),
    ]


def test_weekly_rotation_hands_off_on_the_start_weekday() -> None:
    layer = Layer("week", at(BERLIN, 2026, 3, 4, 10), "weekly", ("a", "b"), handoff=time(9))
    sched = Schedule("Europe/Berlin", (layer,))
    found = shifts(sched, at(BERLIN, 2026, 3, 4, 10), at(BERLIN, 2026, 3, 26))
    assert [(s.user, s.start.astimezone(BERLIN).strftime("%a %d %H:%M")) for s in found] == [
        ("a", "Wed 04 10:00"),
        ("b", "Wed 11 09:00"),
        ("a", "Wed 18 09:00"),
        ("b", "Wed 25 09:00"),
    ]


def test_hourly_rotation_counts_elapsed_time() -> None:
    layer = Layer("12h", at(UTC, 2026, 3, 28, 20), 12, ("a", "b"))
    found = shifts(
        Schedule("Europe/Berlin", (layer,)), at(UTC, 2026, 3, 28, 20), at(UTC, 2026, 3, 30)
    )
    assert [(s.user, s.end - s.start) for s in found] == [
        ("a", timedelta(hours=12)),
        ("b", timedelta(hours=12)),
        ("a", timedelta(hours=4)),
    ]


def test_far_range_jumps_to_the_right_user() -> None:
    layer = Layer("day", at(BERLIN, 2026, 1, 1, 9), "daily", ("a", "b", "c"))
    sched = Schedule("Europe/Berlin", (layer,))
    # 2026-12-31 is day 364 after the start: 364 % 3 == 1
    assert on_call_at(sched, at(BERLIN, 2026, 12, 31, 12)) == ["b"]
    assert on_call_at(sched, at(BERLIN, 2025, 12, 31, 12)) == []


@pytest.mark.parametrize(
    ("zone", "before"),
    [(BERLIN, (2026, 3, 28)), (NEW_YORK, (2026, 3, 7))],
)
def test_daily_handoff_stays_at_local_time_across_spring_forward(
    zone: ZoneInfo, before: tuple[int, int, int]
) -> None:
    layer = Layer("day", at(zone, *before, 9), "daily", ("a", "b"))
    sched = Schedule(str(zone), (layer,))
    found = shifts(sched, at(zone, *before, 9), at(zone, *before, 9) + timedelta(days=3))
    assert [s.start.astimezone(zone).hour for s in found] == [9, 9, 9]
    assert found[0].end - found[0].start == timedelta(hours=23)
    assert found[1].end - found[1].start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("zone", "day"),
    [(BERLIN, (2026, 10, 24)), (NEW_YORK, (2026, 10, 31))],
)
def test_daily_handoff_stays_at_local_time_across_fall_back(
    zone: ZoneInfo, day: tuple[int, int, int]
) -> None:
    layer = Layer("day", at(zone, *day, 9), "daily", ("a", "b"))
    sched = Schedule(str(zone), (layer,))
    found = shifts(sched, at(zone, *day, 9), at(zone, *day, 9) + timedelta(days=3))
    assert [s.start.astimezone(zone).hour for s in found] == [9, 9, 9]
    assert found[0].end - found[0].start == timedelta(hours=25)
    # 24 h 30 min of elapsed time later the wall clock says 08:30: still the first shift
    later = at(zone, *day, 9).astimezone(UTC) + timedelta(hours=24, minutes=30)
    assert later.astimezone(zone).hour == 8
    assert on_call_at(sched, later) == ["a"]


def test_hourly_rotation_ignores_dst_wall_clock() -> None:
    layer = Layer("8h", at(BERLIN, 2026, 3, 28, 22), 8, ("a", "b", "c"))
    begin = layer.start.astimezone(UTC)
    found = shifts(Schedule("Europe/Berlin", (layer,)), begin, begin + timedelta(hours=24))
    assert [s.end - s.start for s in found] == [timedelta(hours=8)] * 3
    # 22:00 CET + 8 h elapsed = 07:00 CEST: the wall clock skipped an hour
    assert found[1].start.astimezone(BERLIN).hour == 7


def test_restriction_across_midnight_leaves_daytime_gaps() -> None:
    nights = Restriction(WEEKDAYS, time(18), time(8))
    layer = Layer("nights", at(BERLIN, 2026, 3, 2, 9), "weekly", ("a",), restrictions=(nights,))
    sched = Schedule("Europe/Berlin", (layer,))
    found = shifts(sched, at(BERLIN, 2026, 3, 2), at(BERLIN, 2026, 3, 9))
    assert spans(found) == [
        ("a", "Mon 02 18:00", "Tue 03 08:00"),
        ("a", "Tue 03 18:00", "Wed 04 08:00"),
        ("a", "Wed 04 18:00", "Thu 05 08:00"),
        ("a", "Thu 05 18:00", "Fri 06 08:00"),
        ("a", "Fri 06 18:00", "Sat 07 08:00"),
    ]
    assert on_call_at(sched, at(BERLIN, 2026, 3, 7, 12)) == []
    assert on_call_at(sched, at(BERLIN, 2026, 3, 7, 7, 59)) == ["a"]


def test_restriction_cuts_a_shift_at_the_handoff() -> None:
    nights = Restriction(frozenset(range(7)), time(18), time(8))
    layer = Layer("n", at(BERLIN, 2026, 3, 2, 0), "daily", ("a", "b"), time(0), (nights,))
    found = shifts(
        Schedule("Europe/Berlin", (layer,)), at(BERLIN, 2026, 3, 2, 18), at(BERLIN, 2026, 3, 3, 8)
    )
    assert spans(found) == [
        ("a", "Mon 02 18:00", "Tue 03 00:00"),
        ("b", "Tue 03 00:00", "Tue 03 08:00"),
    ]


def test_later_layer_wins_where_it_has_someone_and_overrides_win_over_all() -> None:
    base = Layer("base", at(BERLIN, 2026, 3, 2, 9), "weekly", ("a",))
    nights = Layer(
        "nights",
        at(BERLIN, 2026, 3, 2, 9),
        "daily",
        ("n",),
        restrictions=(Restriction(WEEKDAYS, time(20), time(6)),),
    )
    override = Override("o", at(BERLIN, 2026, 3, 3, 5), at(BERLIN, 2026, 3, 3, 12))
    sched = Schedule("Europe/Berlin", (base, nights), (override,))
    found = shifts(sched, at(BERLIN, 2026, 3, 2, 12), at(BERLIN, 2026, 3, 3, 22))
    assert spans(found) == [
        ("a", "Mon 02 12:00", "Mon 02 20:00"),
        ("n", "Mon 02 20:00", "Tue 03 05:00"),
        ("o", "Tue 03 05:00", "Tue 03 12:00"),
        ("a", "Tue 03 12:00", "Tue 03 20:00"),
        ("n", "Tue 03 20:00", "Tue 03 22:00"),
    ]
    assert [s.source for s in found] == ["base", "nights", OVERRIDE, "base", "nights"]


def test_later_override_wins_over_an_earlier_one() -> None:
    layer = Layer("base", at(UTC, 2026, 3, 2), "weekly", ("a",))
    first = Override("x", at(UTC, 2026, 3, 2, 10), at(UTC, 2026, 3, 2, 14))
    second = Override("y", at(UTC, 2026, 3, 2, 12), at(UTC, 2026, 3, 2, 13))
    sched = Schedule("UTC", (layer,), (first, second))
    found = shifts(sched, at(UTC, 2026, 3, 2, 9), at(UTC, 2026, 3, 2, 15))
    assert [(s.user, s.start.hour, s.end.hour) for s in found] == [
        ("a", 9, 10),
        ("x", 10, 12),
        ("y", 12, 13),
        ("x", 13, 14),
        ("a", 14, 15),
    ]


def test_adjacent_shifts_of_one_user_are_merged() -> None:
    layer = Layer("solo", at(UTC, 2026, 3, 2), "daily", ("a",))
    found = shifts(Schedule("UTC", (layer,)), at(UTC, 2026, 3, 2), at(UTC, 2026, 3, 12))
    assert len(found) == 1
    assert found[0].end - found[0].start == timedelta(days=10)


def test_a_year_of_hourly_shifts_is_fast_enough_to_compute() -> None:
    layer = Layer("1h", at(UTC, 2026, 1, 1), 1, ("a", "b", "c"))
    found = layer_shifts(layer, "UTC", at(UTC, 2026, 1, 1), at(UTC, 2027, 1, 1))
    assert len(found) == 365 * 24


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Layer("x", datetime(2026, 1, 1), "daily", ("a",))
    with pytest.raises(ValueError, match="at least one user"):
        Layer("x", at(UTC, 2026, 1, 1), "daily", ())


@pytest.mark.parametrize("text", ["9:00", "24:00", "12:60", "ab:cd", "1200", ""])
def test_parse_hhmm_refuses_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


def test_parse_hhmm_reads_a_time() -> None:
    assert parse_hhmm("18:30") == time(18, 30)
