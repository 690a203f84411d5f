"""Reading incidents: visibility scope, lookup by id or number, filtered keyset pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tocsin.auth.principal import Principal
from tocsin.auth.service import named_customer_id, user_by_ref
from tocsin.catalog.resolve import service_by_slug, team_by_slug
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id, is_number
from tocsin.core.paging import encode_cursor, keyset_from, moment_and_id_from
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


# What a list may be sorted by: the column and its Python type (for the cursor). Each
# sort is keyset-paged on (column, id) and has an index that starts with the column
# (models.Incident; ix_incidents_number is unique, so number needs no tiebreak).
SORT_COLUMNS: dict[str, tuple[InstrumentedAttribute[Any], type]] = {
    "number": (Incident.number, str),
    "priority": (Incident.priority, int),
    "state": (Incident.state, str),
    "opened_at": (Incident.opened_at, datetime),
    "updated_at": (Incident.updated_at, datetime),
}
DEFAULT_SORT = "-opened_at"


@dataclass(frozen=True, slots=True)
class Sort:
    """One column, ascending or descending ("priority", "-opened_at")."""

    key: str
    descending: bool

    @property
    def text(self) -> str:
        return ("-" if self.descending else "") + self.key

    @property
    def is_default(self) -> bool:
        return self.text == DEFAULT_SORT


def parse_sort(value: str | None) -> Sort:
    text = (value or "").strip() or DEFAULT_SORT
    key = text.removeprefix("-")
    if key not in SORT_COLUMNS:
        names = ", ".join(SORT_COLUMNS)
        raise ValidationFailed(
            f"sort {text[:40]!r} is unknown; use one of {names}, with a leading - for "
            "descending order (e.g. -opened_at, the newest first).",
            field="sort",
        )
    return Sort(key, text.startswith("-"))


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
    sort: Sort | None = None,
) -> tuple[Select[Incident], Select[int]]:
    """The page query (keyset; newest first unless `sort` says otherwise) and the matching
    count query."""
    sort = sort or parse_sort(None)
    try:
        conditions = [visible(principal), *_ref_condition(session, principal, filters)]
    except NotFound as exc:
        # An unknown filter value is a mistake in the request, not a missing resource.
        raise ValidationFailed(exc.detail) from None
    count_query = select(func.count()).select_from(Incident).where(*conditions)
    page = select(Incident).where(*conditions)
    column, kind = SORT_COLUMNS[sort.key]
    unique = sort.key == "number"
    if cursor:
        if sort.is_default:
            # The default sort's cursor keeps its original form: links handed out stay valid.
            value, last_id = moment_and_id_from(cursor)
        else:
            value, last_id = keyset_from(cursor, sort.text, kind)
        beyond = column < value if sort.descending else column > value
        after_id = Incident.id < last_id if sort.descending else Incident.id > last_id
        page = page.where(beyond if unique else or_(beyond, and_(column == value, after_id)))
    order = [column.desc() if sort.descending else column.asc()]
    if not unique:
        order.append(Incident.id.desc() if sort.descending else Incident.id.asc())
    page = page.order_by(*order).limit(limit + 1)
    return page, count_query


def next_cursor(rows: list[Incident], limit: int, sort: Sort | None = None) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    sort = sort or parse_sort(None)
    if sort.is_default:
        return encode_cursor([last.opened_at.isoformat(), last.id])
    value = getattr(last, sort.key)
    return encode_cursor(
        [sort.text, value.isoformat() if isinstance(value, datetime) else value, last.id]
    )


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
