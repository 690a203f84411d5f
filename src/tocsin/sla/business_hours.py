"""Business-hours arithmetic (pure): how many working seconds lie between two instants, and
which instant lies a number of working seconds after another.

Working hours are wall-clock times in the calendar's zone; the arithmetic itself is done
on UTC instants, so a day on which the clocks change counts the seconds that really pass
(a 24x7 calendar's spring-forward day has 23 hours). The walk goes a day at a time, never
a minute at a time: a 30-day target on a 9-to-5 calendar looks at about 130 days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]
HolidayRule = frozenset[date] | Callable[[date], bool]

# An interval ending at midnight runs to the end of its day (written "24:00").
END_OF_DAY = time(0, 0)
# A calendar with working hours but every day a holiday would walk forever.
MAX_DAYS = 366 * 30


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (0 = Monday), local to `time_zone`, and the holidays
    (dates on which nobody works): a set of dates or a rule answering for any date."""

    time_zone: str
    hours: Mapping[int, tuple[Interval, ...] | list[Interval]]
    holidays: HolidayRule = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))
        for weekday, intervals in self.hours.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            previous_end: time | None = None
            for start, end in intervals:
                if end != END_OF_DAY and end <= start:
                    raise ValueError(f"the interval {start}-{end} ends before it starts")
                if previous_end is not None and (
                    previous_end == END_OF_DAY or start < previous_end
                ):
                    raise ValueError(f"the intervals of weekday {weekday} overlap or are unsorted")
                previous_end = end
        if not any(self.hours.get(d) for d in range(7)):
            raise ValueError("a calendar needs working hours on at least one weekday")

    def is_holiday(self, day: date) -> bool:
        if isinstance(self.holidays, frozenset):
            return day in self.holidays
        return self.holidays(day)

    def windows(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals of one local day as UTC instants, in order."""
        if self.is_holiday(day):
            return
        for start, end in self.hours.get(day.weekday(), ()):
            begin = datetime.combine(day, start, tzinfo=self.zone).astimezone(UTC)
            end_day = day + timedelta(days=1) if end == END_OF_DAY else day
            finish = datetime.combine(end_day, end, tzinfo=self.zone).astimezone(UTC)
            if finish > begin:  # a wall time skipped by a clock change can make it empty
                yield begin, finish


TWENTY_FOUR_SEVEN = Calendar("UTC", {d: ((time(0, 0), END_OF_DAY),) for d in range(7)})


def _local_day(cal: Calendar, at: datetime) -> date:
    if at.tzinfo is None:
        raise ValueError("business-hours arithmetic needs timezone-aware datetimes")
    return at.astimezone(cal.zone).date()


def add_business(cal: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of working time have passed since `start` (UTC)."""
    day = _local_day(cal, start) - timedelta(days=1)
    start = start.astimezone(UTC)
    if seconds <= 0:
        return start
    remaining = float(seconds)
    # From the day before: a window of the previous local day may still be open at `start`.
    for _ in range(MAX_DAYS):
        for begin, finish in cal.windows(day):
            begin = max(begin, start)
            if finish <= begin:
                continue
            available = (finish - begin).total_seconds()
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"no working time within {MAX_DAYS} days of {start.isoformat()}")


def business_seconds(cal: Calendar, start: datetime, end: datetime) -> float:
    """Working seconds between `start` and `end` (0 when end is not after start)."""
    day = _local_day(cal, start) - timedelta(days=1)
    last = _local_day(cal, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    total = 0.0
    while day <= last:
        for begin, finish in cal.windows(day):
            lo, hi = max(begin, start), min(finish, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total
