"""The reads behind the figures: each respects the principal's customers through
incidents.queries.visible, the one visibility rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.incidents.lifecycle import State
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import STATE_ALIASES, visible
from tocsin.reports.timing import TimingRow
from tocsin.sla.models import IncidentSla

OPEN = [s.value for s in STATE_ALIASES["open"]]
RESOLVED = [State.RESOLVED.value, State.CLOSED.value]


def _state_in(values: list[str]) -> ColumnElement[bool]:
    # Literal, not bound: SQLite uses the partial indexes of open incidents only when it
    # can see the states in the statement (see incidents.queries).
    return Incident.state.in_(bindparam("states", values, expanding=True, literal_execute=True))


@dataclass(frozen=True, slots=True)
class OpenCount:
    state: str
    priority: int
    count: int
    unassigned: int
    major: int


def open_counts(session: Session, principal: Principal) -> list[OpenCount]:
    """Open incidents the principal sees, counted by state and priority (one statement)."""
    rows = session.execute(
        select(
            Incident.state,
            Incident.priority,
            func.count(),
            func.sum(case((Incident.assignee_id.is_(None), 1), else_=0)),
            func.sum(case((Incident.major.is_(True), 1), else_=0)),
        )
        .where(visible(principal), _state_in(OPEN))
        .group_by(Incident.state, Incident.priority)
    ).all()
    return [
        OpenCount(
            state=str(state),
            priority=int(priority),
            count=int(count),
            unassigned=int(unassigned or 0),
            major=int(major or 0),
        )
        for state, priority, count, unassigned, major in rows
    ]


def timing_rows(session: Session, principal: Principal, since: datetime) -> list[TimingRow]:
    """The incidents MTTA and MTTR are computed over: those opened since `since` and
    acknowledged, and those resolved (resolved or closed now) since `since`. Two
    statements, each on its own index, each reading only the times it needs: converting
    thousands of stored times is most of the cost."""
    # Plain rows: run as Core statements, without the ORM's per-row loading.
    connection = session.connection()
    acknowledged = connection.execute(
        select(Incident.id, Incident.opened_at, Incident.acknowledged_at).where(
            visible(principal),
            Incident.opened_at >= since,
            Incident.acknowledged_at.is_not(None),
        )
    ).all()
    resolved = connection.execute(
        select(Incident.id, Incident.opened_at, Incident.resolved_at).where(
            visible(principal), _state_in(RESOLVED), Incident.resolved_at >= since
        )
    ).all()
    resolved_at = {ident: at for ident, _, at in resolved}
    rows = [
        TimingRow(opened_at=opened, acknowledged_at=at, resolved_at=resolved_at.pop(ident, None))
        for ident, opened, at in acknowledged
    ]
    rows.extend(
        TimingRow(opened_at=opened, acknowledged_at=None, resolved_at=at)
        for ident, opened, at in resolved
        if ident in resolved_at
    )
    return rows


def sla_watch_candidates(
    session: Session, principal: Principal, now: datetime
) -> list[tuple[int, str, str, int]]:
    """Open incidents whose SLA may be at risk or breached: a warning or breach recorded,
    or one due that the engine has not noticed yet. Their state is decided by the SLA
    package's own rule (sla.reads.sla_of) on this short list. (id, number, title, priority)"""
    rows = session.execute(
        select(Incident.id, Incident.number, Incident.title, Incident.priority)
        .join(IncidentSla, IncidentSla.incident_id == Incident.id)
        .where(
            visible(principal),
            _state_in(OPEN),
            IncidentSla.policy_id.is_not(None),
            or_(
                IncidentSla.response_warned_at.is_not(None),
                IncidentSla.resolution_warned_at.is_not(None),
                IncidentSla.response_breached_at.is_not(None),
                IncidentSla.resolution_breached_at.is_not(None),
                IncidentSla.next_check_at <= now,
            ),
        )
    ).all()
    return [(int(i), str(n), str(t), int(p)) for i, n, t, p in rows]
