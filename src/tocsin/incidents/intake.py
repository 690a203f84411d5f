"""Opening incidents from machine input (alerts) on the hot path: set-based Core statements in
the caller's transaction, with the same numbers, timeline entries and audit events as the
API gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, insert, select

from tocsin.auth.principal import Principal
from tocsin.db import counters
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.incidents.priority import derive_priority
from tocsin.incidents.service import format_number

# Core statements on the tables (not the ORM's bulk machinery): this is the hot path.
_INCIDENTS: Table = Incident.__table__  # type: ignore[assignment]
# Inserted without RETURNING (one executemany on both databases; SQLite would otherwise
# run one statement per row), then the ids are read back by the unique numbers.
_INSERT_INCIDENTS = insert(_INCIDENTS)
_IDS_BY_NUMBER = select(_INCIDENTS.c.number, _INCIDENTS.c.id).where(
    _INCIDENTS.c.number.in_(bindparam("numbers", expanding=True))
)
_INSERT_TIMELINE = insert(TimelineEntry.__table__)  # type: ignore[arg-type]


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
    principal: Principal
    message: str
    requester_id: int | None = None
    service_label: str | None = None
    team_label: str | None = None
    customer_label: str | None = None
    requester_label: str | None = None


def open_incidents(
    uow: UnitOfWork, specs: Sequence[NewIncident], *, now: datetime, matrix: Mapping[str, int]
) -> list[tuple[int, str]]:
    """Insert incidents (state new, or assigned when they have a team) with one statement
    per table; answer (id, number) for each, in order."""
    if not specs:
        return []
    session = uow.session
    first = counters.take(session, "incident", len(specs))
    rows = []
    for offset, spec in enumerate(specs):
        rows.append(
            {
                "number": format_number(first + offset),
                "customer_id": spec.customer_id,
                "type": spec.type,
                "title": spec.title[:300],
                "description": spec.description,
                "service_id": spec.service_id,
                "requester_id": spec.requester_id,
                "team_id": spec.team_id,
                "impact": spec.impact,
                "urgency": spec.urgency,
                "priority": derive_priority(matrix, impact=spec.impact, urgency=spec.urgency),
                "priority_overridden": False,
                "tags": spec.tags,
                "major": False,
                "state": (State.ASSIGNED if spec.team_id is not None else State.NEW).value,
                "reopen_count": 0,
                "reassignment_count": 0,
                "version": 1,
                "opened_at": now,
                "updated_at": now,
            }
        )
    connection = session.connection()
    connection.execute(_INSERT_INCIDENTS, rows)
    numbers = {"numbers": [r["number"] for r in rows]}
    by_number = {str(n): int(i) for n, i in connection.execute(_IDS_BY_NUMBER, numbers)}
    ids = [int(by_number[str(row["number"])]) for row in rows]
    timeline = []
    for incident_id, spec, row in zip(ids, specs, rows, strict=True):
        changes = {
            key: [None, value]
            for key, value in {
                "title": row["title"],
                "type": spec.type,
                "customer": spec.customer_label,
                "service": spec.service_label,
                "team": spec.team_label,
                "requester": spec.requester_label,
                "impact": spec.impact,
                "urgency": spec.urgency,
                "priority": row["priority"],
                "state": row["state"],
            }.items()
            if value is not None
        }
        actor = spec.principal.actor
        timeline.append(
            {
                "incident_id": incident_id,
                "at": now,
                "actor_id": actor.user_id,
                "actor_label": actor.describe(),
                "kind": "created",
                "changes": changes,
                "message": spec.message,
                "internal": False,
            }
        )
        uow.record(
            "incident.created",
            "incident",
            incident_id,
            actor=actor,
            customer_id=spec.customer_id,
            at=now,
            number=row["number"],
            changes=changes,
            message=spec.message,
        )
    connection.execute(_INSERT_TIMELINE, timeline)
    return [(incident_id, str(row["number"])) for incident_id, row in zip(ids, rows, strict=True)]
