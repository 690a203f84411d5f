"""A problem's impact from its incidents (pure): how many, how many still open, their
total downtime and when they first and last occurred."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Occurrence:
    opened_at: datetime
    resolved_at: datetime | None
    open: bool


@dataclass(frozen=True, slots=True)
class Impact:
    incidents: int
    open: int
    downtime_seconds: int
    first_at: datetime | None
    last_at: datetime | None


def impact(occurrences: Sequence[Occurrence], now: datetime) -> Impact:
    """Downtime = the sum of resolved_at - opened_at, or now - opened_at while the incident
    is open; a cancelled incident (closed without resolution) adds none, nor does a
    negative span (bad source data)."""
    total = 0.0
    for o in occurrences:
        end = o.resolved_at if o.resolved_at is not None else (now if o.open else None)
        if end is not None and end > o.opened_at:
            total += (end - o.opened_at).total_seconds()
    opened = [o.opened_at for o in occurrences]
    return Impact(
        incidents=len(occurrences),
        open=sum(1 for o in occurrences if o.open),
        downtime_seconds=int(total),
        first_at=min(opened) if opened else None,
        last_at=max(opened) if opened else None,
    )
