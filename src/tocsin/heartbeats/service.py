"""Heartbeats at work: a ping marks its heartbeat up (and resolves the alert of a missed
one), and the engine's check marks overdue heartbeats down and triggers their alert. Both
go through the alert pipeline every sender uses, in the transaction that changes the
heartbeat, so the incident opens and resolves by the pipeline's own rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef, IntegrationService
from tocsin.alerts.models import Integration
from tocsin.alerts.service import AlertService
from tocsin.auth.principal import system_principal
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, PermissionDenied, ValidationFailed
from tocsin.core.events import Actor
from tocsin.db.session import Database, UnitOfWork
from tocsin.heartbeats.companion import HeartbeatCompanion, deadlines
from tocsin.heartbeats.models import Heartbeat, HeartbeatState
from tocsin.heartbeats.schemas import PingOut
from tocsin.integrations.heartbeat import NAME, missed, resumed

# Longer than any key Tocsin makes: refused without hashing or caching it.
_MAX_KEY = 128
_UNKNOWN = (
    "There is no heartbeat with this key; check the ping URL (its key is shown once, when "
    "the integration is created, e.g. with `tocsin integration create heartbeat NAME "
    "--interval 5m`)."
)


def _actor(ref: IntegrationRef) -> Actor:
    """Who a heartbeat's changes are recorded as: its integration, as the pipeline names it."""
    return system_principal(
        default_customer_id=ref.customer_id, name=f"integration:{ref.name}"
    ).actor


class HeartbeatService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        integrations: IntegrationService,
        alerts: AlertService,
        *,
        base_url: str,
    ) -> None:
        self.db = db
        self.clock = clock
        self.integrations = integrations
        self.alerts = alerts
        self.companion = HeartbeatCompanion(clock, base_url=base_url)
        integrations.attach(NAME, self.companion)

    def ping(self, key: str) -> PingOut:
        """Record a ping for the heartbeat whose key this is; answers once committed."""
        found = self.integrations.by_key(key) if 0 < len(key) <= _MAX_KEY else None
        if found is None:
            raise NotFound(_UNKNOWN)
        if found.type != NAME:
            raise ValidationFailed(
                f"This key belongs to a {found.type} integration, not a heartbeat: send its "
                "alerts to that integration's own endpoint, or create a heartbeat integration "
                "for pings.",
                field="key",
            )
        windows = self.alerts.windows()
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = s.get(Integration, found.id)
            beat = s.get(Heartbeat, found.id, with_for_update=True)
            if row is None or beat is None:
                raise NotFound(_UNKNOWN)
            if not row.enabled:
                raise PermissionDenied(
                    f"The heartbeat {row.name!r} is disabled, so its pings are refused; an "
                    "administrator can enable it again (PATCH /api/v1/integrations/"
                    f'{row.id} {{"enabled": true}}).'
                )
            ref = self.integrations.ref(s, row)  # read now, not from the key cache
            before = beat.state
            beat.last_ping_at = now
            beat.state = HeartbeatState.UP.value
            beat.down_since = None
            if before != HeartbeatState.UP.value:
                # A state change is recorded; the pings of a heartbeat that is up are not
                # (one a minute per cron job would drown the audit log).
                uow.record(
                    "heartbeat.up",
                    "integration",
                    row.id,
                    actor=_actor(ref),
                    customer_id=row.customer_id,
                    at=now,
                    previous=before,
                )
            if before == HeartbeatState.DOWN.value:
                s.flush()
                self.alerts.pipeline.process(
                    uow, [Item(ref, resumed(ref.name, at=now))], now=now, windows=windows
                )
            next_due = now + timedelta(seconds=beat.interval_seconds)
        return PingOut(next_due_at=next_due)

    def check(self, now: datetime | None = None) -> int:
        """Mark every heartbeat whose ping is overdue (past its interval and grace) down and
        trigger its alert; answers how many went down. Idempotent: a heartbeat that is down
        is not looked at again until a ping brings it up."""
        now = now or self.clock.now()
        windows = self.alerts.windows()
        with self.db.unit_of_work() as uow:
            s = uow.session
            # Locked, so that a ping committing meanwhile is seen (PostgreSQL re-reads a
            # row it waited for) rather than overwritten by a stale "down".
            rows = s.execute(
                select(Heartbeat, Integration)
                .join(Integration, Integration.id == Heartbeat.integration_id)
                .where(Heartbeat.state != HeartbeatState.DOWN.value, Integration.enabled.is_(True))
                .order_by(Heartbeat.integration_id)
                .with_for_update(of=Heartbeat)
            ).all()
            items = [
                self._down(uow, beat, row, now) for beat, row in rows if deadlines(beat)[1] < now
            ]
            if items:
                s.flush()
                self.alerts.pipeline.process(uow, items, now=now, windows=windows)
        return len(items)

    def _down(self, uow: UnitOfWork, beat: Heartbeat, row: Integration, now: datetime) -> Item:
        ref = self.integrations.ref(uow.session, row)
        late_at = deadlines(beat)[1]
        beat.state = HeartbeatState.DOWN.value
        beat.down_since = now
        uow.record(
            "heartbeat.down",
            "integration",
            row.id,
            actor=_actor(ref),
            customer_id=row.customer_id,
            at=now,
            last_ping_at=beat.last_ping_at.isoformat() if beat.last_ping_at else None,
            late_at=late_at.isoformat(),
        )
        alert = missed(
            ref.name,
            last_ping_at=beat.last_ping_at,
            created_at=beat.created_at,
            late_at=late_at,
            interval_minutes=beat.interval_seconds // 60,
            grace_minutes=beat.grace_seconds // 60,
        )
        return Item(ref, alert)
