"""The incident record, its notes, its timeline, who it is shared with, and its links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base
from tocsin.db.durations import seconds_between
from tocsin.incidents.lifecycle import OPEN_STATES_SQL


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # The console's default queues: open work of a team / an assignee / a customer,
        # newest first. Partial indexes keep them small when most history is closed.
        # priority last: the queue's priority filter and its count are answered from the
        # index alone.
        Index(
            "ix_incidents_open_team",
            "team_id",
            "opened_at",
            "id",
            "priority",
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        Index(
            "ix_incidents_open_customer",
            "customer_id",
            "opened_at",
            "id",
            "priority",
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        # The dashboard's count of open work by state and priority, from the index alone.
        Index(
            "ix_incidents_open_matrix",
            "state",
            "priority",
            "customer_id",
            "assignee_id",
            "major",
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        Index("ix_incidents_team_opened", "team_id", "opened_at", "id"),
        Index("ix_incidents_customer_opened", "customer_id", "opened_at", "id"),
        Index("ix_incidents_assignee_opened", "assignee_id", "opened_at", "id"),
        Index("ix_incidents_requester", "requester_id"),
        Index("ix_incidents_state_opened", "state", "opened_at", "id"),
        Index("ix_incidents_opened", "opened_at", "id"),
        Index("ix_incidents_resolved_state", "state", "resolved_at"),
        # The queue's other sorts, keyset-paged on (column, id); the open queue sorted by
        # priority is the common one, so it has a partial index of its own.
        Index(
            "ix_incidents_open_priority",
            "priority",
            "id",
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        Index("ix_incidents_priority", "priority", "id"),
        Index("ix_incidents_updated", "updated_at", "id"),
        Index("ix_incidents_state_id", "state", "id"),
        # Reports: the window's incidents with every column they filter, group or measure
        # by, so a report is a range scan of this index alone (migration 0024).
        Index(
            "ix_incidents_reporting",
            "opened_at",
            "customer_id",
            "team_id",
            "service_id",
            "category_id",
            "priority",
            "acknowledged_at",
            "resolved_at",
            "reopen_count",
            "reassignment_count",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    type: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    subcategory_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    impact: Mapped[int]
    urgency: Mapped[int]
    priority: Mapped[int]
    priority_overridden: Mapped[bool] = mapped_column(default=False)
    priority_reason: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    major: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))
    hold_reason: Mapped[str | None] = mapped_column(String(32))
    resolution_code: Mapped[str | None] = mapped_column(String(32))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(default=0)
    reassignment_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def _durations_index(name: str, end: Any) -> Index:
    """MTTA / MTTR: the durations in order, with the columns a report filters by, so a
    median or a 90th percentile is a walk of this index to its rank, not a sort of every
    duration (reports.sql.walked_total). Partial: an incident gets its entry when it is
    acknowledged / resolved, so opening one (the ingest path) does not write here."""
    where = end.is_not(None)
    return Index(
        name,
        seconds_between(Incident.opened_at, end),
        Incident.opened_at,
        end,
        Incident.customer_id,
        Incident.team_id,
        Incident.service_id,
        Incident.priority,
        sqlite_where=where,
        postgresql_where=where,
    )


_durations_index("ix_incidents_ack_seconds", Incident.acknowledged_at)
_durations_index("ix_incidents_resolve_seconds", Incident.resolved_at)


class SavedView(Base):
    """A user's named queue: the filters and sort of the console's queue, as a query
    string; shared ones are listed for every staff member of the owner's customer."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime]


class IncidentShare(Base):
    """A requester (other than the requester of record) who may follow the incident."""

    __tablename__ = "incident_shares"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class IncidentNote(Base):
    """A comment (visible to the requester) or a work note (internal, staff only)."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool]
    created_at: Mapped[datetime]


class TimelineEntry(Base):
    """One change on an incident: who, what (field: before -> after), when."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(default=False)


class IncidentLink(Base):
    """A link from one incident to another: related, a duplicate of it, or caused by it.

    Stored once, from the incident it was made on; both incidents show it. A pair has at
    most one link of each kind (the service also refuses the same kind the other way round).
    """

    __tablename__ = "incident_links"
    __table_args__ = (UniqueConstraint("incident_id", "linked_incident_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    linked_incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
