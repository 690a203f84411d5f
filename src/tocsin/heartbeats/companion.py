"""A heartbeat's row kept in step with its integration: the schedule checked and stored
when the integration is created or its configuration changes, and its state shown in the
integration's answers (the `Companion` the integrations service calls)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.alerts.keys import Extras
from tocsin.alerts.models import Integration
from tocsin.alerts.schemas import HeartbeatStatus, IntegrationConfig
from tocsin.core.clock import Clock
from tocsin.core.errors import ValidationFailed
from tocsin.db.session import UnitOfWork
from tocsin.heartbeats.models import Heartbeat, HeartbeatState
from tocsin.integrations.heartbeat import (
    MAX_INTERVAL_MINUTES,
    MIN_INTERVAL_MINUTES,
    default_grace_minutes,
)

PING_PATH = "/api/v1/heartbeats/"


def deadlines(beat: Heartbeat) -> tuple[datetime, datetime]:
    """When the next ping is due, and when the heartbeat is down without it."""
    due = (beat.last_ping_at or beat.created_at) + timedelta(seconds=beat.interval_seconds)
    return due, due + timedelta(seconds=beat.grace_seconds)


def _schedule(row: Integration) -> tuple[int, int]:
    """The interval and grace in seconds, from a configuration `settle` accepted."""
    config = IntegrationConfig.from_stored(row.config)
    assert config.interval_minutes is not None
    assert config.grace_minutes is not None
    return config.interval_minutes * 60, config.grace_minutes * 60


class HeartbeatCompanion:
    def __init__(self, clock: Clock, *, base_url: str) -> None:
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    def ping_url(self, key: str) -> str:
        return f"{self.base_url}{PING_PATH}{key}"

    def settle(self, config: IntegrationConfig) -> IntegrationConfig:
        interval = config.interval_minutes
        if interval is None:
            raise ValidationFailed(
                "A heartbeat integration needs config.interval_minutes: how often a ping is "
                f"expected, from {MIN_INTERVAL_MINUTES} minute to {MAX_INTERVAL_MINUTES} "
                "minutes (7 days).",
                field="config.interval_minutes",
            )
        if config.grace_minutes is not None:
            return config
        return config.model_copy(update={"grace_minutes": default_grace_minutes(interval)})

    def created(self, uow: UnitOfWork, row: Integration) -> None:
        interval, grace = _schedule(row)
        uow.session.add(
            Heartbeat(
                integration_id=row.id,
                interval_seconds=interval,
                grace_seconds=grace,
                last_ping_at=None,
                state=HeartbeatState.WAITING.value,
                down_since=None,
                created_at=self.clock.now(),
            )
        )
        uow.session.flush()

    def changed(self, uow: UnitOfWork, row: Integration) -> None:
        beat = uow.session.get(Heartbeat, row.id, with_for_update=True)
        if beat is None:
            self.created(uow, row)
            return
        # A down heartbeat stays down under a new schedule: only a ping resolves its alert.
        beat.interval_seconds, beat.grace_seconds = _schedule(row)
        uow.session.flush()

    def describe(self, session: Session, row: Integration, key: str | None = None) -> Extras:
        beat = session.get(Heartbeat, row.id)
        # The key is shown once: later answers show where it goes.
        url = self.ping_url(key if key is not None else "<key>")
        if beat is None:
            return Extras(ping_url=url)
        due, late = deadlines(beat)
        status = HeartbeatStatus(
            state=HeartbeatState(beat.state).value,
            last_ping_at=beat.last_ping_at,
            next_due_at=due,
            late_at=late,
            down_since=beat.down_since,
        )
        return Extras(ping_url=url, heartbeat=status)
