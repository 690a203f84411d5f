"""What paging needs to know of an incident, read in one query for a batch of them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tocsin.auth.models import Customer, User
from tocsin.catalog.models import Service, Team
from tocsin.incidents.lifecycle import OPEN_STATE_VALUES
from tocsin.incidents.models import Incident


@dataclass(frozen=True, slots=True)
class IncidentSnapshot:
    id: int
    number: str
    title: str
    priority: int
    state: str
    hold_reason: str | None
    customer_id: int
    customer: str
    service_id: int | None
    service: str | None
    team_id: int | None
    team: str | None
    assignee_id: int | None
    assignee: str | None
    opened_at: datetime
    acknowledged_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATE_VALUES

    def as_message(self, url: str) -> dict[str, Any]:
        """The incident as a notification shows it (Message.incident)."""
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "priority": self.priority,
            "state": self.state,
            "customer": self.customer,
            "service": self.service,
            "team": self.team,
            "assignee": self.assignee,
            "opened_at": self.opened_at.isoformat(),
            "url": url,
        }


def load_snapshots(session: Session, ids: Collection[int]) -> dict[int, IncidentSnapshot]:
    if not ids:
        return {}
    assignee = aliased(User)
    rows = session.execute(
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            Incident.priority,
            Incident.state,
            Incident.hold_reason,
            Incident.customer_id,
            Customer.slug.label("customer"),
            Incident.service_id,
            Service.slug.label("service"),
            Incident.team_id,
            Team.slug.label("team"),
            Incident.assignee_id,
            assignee.email.label("assignee"),
            Incident.opened_at,
            Incident.acknowledged_at,
        )
        .join(Customer, Customer.id == Incident.customer_id)
        .outerjoin(Service, Service.id == Incident.service_id)
        .outerjoin(Team, Team.id == Incident.team_id)
        .outerjoin(assignee, assignee.id == Incident.assignee_id)
        .where(Incident.id.in_(list(ids)))
    )
    return {row.id: IncidentSnapshot(**row._asdict()) for row in rows}
