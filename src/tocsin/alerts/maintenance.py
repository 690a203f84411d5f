"""Is a moment inside a maintenance window? (pure; one-off, daily and weekly windows)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class Window:
    customer_id: int
    service_id: int | None  # None: the whole customer
    starts_at: datetime
    ends_at: datetime
    recurrence: str = "none"
    until: datetime | None = None

    def covers(self, at: datetime) -> bool:
        if self.recurrence == "none":
            return self.starts_at <= at < self.ends_at
        if at < self.starts_at or (self.until is not None and at >= self.until):
            return False
        period = PERIODS[self.recurrence]
        offset = (at - self.starts_at) % period
        return offset < self.ends_at - self.starts_at

    def applies_to(self, customer_id: int, service_id: int | None) -> bool:
        if customer_id != self.customer_id:
            return False
        return self.service_id is None or self.service_id == service_id


def in_maintenance(
    windows: list[Window], *, customer_id: int, service_id: int | None, at: datetime
) -> bool:
    return any(w.applies_to(customer_id, service_id) and w.covers(at) for w in windows)
