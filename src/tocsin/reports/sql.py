"""The statements behind the reports: filters, groupings and durations in SQL, so the
database aggregates and only small results (or one float per incident) come back.

Durations (tocsin.db.durations) and calendar buckets are dialect-specific expressions
(SQLite stores times as UTC text; PostgreSQL as timestamptz); everything else is plain
SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.catalog.models import Category, Service, Team
from tocsin.db.durations import seconds_between
from tocsin.incidents.lifecycle import State
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import visible
from tocsin.problems.models import Problem, ProblemIncident, ProblemService
from tocsin.reports.definitions import Filters
from tocsin.reports.queries import OPEN, _state_in
from tocsin.reports.statistics import (
    AGE_BUCKETS,
    Summary,
    ranked_summary,
    summarise,
)
from tocsin.sla.models import IncidentSla

NONE_LABEL = "(none)"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def calendar_bucket(session: Session, column: Any, interval: str) -> ColumnElement[str]:
    """The UTC day (YYYY-MM-DD), week (its Monday, YYYY-MM-DD) or month (YYYY-MM)."""
    if _dialect(session) == "sqlite":
        if interval == "month":
            return func.strftime("%Y-%m", column)
        if interval == "week":
            return func.date(column, "-6 days", "weekday 1")
        return func.date(column)
    utc = func.timezone("UTC", column)
    if interval == "month":
        return func.to_char(utc, "YYYY-MM")
    if interval == "week":
        return func.to_char(func.date_trunc("week", utc), "YYYY-MM-DD")
    return func.to_char(utc, "YYYY-MM-DD")


def _slug_ids(model: type[Team] | type[Service] | type[Customer], slug: str) -> Any:
    return select(model.id).where(model.slug == slug).scalar_subquery()


def incident_scope(
    principal: Principal, filters: Filters, *, window: bool = True
) -> list[ColumnElement[bool]]:
    """The incidents a report covers: visible to the principal, opened in the window,
    matching the filters."""
    conditions: list[ColumnElement[bool]] = [visible(principal)]
    if window:
        conditions += [Incident.opened_at >= filters.start, Incident.opened_at < filters.end]
    if filters.customer is not None:
        conditions.append(Incident.customer_id.in_(_slug_ids(Customer, filters.customer)))
    if filters.team is not None:
        conditions.append(Incident.team_id.in_(_slug_ids(Team, filters.team)))
    if filters.service is not None:
        conditions.append(Incident.service_id.in_(_slug_ids(Service, filters.service)))
    if filters.priority is not None:
        conditions.append(Incident.priority == filters.priority)
    return conditions


def _grouped(session: Session, query: Any, by: str | None, *, group: bool = True) -> Any:
    """Adds the grouping key (last column) and the join it needs; `group`: GROUP BY it."""
    key: Any
    if by is None:
        key = literal(None, String)
    elif by == "team":
        key = Team.slug
        query = query.outerjoin(Team, Team.id == Incident.team_id)
    elif by == "service":
        key = Service.slug
        query = query.outerjoin(Service, Service.id == Incident.service_id)
    elif by == "customer":
        key = Customer.slug
        query = query.join(Customer, Customer.id == Incident.customer_id)
    elif by == "category":
        key = Category.name
        query = query.outerjoin(Category, Category.id == Incident.category_id)
    elif by == "priority":
        key = Incident.priority
    else:
        key = calendar_bucket(session, Incident.opened_at, by)
    query = query.add_columns(key.label("group_key"))
    return query.group_by(key) if group and by is not None else query


def durations(
    session: Session,
    principal: Principal,
    filters: Filters,
    end_column: Any,
    *,
    by: str | None,
) -> list[tuple[Any, ...]]:
    """(count, skipped, mean, median, p90, group key) of `end_column - opened_at` per
    group, over the incidents of the window with `end_column` set, as
    reports.statistics.summarise defines them (negative durations skipped); none when no
    incident counts.

    Ungrouped over many incidents, the figures come from the duration indexes
    (walked_total). Otherwise PostgreSQL computes them itself: percentile_cont(0.5) is
    the median (the mean of the two middle values) and percentile_disc(0.9) the
    nearest-rank p90. SQLite has no ordered-set aggregates and its window functions
    measured slower than sorting the fetched values (bench/reports.py), so there one
    float per incident comes back."""
    if by is None:
        walked = walked_total(session, principal, filters, end_column)
        if walked is not None:
            return walked
    seconds = seconds_between(Incident.opened_at, end_column)
    scope = [*incident_scope(principal, filters), end_column.is_not(None)]
    if _dialect(session) == "sqlite":
        values = _grouped(session, select(seconds).where(*scope), by, group=False)
        groups: dict[Any, list[float]] = {}
        for value, key in session.connection().execute(values):
            groups.setdefault(key, []).append(value)
        return [(*_cells(summarise(found)), key) for key, found in groups.items()]
    kept = seconds >= 0
    query = select(
        func.count().filter(kept),
        func.count().filter(seconds < 0),
        func.avg(seconds).filter(kept),
        func.percentile_cont(0.5).within_group(seconds).filter(kept),
        func.percentile_disc(0.9).within_group(seconds).filter(kept),
    ).where(*scope)
    rows = session.execute(_grouped(session, query, by)).all()
    return [tuple(row) for row in rows if row[0] or row[1]]


# Past this many kept durations, the ungrouped figures walk the duration index to each
# rank (cost bounded by the index, whatever the window) rather than order the values
# (cost growing with the window; cheaper for a small one).
WALK_FROM = 100_000


def walked_total(
    session: Session, principal: Principal, filters: Filters, end_column: Any
) -> list[tuple[Any, ...]] | None:
    """The ungrouped row of `durations` for a window of more than WALK_FROM kept
    durations; None for a smaller one. Count and mean are a range of the duration index
    (models: ix_incidents_ack_seconds, ix_incidents_resolve_seconds); the median and the
    90th percentile each a walk of it, in order, to its rank. The session must read one
    snapshot (Database.snapshot), so that the ranks counted exist."""
    seconds = seconds_between(Incident.opened_at, end_column)
    scope = [*incident_scope(principal, filters), end_column.is_not(None)]
    count, mean = session.execute(
        select(func.count(), func.avg(seconds)).where(*scope, seconds >= 0)
    ).one()
    if count <= WALK_FROM:
        return None
    negative = _rare(session, seconds < 0)
    skipped = session.execute(select(func.count()).where(*scope, negative)).scalar_one()
    in_order = durations_in_order(principal, filters, end_column)

    def values_from(rank: int, n: int) -> Sequence[float]:
        return list(session.execute(in_order.offset(rank - 1).limit(n)).scalars())

    return [(*_cells(ranked_summary(count, skipped, mean, values_from)), None)]


def _rare(session: Session, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, said to be rare to SQLite's planner: it keeps no statistics on ranges
    of an expression, and would rather test the condition on every incident of the window
    than look it up in the expression's index."""
    if _dialect(session) == "sqlite":
        # untyped: a Boolean would be compared with 1, which hides the hint
        hinted: ColumnElement[bool] = func.likelihood(condition, literal_column("0.001"))
        return hinted
    return condition


