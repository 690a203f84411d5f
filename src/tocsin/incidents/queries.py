"""Reading incidents: visibility scope, lookup by id or number, filtered keyset pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.service import named_customer_id, user_by_ref
from tocsin.catalog.resolve import service_by_slug, team_by_slug
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id, is_number
from tocsin.core.paging import encode_cursor, moment_and_id_from
from tocsin.core.times import filter_time
from tocsin.incidents.lifecycle import OPEN_STATE_VALUES, OPEN_STATES, State
from tocsin.incidents.models import Incident, IncidentShare
from tocsin.incidents.priority import parse_priority

STATE_ALIASES: dict[str, list[State]] = {
    # Same order as the partial indexes' predicate, so SQLite recognises it.
    "open": [State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD],
    "done": [State.RESOLVED, State.CLOSED, State.CANCELLED],
}
assert set(STATE_ALIASES["open"]) == OPEN_STATES


def visible(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition for incidents the principal may see at all."""
    conditions: list[ColumnElement[bool]] = []
    if not principal.all_customers:
        conditions.append(Incident.customer_id == principal.customer_id)
    if principal.is_requester:
        shared = exists().where(
            IncidentShare.incident_id == Incident.id,
            IncidentShare.user_id == principal.user_id,
        )
        conditions.append(or_(Incident.requester_id == principal.user_id, shared))
    return and_(True, *conditions)


def incident_by_ref(
    session: Session, principal: Principal, ref: str, *, for_update: bool = False
) -> Incident:
    """An incident by numeric id or number (INC0001234); 404 when not visible."""
    text = ref.strip().upper()
    ident = as_id(text)
    if ident is not None:
        condition = Incident.id == ident
    elif text.startswith("INC") and is_number(text[3:]):
        condition = Incident.number == text
    elif is_number(text):  # a number no row can have (0, or past MAX_ID)
        raise NotFound(f"There is no incident {ref!r}.")
    else:
        raise NotFound(f"There is no incident {ref!r}; use its id or its number (INC0001234).")
    query = select(Incident).where(condition, visible(principal))
    if for_update:
        query = query.with_for_update()
    incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"There is no incident {ref!r}.")
    return incident


def parse_states(value: str) -> list[State]:
    states: list[State] = []
    for part in value.split(","):
        name = part.strip().lower()
        if name in STATE_ALIASES:
            states.extend(STATE_ALIASES[name])
            continue
        try:
            states.append(State(name))
        except ValueError:
            names = ", ".join([*STATE_ALIASES, *(s.value for s in State)])
            raise ValidationFailed(
                f"state {name!r} is unknown; use one or more (comma-separated) of {names}",
                field="state",
            ) from None
    return list(dict.fromkeys(states))


def parse_priorities(value: str) -> list[int]:
    try:
        return sorted({parse_priority(p) for p in value.split(",")})
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="priority") from None


@dataclass(slots=True)
class IncidentFilter:
    state: str | None = None
    priority: str | None = None
    customer: str | None = None
    team: str | None = None
    assignee: str | None = None
    service: str | None = None
    requester: str | None = None
    type: str | None = None
    major: bool | None = None
    q: str | None = None
    opened_after: datetime | None = None
    opened_before: datetime | None = None
    conditions: list[ColumnElement[bool]] = field(default_factory=list)


def _ref_condition(
    session: Session, principal: Principal, filters: IncidentFilter
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filters.state:
        states = parse_states(filters.state)
        # Inlined, not bound: SQLite uses a partial index only when it can see that the
        # query's literal states imply the index's WHERE clause. The values are enum members.
        values = [s.value for s in states]
        out.append(
            Incident.state.in_(bindparam("states", values, expanding=True, literal_execute=True))
        )
    if filters.priority:
        out.append(Incident.priority.in_(parse_priorities(filters.priority)))
    # The customer filtered on also picks the team or service among those sharing a slug.
    customer_id = named_customer_id(session, principal, filters.customer)
    if customer_id is not None:
        out.append(Incident.customer_id == customer_id)
    if filters.team:
        out.append(
            Incident.team_id.is_(None)
            if filters.team == "none"
            else Incident.team_id
            == team_by_slug(session, principal, filters.team, customer_id=customer_id).id
        )
    if filters.assignee:
        if filters.assignee == "none":
            out.append(Incident.assignee_id.is_(None))
        elif filters.assignee == "me":
            out.append(Incident.assignee_id == principal.user_id)
        else:
            out.append(Incident.assignee_id == _user_id(session, principal, filters.assignee))
    if filters.requester:
        ref = principal.email if filters.requester == "me" else filters.requester
        out.append(Incident.requester_id == _user_id(session, principal, ref))
    if filters.service:
        service = service_by_slug(session, principal, filters.service, customer_id=customer_id)
        out.append(Incident.service_id == service.id)
    if filters.type:
        out.append(Incident.type == filters.type)
    if filters.major is not None:
        out.append(Incident.major.is_(filters.major))
    if filters.q:
        text = filters.q.strip()
        if text.upper().startswith("INC") and text[3:].isdecimal():
            out.append(Incident.number == text.upper())
        else:
            like = (
                "%"
                + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            out.append(
                or_(
                    func.lower(Incident.title).like(like, escape="\\"),
                    func.lower(Incident.description).like(like, escape="\\"),
                )
            )
    zone = principal.time_zone
    if filters.opened_after:
        after = filter_time(filters.opened_after, zone, field="opened_after")
        out.append(Incident.opened_at >= after)
    if filters.opened_before:
        before = filter_time(filters.opened_before, zone, field="opened_before")
        out.append(Incident.opened_at < before)
    return out


def _user_id(session: Session, principal: Principal, ref: str) -> int:
    return user_by_ref(session, principal, ref).id


def page_query(
    session: Session,
    principal: Principal,
    filters: IncidentFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Select[Incident], Select[int]]:
    """The page query (newest first, keyset) and the matching count query."""
    try:
        conditions = [visible(principal), *_ref_condition(session, principal, filters)]
    except NotFound as exc:
        # An unknown filter value is a mistake in the request, not a missing resource.
        raise ValidationFailed(exc.detail) from None
    count_query = select(func.count()).select_from(Incident).where(*conditions)
    page = select(Incident).where(*conditions)
    if cursor:
        opened, last_id = moment_and_id_from(cursor)
        page = page.where(
            or_(
                Incident.opened_at < opened,
                and_(Incident.opened_at == opened, Incident.id < last_id),
            )
        )
    page = page.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit + 1)
    return page, count_query


def next_cursor(rows: list[Incident], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor([last.opened_at.isoformat(), last.id])


def still_unacknowledged(session: Session, incident_ids: list[int]) -> set[int]:
    """Which of these incidents are open and unacknowledged: a delayed page of the others
    is skipped."""
    return set(
        session.scalars(
            select(Incident.id).where(
                Incident.id.in_(incident_ids),
                Incident.acknowledged_at.is_(None),
                Incident.state.in_(OPEN_STATE_VALUES),
            )
        )
    )


def open_per_service(session: Session, principal: Principal) -> dict[int, int]:
    """How many open incidents each service has (services with none are absent)."""
    rows = session.execute(
        select(Incident.service_id, func.count())
        .where(
            visible(principal),
            Incident.service_id.is_not(None),
            Incident.state.in_(OPEN_STATE_VALUES),
        )
        .group_by(Incident.service_id)
    ).all()
    return {int(service_id): int(n) for service_id, n in rows if service_id is not None}
