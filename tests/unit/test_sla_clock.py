"""One SLA target clock: start, pause, resume, stop, due and warning instants."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tocsin.sla.business_hours import TWENTY_FOUR_SEVEN, Calendar
from tocsin.sla.clock import TargetClock

OFFICE = Calendar("UTC", {d: [(time(9), time(17))] for d in range(5)})
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = 3600.0


def test_a_running_clock_falls_due_after_its_target() -> None:
    clock = TargetClock(4 * HOUR).start(MONDAY_9)
    assert clock.due_at(OFFICE) == MONDAY_9 + timedelta(hours=4)
    assert clock.warn_at(OFFICE, 0.75) == MONDAY_9 + timedelta(hours=3)
    assert clock.elapsed(OFFICE, MONDAY_9 + timedelta(hours=1)) == HOUR
    assert clock.remaining(OFFICE, MONDAY_9 + timedelta(hours=5)) == -HOUR


def test_due_instant_skips_the_night() -> None:
    clock = TargetClock(4 * HOUR).start(MONDAY_9 + timedelta(hours=6))  # 15:00
    assert clock.due_at(OFFICE) == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)


def test_pause_keeps_what_was_used_and_resume_counts_on() -> None:
    clock = TargetClock(4 * HOUR).start(MONDAY_9)
    paused = clock.pause(OFFICE, MONDAY_9 + timedelta(hours=1))
    assert paused.consumed == HOUR
    assert not paused.running
    assert paused.due_at(OFFICE) is None
    assert paused.elapsed(OFFICE, MONDAY_9 + timedelta(days=3)) == HOUR
    resumed = paused.resume(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert resumed.due_at(OFFICE) == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert paused.pause(OFFICE, MONDAY_9 + timedelta(days=1)) == paused


def test_stop_as_met_records_when_and_whether_it_was_late() -> None:
    clock = TargetClock(HOUR).start(MONDAY_9)
    on_time = clock.stop(OFFICE, MONDAY_9 + timedelta(minutes=30), met=True)
    assert on_time.met_at == MONDAY_9 + timedelta(minutes=30)
    assert not on_time.breached
    assert on_time.consumed == 1800
    late = clock.stop(OFFICE, MONDAY_9 + timedelta(hours=2), met=True)
    assert late.breached_at == MONDAY_9 + timedelta(hours=1)
    # met stays met: a second stop or a start changes nothing
    assert on_time.stop(OFFICE, MONDAY_9 + timedelta(hours=3), met=True) == on_time
    assert on_time.start(MONDAY_9 + timedelta(hours=3)) == on_time


def test_restart_counts_on_from_what_was_consumed() -> None:
    met = (
        TargetClock(2 * HOUR).start(MONDAY_9).stop(OFFICE, MONDAY_9 + timedelta(hours=1), met=True)
    )
    again = met.restart(MONDAY_9 + timedelta(hours=4))
    assert again.met_at is None
    assert again.due_at(OFFICE) == MONDAY_9 + timedelta(hours=5)


def test_retarget_keeps_the_time_used() -> None:
    clock = TargetClock(8 * HOUR).start(MONDAY_9).pause(OFFICE, MONDAY_9 + timedelta(hours=2))
    shorter = clock.retarget(3 * HOUR).resume(MONDAY_9 + timedelta(hours=2))
    assert shorter.due_at(OFFICE) == MONDAY_9 + timedelta(hours=3)


def test_next_check_is_the_warning_then_the_breach() -> None:
    clock = TargetClock(4 * HOUR).start(MONDAY_9)
    assert clock.next_check(TWENTY_FOUR_SEVEN, 0.5) == MONDAY_9 + timedelta(hours=2)
    warned = TargetClock(4 * HOUR, running_since=MONDAY_9, warned_at=MONDAY_9)
    assert warned.next_check(TWENTY_FOUR_SEVEN, 0.5) == MONDAY_9 + timedelta(hours=4)
    breached = TargetClock(4 * HOUR, running_since=MONDAY_9, breached_at=MONDAY_9)
    assert breached.next_check(TWENTY_FOUR_SEVEN, 0.5) is None
    assert TargetClock(4 * HOUR).next_check(TWENTY_FOUR_SEVEN, 0.5) is None
    # already past its warning share when it resumes: due for a check at once
    late = TargetClock(4 * HOUR, consumed=3 * HOUR).start(MONDAY_9)
    assert late.next_check(TWENTY_FOUR_SEVEN, 0.5) == MONDAY_9
