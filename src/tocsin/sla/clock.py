"""One SLA target clock (pure): how much of its target it has used, whether it runs, when
it falls due and when it should warn. Transitions answer a new clock; nothing mutates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tocsin.sla.business_hours import Calendar, add_business, business_seconds


@dataclass(frozen=True, slots=True)
class TargetClock:
    """`consumed` counts business seconds used up to `running_since` (or in total, when the
    clock is not running). A met clock stays met until it is restarted (a reopen)."""

    target_seconds: float
    consumed: float = 0.0
    running_since: datetime | None = None
    met_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    def start(self, at: datetime) -> TargetClock:
        """Run from `at` (a fresh clock, or a resumed one: consumed time is kept)."""
        if self.running or self.met_at is not None:
            return self
        return replace(self, running_since=at)

    resume = start

    def pause(self, cal: Calendar, at: datetime) -> TargetClock:
        if self.running_since is None:
            return self
        return replace(self, consumed=self.elapsed(cal, at), running_since=None)

    def stop(self, cal: Calendar, at: datetime, *, met: bool) -> TargetClock:
        """Stop counting; `met` records the target as reached at `at`. A clock found past
        its due instant is marked breached at that instant, whether or not a check ran."""
        if self.met_at is not None:
            return self
        due = self.due_at(cal)
        paused = self.pause(cal, at)
        if paused.consumed >= self.target_seconds and paused.breached_at is None:
            paused = replace(paused, breached_at=due if due is not None and due <= at else at)
        return replace(paused, met_at=at if met else None)

    def restart(self, at: datetime) -> TargetClock:
        """Count again from `at` with what was consumed before (a reopened incident)."""
        return replace(self, met_at=None, running_since=at)

    def retarget(self, target_seconds: float) -> TargetClock:
        """Another policy's target; the time already used stays used."""
        return replace(self, target_seconds=target_seconds)

    def elapsed(self, cal: Calendar, at: datetime) -> float:
        if self.running_since is None:
            return self.consumed
        return self.consumed + business_seconds(cal, self.running_since, at)

    def remaining(self, cal: Calendar, at: datetime) -> float:
        return self.target_seconds - self.elapsed(cal, at)

    def _instant(self, cal: Calendar, share: float) -> datetime | None:
        """When the elapsed time reaches `share` of the target, for a running clock that
        has not reached it yet (None otherwise)."""
        if self.running_since is None:
            return None
        left = share * self.target_seconds - self.consumed
        if left <= 0:
            return None
        return add_business(cal, self.running_since, left)

    def due_at(self, cal: Calendar) -> datetime | None:
        return self._instant(cal, 1.0)

    def warn_at(self, cal: Calendar, share: float) -> datetime | None:
        return self._instant(cal, share)

    def next_check(self, cal: Calendar, share: float) -> datetime | None:
        """The earliest warning or breach still to be noticed (None: nothing to watch)."""
        if self.running_since is None or self.met_at is not None:
            return None
        moments = []
        if self.warned_at is None and self.breached_at is None:
            moments.append(self.warn_at(cal, share) or self.running_since)
        if self.breached_at is None:
            moments.append(self.due_at(cal) or self.running_since)
        return min(moments) if moments else None