def durations_in_order(principal: Principal, filters: Filters, end_column: Any) -> Any:
    """The kept durations of the window, smallest first (what walked_total walks)."""
    seconds = seconds_between(Incident.opened_at, end_column)
    scope = [*incident_scope(principal, filters), end_column.is_not(None)]
    return select(seconds).where(*scope, seconds >= 0).order_by(seconds)


def _cells(summary: Summary) -> tuple[Any, ...]:
    return (summary.count, summary.skipped, summary.mean, summary.median, summary.p90)


def sla_counts(session: Session, principal: Principal, filters: Filters) -> Sequence[Row[Any]]:
    """(clocks, response met, response breached, resolution met, resolution breached,
    key)."""

    def met(met_at: Any, breached_at: Any) -> Any:
        return func.sum(case((and_(met_at.is_not(None), breached_at.is_(None)), 1), else_=0))

    def breached(breached_at: Any) -> Any:
        return func.sum(case((breached_at.is_not(None), 1), else_=0))

    query = (
        select(
            func.count(),
            met(IncidentSla.response_met_at, IncidentSla.response_breached_at),
            breached(IncidentSla.response_breached_at),
            met(IncidentSla.resolution_met_at, IncidentSla.resolution_breached_at),
            breached(IncidentSla.resolution_breached_at),
        )
        .select_from(Incident)
        .join(IncidentSla, IncidentSla.incident_id == Incident.id)
        .where(*incident_scope(principal, filters))
    )
    query = _grouped(session, query, filters.by)
    return session.execute(query).all()


