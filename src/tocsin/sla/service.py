"""The SLA use cases: configuration (calendars, policies), clocks moved by incident
events, the engine's check for warnings and breaches, and reads for incident answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.clock import Clock
from tocsin.db.session import Database, UnitOfWork
from tocsin.sla.board import SlaNow, sla_now
from tocsin.sla.calendars import CalendarAdmin
from tocsin.sla.events import Crossing, IncidentEventView
from tocsin.sla.policies import PolicyAdmin
from tocsin.sla.reads import sla_of
from tocsin.sla.rows import CalendarCache
from tocsin.sla.schemas import SlaOut
from tocsin.sla.tracking import Tracker


class SlaService:
    def __init__(self, db: Database, clock: Clock, *, warn_at: float) -> None:
        self.db = db
        self.clock = clock
        self.warn_at = warn_at
        self._cache = CalendarCache()
        self._tracker = Tracker(self._cache, warn_at=warn_at)
        self.calendars = CalendarAdmin(db, clock)
        self.policies = PolicyAdmin(db, clock, warn_at=warn_at)

    def apply(self, uow: UnitOfWork, view: IncidentEventView) -> None:
        """Move the incident's clocks for one of its events, in the caller's transaction.
        Applying the same event twice changes nothing."""
        self._tracker.apply(uow, view)

    def check(self, uow: UnitOfWork, now: datetime) -> list[Crossing]:
        """Mark the warnings and breaches due by `now` and answer them, for the caller to
        record on the incidents (no timeline entry or event is written here)."""
        return self._tracker.check(uow, now)

    def sla_of(
        self, session: Session, incident_ids: Sequence[int], now: datetime
    ) -> dict[int, SlaOut]:
        return sla_of(session, self._cache, incident_ids, now, default_share=self.warn_at)

    def now(self, principal: Principal) -> SlaNow:
        """The running clocks the principal may see that are at risk or breached."""
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return sla_now(
                s,
                self._cache,
                self.clock.now(),
                customer_id=None if principal.all_customers else principal.customer_id,
                default_share=self.warn_at,
            )
