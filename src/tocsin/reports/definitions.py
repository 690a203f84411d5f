"""What each report is, which filters it takes, and how a window is chosen (pure).

A window is [start, end): an incident belongs to it when its opened_at is in it. Windows
and calendar periods are in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tocsin.core.errors import NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class ReportDefinition:
    name: str
    sentence: str  # the definition, one sentence, shown with every answer
    by: tuple[str, ...]  # the groupings it accepts (empty: none)
    chart: str  # "bar" or "line"


_BY_ALL = ("team", "service", "customer", "category", "priority", "month", "week")

REPORTS: dict[str, ReportDefinition] = {
    d.name: d
    for d in (
        ReportDefinition(
            "mtta",
            "Mean time to acknowledge: acknowledged_at - opened_at (wall clock) over the "
            "incidents opened in the window that have been acknowledged; negative durations "
            "are skipped.",
            _BY_ALL,
            "bar",
        ),
        ReportDefinition(
            "mttr",
            "Mean time to resolve: resolved_at - opened_at (wall clock, on-hold time "
            "included) over the incidents opened in the window that are resolved; negative "
            "durations are skipped.",
            _BY_ALL,
            "bar",
        ),
        ReportDefinition(
            "sla-compliance",
            "SLA compliance per target over the incidents opened in the window: met (met, "
            "not breached) / (met + breached); pending clocks are left out.",
            _BY_ALL,
            "bar",
        ),
        ReportDefinition(
            "reopen-rate",
            "Reopen rate: of the incidents opened in the window that are resolved, the "
            "share with reopen_count > 0.",
            _BY_ALL,
            "bar",
        ),
        ReportDefinition(
            "reassignment",
            "Reassignment over the incidents opened in the window: the mean "
            "reassignment_count and the share reassigned at least once.",
            _BY_ALL,
            "bar",
        ),
        ReportDefinition(
            "backlog",
            "Backlog: incidents open at the end of the window (or now, if earlier), by age "
            "(<1d, 1-3d, 3-7d, 7-30d, >30d), with the oldest; cancelled incidents are left "
            "out.",
            (),
            "bar",
        ),
        ReportDefinition(
            "volume",
            "Volume: incidents opened in the window, counted per day, week or month "
            "(interval), optionally split by category, service, customer, priority or team.",
            ("team", "service", "customer", "category", "priority"),
            "line",
        ),
        ReportDefinition(
            "top-categories",
            "Top categories: incidents opened in the window per category, most first, with "
            "each category's share of them.",
            (),
            "bar",
        ),
        ReportDefinition(
            "problems",
            "Problem metrics over the problems opened in the window: count by state, time "
            "to root cause (root_cause_at - opened_at) mean and median, and linked "
            "incidents per problem.",
            ("service", "customer", "category", "priority", "month", "week"),
            "bar",
        ),
    )
}

PERIODS = (
    "last-quarter",
    "this-quarter",
    "last-month",
    "this-month",
    "last-30-days",
    "last-7-days",
)
INTERVALS = ("day", "week", "month")
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Filters:
    start: datetime
    end: datetime
    period: str | None = None
    customer: str | None = None
    team: str | None = None
    service: str | None = None
    priority: int | None = None
    by: str | None = None
    interval: str = "day"

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "period": self.period,
            "customer": self.customer,
            "team": self.team,
            "service": self.service,
            "priority": self.priority,
            "by": self.by,
            "interval": self.interval,
        }


def definition(name: str) -> ReportDefinition:
    """The report called `name`; NotFound naming the known ones otherwise."""
    found = REPORTS.get(name)
    if found is None:
        raise NotFound(f"There is no report {name!r}; the reports are {', '.join(REPORTS)}.")
    return found


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def period_window(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a named period, calendar periods in UTC; current ones end at now."""
    today = now.astimezone(UTC).date()
    if period == "last-30-days":
        return now - timedelta(days=30), now
    if period == "last-7-days":
        return now - timedelta(days=7), now
    if period == "this-month":
        return _midnight(_month_start(today)), now
    if period == "last-month":
        end = _month_start(today)
        return _midnight(_month_start(end - timedelta(days=1))), _midnight(end)
    if period == "this-quarter":
        return _midnight(_quarter_start(today)), now
    if period == "last-quarter":
        end = _quarter_start(today)
        return _midnight(_quarter_start(end - timedelta(days=1))), _midnight(end)
    raise ValidationFailed(
        f"There is no period {period!r}; use one of {', '.join(PERIODS)}.", field="period"
    )


def _instant(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"'{name}' must be a date (2026-01-31) or a date and time in ISO 8601; "
            f"{raw!r} is neither.",
            field=name,
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_filters(
    report: ReportDefinition, raw: Mapping[str, str | None], now: datetime
) -> Filters:
    """The filters from query parameters / options as typed; ValidationFailed with a
    sentence for anything wrong. Default window: the 30 days up to now."""
    values = {k: (v.strip() if v is not None else None) or None for k, v in raw.items()}
    period = values.get("period")
    start_raw, end_raw = values.get("from"), values.get("to")
    if period is not None and (start_raw is not None or end_raw is not None):
        raise ValidationFailed("Give either a period or from/to, not both.", field="period")
    if period is not None:
        start, end = period_window(period, now)
    else:
        end = _instant(end_raw, "to") if end_raw is not None else now
        start = (
            _instant(start_raw, "from")
            if start_raw is not None
            else end - timedelta(days=DEFAULT_DAYS)
        )
    if start >= end:
        raise ValidationFailed("'from' must be before 'to'.", field="from")
    priority_raw = values.get("priority")
    priority: int | None = None
    if priority_raw is not None:
        text = priority_raw.upper().removeprefix("P")
        if not text.isdigit() or not 1 <= int(text) <= 5:
            raise ValidationFailed(
                f"'priority' is 1 to 5 (or P1 to P5), not {priority_raw!r}.", field="priority"
            )
        priority = int(text)
    by = values.get("by")
    if by is not None and by not in report.by:
        accepted = ", ".join(report.by) if report.by else "no grouping"
        raise ValidationFailed(
            f"The {report.name} report cannot be grouped by {by!r}; it accepts {accepted}.",
            field="by",
        )
    interval = values.get("interval") or "day"
    if interval not in INTERVALS:
        raise ValidationFailed(
            f"'interval' is one of {', '.join(INTERVALS)}, not {interval!r}.", field="interval"
        )
    if report.name == "problems" and values.get("team") is not None:
        raise ValidationFailed(
            "Problems belong to no team; filter the problems report by customer, service "
            "or priority.",
            field="team",
        )
    unknown = sorted(set(values) - {*_KNOWN, "format"})
    if unknown:
        raise ValidationFailed(
            f"Unknown parameter {unknown[0]!r}; reports take {', '.join(_KNOWN)}.",
            field=unknown[0],
        )
    return Filters(
        start=start,
        end=end,
        period=period,
        customer=values.get("customer"),
        team=values.get("team"),
        service=values.get("service"),
        priority=priority,
        by=by,
        interval=interval,
    )


_KNOWN = ("from", "to", "period", "customer", "team", "service", "priority", "by", "interval")
