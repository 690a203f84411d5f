"""Mean time to acknowledge (MTTA) and to resolve (MTTR), per day and over a window.

Pure functions over (opened_at, acknowledged_at, resolved_at) rows, so the dashboard and
the reports built on it count the same way:

- MTTA: acknowledged_at - opened_at, over the incidents *opened* in the window (on the day
  they were opened) that have been acknowledged;
- MTTR: resolved_at - opened_at, over the incidents *resolved* in the window (on the day
  they were resolved).

Days are the viewer's calendar days in their time zone; the window is today and the
`days - 1` days before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.reports.statistics import summarise


@dataclass(frozen=True, slots=True)
class TimingRow:
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Figure:
    """How many incidents a figure covers and their mean and median in seconds (None: no
    incident, which is not the same as zero seconds)."""

    count: int
    mean_seconds: float | None
    median_seconds: float | None


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date
    mtta: Figure
    mttr: Figure


@dataclass(frozen=True, slots=True)
class TimingTrend:
    days: list[DayFigures]
    mtta: Figure
    mttr: Figure


def figure(seconds: Sequence[float]) -> Figure:
    """Counted as the reports count (reports.statistics.summarise): a negative duration,
    from a clock skewed by an import, is left out rather than counted."""
    summary = summarise(seconds)
    return Figure(count=summary.count, mean_seconds=summary.mean, median_seconds=summary.median)


def window_days(today: date, days: int) -> list[date]:
    """The window's days, oldest first, ending with `today`."""
    if days < 1:
        raise ValueError("a window has at least one day")
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def window_start(now: datetime, tz: ZoneInfo, days: int) -> datetime:
    """The first instant of the window: midnight (in `tz`) of its first day."""
    first = window_days(now.astimezone(tz).date(), days)[0]
    return datetime.combine(first, time(0), tzinfo=tz)


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def timing_trend(
    rows: Iterable[TimingRow], *, now: datetime, tz: ZoneInfo, days: int = 30
) -> TimingTrend:
    """MTTA and MTTR for each day of the window and over the whole window. Rows outside
    the window (or not yet acknowledged / resolved) are ignored, so a caller may pass a
    superset."""
    day_list = window_days(now.astimezone(tz).date(), days)
    first, last = day_list[0], day_list[-1]
    acknowledged: dict[date, list[float]] = {d: [] for d in day_list}
    resolved: dict[date, list[float]] = {d: [] for d in day_list}
    for row in rows:
        opened_day = row.opened_at.astimezone(tz).date()
        if row.acknowledged_at is not None and first <= opened_day <= last:
            acknowledged[opened_day].append(_seconds(row.opened_at, row.acknowledged_at))
        if row.resolved_at is not None:
            resolved_day = row.resolved_at.astimezone(tz).date()
            if first <= resolved_day <= last:
                resolved[resolved_day].append(_seconds(row.opened_at, row.resolved_at))
    return TimingTrend(
        days=[
            DayFigures(day=d, mtta=figure(acknowledged[d]), mttr=figure(resolved[d]))
            for d in day_list
        ],
        mtta=figure([s for d in day_list for s in acknowledged[d]]),
        mttr=figure([s for d in day_list for s in resolved[d]]),
    )


def as_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)
