"""Opening incidents from machine input (alerts) on the hot path: lean Core statements in
the caller's transaction, with the same number, timeline entry and audit event as the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from tocsin.auth.principal import Principal
from tocsin.core.events import DomainEvent
from tocsin.db import counters
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.incidents.priority import derive_priority
from tocsin.incidents.service import format_number


@dataclass(frozen=True, slots=True)
class NewIncident:
    title: str
    description: str
    type: str
    customer_id: int
    service_id: int | None
    team_id: int | None
    impact: int
    urgency: int
    tags: list[str]
    requester_id: int | None = None
    service_label: str | None = None
    team_label: str | None = None
    customer_label: str | None = None
    requester_label: str | None = None


def open_incident(
    uow: UnitOfWork,
    *,
    principal: Principal,
    spec: NewIncident,
    now: datetime,
    matrix: Mapping[str, int],
    message: str,
) -> tuple[int, str]:
    """Insert one incident (state new, or assigned when it has a team); answer id, number."""
    session = uow.session
    number = format_number(counters.take(session, "incident"))
    priority = derive_priority(matrix, impact=spec.impact, urgency=spec.urgency)
    state = State.ASSIGNED if spec.team_id is not None else State.NEW
    incident_id = session.execute(
        insert(Incident).returning(Incident.id),
        [
            {
                "number": number,
                "customer_id": spec.customer_id,
                "type": spec.type,
                "title": spec.title[:300],
                "description": spec.description,
                "service_id": spec.service_id,
                "requester_id": spec.requester_id,
                "team_id": spec.team_id,
                "impact": spec.impact,
                "urgency": spec.urgency,
                "priority": priority,
                "priority_overridden": False,
                "tags": spec.tags,
                "major": False,
                "state": state.value,
                "reopen_count": 0,
                "reassignment_count": 0,
                "version": 1,
                "opened_at": now,
                "updated_at": now,
            }
        ],
    ).scalar_one()
    changes = {
        key: [None, value]
        for key, value in {
            "title": spec.title[:300],
            "type": spec.type,
            "customer": spec.customer_label,
            "service": spec.service_label,
            "team": spec.team_label,
            "impact": spec.impact,
            "urgency": spec.urgency,
            "priority": priority,
            "state": state.value,
            "requester": spec.requester_label,
        }.items()
        if value is not None
    }
    actor = principal.actor
    session.execute(
        insert(TimelineEntry),
        [
            {
                "incident_id": incident_id,
                "at": now,
                "actor_id": None,
                "actor_label": actor.describe(),
                "kind": "created",
                "changes": changes,
                "message": message,
                "internal": False,
            }
        ],
    )
    uow.emit(
        DomainEvent(
            action="incident.created",
            object_type="incident",
            object_id=str(incident_id),
            actor=actor,
            at=now,
            customer_id=spec.customer_id,
            data={"number": number, "changes": changes, "message": message},
        )
    )
    return int(incident_id), number