def incident_counts(session: Session, principal: Principal, filters: Filters) -> Sequence[Row[Any]]:
    """(incidents, reopened, resolved, reassignments, reassigned, key) per group."""
    query = select(
        func.count(),
        # reopened among the resolved, so the rate's numerator is part of its denominator
        func.sum(
            case(((Incident.reopen_count > 0) & Incident.resolved_at.is_not(None), 1), else_=0)
        ),
        func.sum(case((Incident.resolved_at.is_not(None), 1), else_=0)),
        func.sum(Incident.reassignment_count),
        func.sum(case((Incident.reassignment_count > 0, 1), else_=0)),
    ).where(*incident_scope(principal, filters))
    query = _grouped(session, query, filters.by)
    return session.execute(query).all()


def backlog(
    session: Session, principal: Principal, filters: Filters, at: datetime, now: datetime
) -> Sequence[Row[Any]]:
    """(bucket, count, oldest opened_at) of the incidents open at `at`."""
    conditions = incident_scope(principal, filters, window=False)
    if at >= now:
        # Open now is the current state; the open-state indexes answer it.
        conditions.append(_state_in(OPEN))
    else:
        conditions += [
            Incident.opened_at < at,
            Incident.state != State.CANCELLED.value,
            or_(Incident.resolved_at.is_(None), Incident.resolved_at >= at),
            or_(Incident.closed_at.is_(None), Incident.closed_at >= at),
        ]
    whens = [
        (Incident.opened_at > at - lower, label) for (label, _), (_, lower) in pairwise(AGE_BUCKETS)
    ]
    bucket = case(*whens, else_=AGE_BUCKETS[-1][0])
    query = (
        select(bucket, func.count(), func.min(Incident.opened_at))
        .where(*conditions)
        .group_by(bucket)
    )
    return session.execute(query).all()


def volume(session: Session, principal: Principal, filters: Filters) -> Sequence[Row[Any]]:
    """(bucket, count, key) per interval bucket (and group)."""
    bucket = calendar_bucket(session, Incident.opened_at, filters.interval)
    query = select(bucket, func.count()).where(*incident_scope(principal, filters))
    query = _grouped(session, query, filters.by)
    return session.execute(query.group_by(bucket)).all()


def categories(session: Session, principal: Principal, filters: Filters) -> Sequence[Row[Any]]:
    """(count, category name) of the window's incidents."""
    query = select(func.count()).select_from(Incident).where(*incident_scope(principal, filters))
    query = _grouped(session, query, "category")
    return session.execute(query).all()


def problems(session: Session, principal: Principal, filters: Filters) -> Sequence[Row[Any]]:
    """(state, seconds to root cause or None, linked incidents, key) per problem."""
    conditions: list[ColumnElement[bool]] = [
        Problem.opened_at >= filters.start,
        Problem.opened_at < filters.end,
    ]
    if not principal.all_customers:
        conditions.append(Problem.customer_id == principal.customer_id)
    if filters.customer is not None:
        conditions.append(Problem.customer_id.in_(_slug_ids(Customer, filters.customer)))
    if filters.priority is not None:
        conditions.append(Problem.priority == filters.priority)
    service_join = filters.service is not None or filters.by == "service"
    linked = (
        select(func.count())
        .where(ProblemIncident.problem_id == Problem.id)
        .correlate(Problem)
        .scalar_subquery()
    )
    query = select(
        Problem.state,
        seconds_between(Problem.opened_at, Problem.root_cause_at),
        linked,
    ).where(*conditions)
    if service_join:
        query = query.outerjoin(ProblemService, ProblemService.problem_id == Problem.id)
        query = query.outerjoin(Service, Service.id == ProblemService.service_id)
    if filters.service is not None:
        query = query.where(Service.slug == filters.service)
    key: Any
    if filters.by is None:
        key = literal(None, String)
    elif filters.by == "service":
        key = Service.slug
    elif filters.by == "customer":
        key = Customer.slug
        query = query.join(Customer, Customer.id == Problem.customer_id)
    elif filters.by == "category":
        key = Category.name
        query = query.outerjoin(Category, Category.id == Problem.category_id)
    elif filters.by == "priority":
        key = Problem.priority
    else:
        key = calendar_bucket(session, Problem.opened_at, filters.by)
    return session.execute(query.add_columns(key)).all()


def slug_exists(session: Session, principal: Principal, kind: str, slug: str) -> bool:
    """Whether a customer / team / service with this slug exists among those the
    principal sees."""
    model: type[Team] | type[Service] | type[Customer] = {
        "customer": Customer,
        "team": Team,
        "service": Service,
    }[kind]  # type: ignore[assignment]
    query = select(model.id).where(model.slug == slug)
    if not principal.all_customers:
        owner = Customer.id if model is Customer else model.customer_id  # type: ignore[union-attr]
        query = query.where(owner == principal.customer_id)
    return session.execute(query.limit(1)).first() is not None
