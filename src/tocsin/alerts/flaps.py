"""Flapping: an alert that fires again moments after it resolved is the same problem.
Its alert becomes live again and its incident, if resolved, reopens (rare: the ORM, one
alert at a time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tocsin.alerts.context import Context
from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.lookups import LiveAlert
from tocsin.alerts.models import Alert
from tocsin.alerts.states import OPEN_INCIDENT, AlertStatus
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import Action, State
from tocsin.incidents.models import Incident
from tocsin.incidents.schemas import ActionIn


def reopen_flapping(
    ctx: Context, uow: UnitOfWork, item: Item, key: str, now: datetime
) -> tuple[Outcome, LiveAlert] | None:
    """The key's alert made live again, its incident reopened if resolved; None when the
    incident is closed or cancelled (a new occurrence: a new incident)."""
    integration = item.integration
    s = uow.session
    window = timedelta(minutes=integration.config.flap_window_minutes)
    recent = s.scalar(
        select(Alert)
        .where(
            Alert.integration_id == integration.id,
            Alert.dedup_key == key,
            Alert.status == AlertStatus.RESOLVED.value,
            Alert.resolved_at >= now - window,
        )
        .order_by(Alert.resolved_at.desc())
        .limit(1)
        .with_for_update()
    )
    if recent is None or recent.incident_id is None:
        return None
    incident = s.get(Incident, recent.incident_id, with_for_update=True)
    if incident is None or incident.state not in (*OPEN_INCIDENT, State.RESOLVED.value):
        return None
    assert recent.resolved_at is not None
    minutes = max(1, round((now - recent.resolved_at).total_seconds() / 60))
    recent.status = AlertStatus.TRIGGERED.value
    recent.count += 1
    recent.flap_count += 1
    recent.last_seen_at = now
    recent.resolved_at = None
    recent.payload = item.payload
    if incident.state == State.RESOLVED.value:
        ctx.actions.apply(
            uow,
            ctx.robot(integration),
            incident,
            Action.REOPEN,
            ActionIn(reason=f"Alert {key} fired again {minutes} min after it resolved (flapping)"),
        )
    ctx.emit(uow, integration, "alert.flapped", recent.id, now, key, incident.id)
    live = LiveAlert(recent.id, incident.id, incident.number, recent.summary, recent.severity)
    # Later repeats in the run update this alert with statements of their own: written
    # now, and read again if the ORM needs it later.
    s.flush()
    s.expire(recent)
    return Outcome("reopened", key, incident.id, incident.number, live.id), live
