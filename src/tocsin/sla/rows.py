"""Between an incident_slas row and its two pure clocks, and the calendar a policy counts
in (built once per calendar version: parsing hours and loading holiday tables is not free)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from tocsin.sla.business_hours import TWENTY_FOUR_SEVEN, Calendar
from tocsin.sla.clock import TargetClock
from tocsin.sla.models import BusinessCalendar, IncidentSla, SlaPolicy
from tocsin.sla.specs import build_calendar

Target = Literal["response", "resolution"]
TARGETS: tuple[Target, Target] = ("response", "resolution")
# Float sums of seconds land a few microseconds short of the instant they were computed for.
EPSILON = 1e-3


@dataclass(frozen=True)
class Terms:
    """A policy as the clocks use it: its calendar and its warning share."""

    policy: SlaPolicy
    calendar: Calendar
    warn_share: float

    def target_seconds(self, target: Target) -> float:
        minutes = (
            self.policy.response_minutes if target == "response" else self.policy.resolution_minutes
        )
        return float(minutes * 60)


class CalendarCache:
    def __init__(self) -> None:
        self._built: dict[tuple[int, str], Calendar] = {}
        self._lock = threading.Lock()

    def of(self, row: BusinessCalendar | None) -> Calendar:
        if row is None:
            return TWENTY_FOUR_SEVEN
        version = json.dumps([row.time_zone, row.hours, row.holidays], sort_keys=True)
        key = (row.id, version)
        with self._lock:
            found = self._built.get(key)
        if found is None:
            found = build_calendar(row.time_zone, row.hours, row.holidays)
            with self._lock:
                if len(self._built) > 1024:
                    self._built.clear()
                self._built[key] = found
        return found


def terms_of(
    session: Session, cache: CalendarCache, policy: SlaPolicy, default_share: float
) -> Terms:
    calendar = session.get(BusinessCalendar, policy.calendar_id) if policy.calendar_id else None
    share = policy.warn_at if policy.warn_at is not None else default_share
    return Terms(policy=policy, calendar=cache.of(calendar), warn_share=share)


def clock_of(row: IncidentSla, target: Target) -> TargetClock:
    return TargetClock(
        target_seconds=getattr(row, f"{target}_target_seconds"),
        consumed=getattr(row, f"{target}_consumed_seconds"),
        running_since=getattr(row, f"{target}_running_since"),
        met_at=getattr(row, f"{target}_met_at"),
        warned_at=getattr(row, f"{target}_warned_at"),
        breached_at=getattr(row, f"{target}_breached_at"),
    )


def store(row: IncidentSla, target: Target, clock: TargetClock, calendar: Calendar) -> None:
    """Write a clock back. The due instant moves while the clock runs, is unknown while it
    is paused, and stays what it was once the clock stopped."""
    setattr(row, f"{target}_target_seconds", clock.target_seconds)
    setattr(row, f"{target}_consumed_seconds", clock.consumed)
    setattr(row, f"{target}_running_since", clock.running_since)
    setattr(row, f"{target}_met_at", clock.met_at)
    setattr(row, f"{target}_warned_at", clock.warned_at)
    setattr(row, f"{target}_breached_at", clock.breached_at)
    if clock.running:
        due = clock.due_at(calendar)
        if due is not None:
            setattr(row, f"{target}_due_at", due)
    elif clock.met_at is None and clock.breached_at is None and row.stopped_at is None:
        setattr(row, f"{target}_due_at", None)


def next_check(row: IncidentSla, terms: Terms | None) -> datetime | None:
    if terms is None:
        return None
    moments = [
        m
        for t in TARGETS
        if (m := clock_of(row, t).next_check(terms.calendar, terms.warn_share)) is not None
    ]
    return min(moments) if moments else None
