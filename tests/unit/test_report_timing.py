"""MTTA / MTTR per day: the pure rules the dashboard and the reports count by."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.reports.timing import (
    TimingRow,
    figure,
    timing_trend,
    window_days,
    window_start,
)

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def row(opened: datetime, ack_min: float | None = None, res_min: float | None = None) -> TimingRow:
    return TimingRow(
        opened_at=opened,
        acknowledged_at=None if ack_min is None else opened + timedelta(minutes=ack_min),
        resolved_at=None if res_min is None else opened + timedelta(minutes=res_min),
    )


def test_no_incidents_gives_empty_days_not_zeros() -> None:
    trend = timing_trend([], now=NOW, tz=UTC_ZONE, days=30)
    assert len(trend.days) == 30
    assert trend.days[0].day == date(2026, 3, 2)
    assert trend.days[-1].day == date(2026, 3, 31)
    assert all(d.mtta.count == 0 and d.mtta.mean_seconds is None for d in trend.days)
    assert trend.mtta.mean_seconds is None
    assert trend.mttr.median_seconds is None


def test_one_incident_counts_on_its_opening_and_resolution_days() -> None:
    opened = datetime(2026, 3, 30, 23, 0, tzinfo=UTC)
    trend = timing_trend([row(opened, ack_min=10, res_min=120)], now=NOW, tz=UTC_ZONE)
    by_day = {d.day: d for d in trend.days}
    assert by_day[date(2026, 3, 30)].mtta.mean_seconds == 600
    assert by_day[date(2026, 3, 30)].mttr.count == 0
    # resolved after midnight: MTTR counts on the day of resolution
    assert by_day[date(2026, 3, 31)].mttr.mean_seconds == 7200
    assert trend.mtta == figure([600.0])
    assert trend.mttr.median_seconds == 7200


def test_medians_and_means_over_the_window() -> None:
    opened = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    rows = [row(opened, ack_min=m) for m in (1, 2, 3, 10)]
    trend = timing_trend(rows, now=NOW, tz=UTC_ZONE)
    assert trend.mtta.count == 4
    assert trend.mtta.mean_seconds == pytest.approx(4 * 60)
    assert trend.mtta.median_seconds == pytest.approx(2.5 * 60)
    assert trend.mttr.count == 0


def test_unacknowledged_and_outside_the_window_are_left_out() -> None:
    old = NOW - timedelta(days=40)
    rows = [
        row(old, ack_min=5, res_min=60),  # opened and resolved before the window
        row(NOW - timedelta(hours=1)),  # open, not acknowledged
        row(old, res_min=40 * 24 * 60 - 30),  # opened before, resolved inside the window
    ]
    trend = timing_trend(rows, now=NOW, tz=UTC_ZONE)
    assert trend.mtta.count == 0
    assert trend.mttr.count == 1


def test_days_are_the_viewers_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on the 30th is 01:30 on the 31st in Berlin (summer time since the 29th)
    opened = datetime(2026, 3, 30, 23, 30, tzinfo=UTC)
    trend = timing_trend([row(opened, ack_min=4)], now=NOW, tz=berlin)
    assert trend.days[-1].day == date(2026, 3, 31)
    assert trend.days[-1].mtta.count == 1
    assert window_start(NOW, berlin, 30) == datetime(2026, 3, 2, tzinfo=berlin)


def test_a_clock_skew_is_left_out_as_the_reports_leave_it_out() -> None:
    opened = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    trend = timing_trend([row(opened, ack_min=-5), row(opened, ack_min=10)], now=NOW, tz=UTC_ZONE)
    assert trend.mtta.count == 1
    assert trend.mtta.mean_seconds == 600


def test_window_needs_a_day() -> None:
    assert window_days(date(2026, 1, 1), 1) == [date(2026, 1, 1)]
    with pytest.raises(ValueError, match="at least one day"):
        window_days(date(2026, 1, 1), 0)
