"""Loading reviews within a principal's customers, and rendering them (shared by the
reviews and action items use cases)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from tocsin.alerts.models import Alert
from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal
from tocsin.core.errors import NotFound
from tocsin.core.ids import as_id
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.reviews.models import ActionItem, Review
from tocsin.reviews.rules import ReviewPolicy
from tocsin.reviews.schemas import ActionItemOut, GeneratedOut, ReviewOut
from tocsin.reviews.timeline import Entry, IncidentFacts, Summary, summarise

# A note's or alert's text in the generated timeline: enough to recognise it, not all of it.
_MESSAGE_CHARS = 500


def review_visible(principal: Principal) -> ColumnElement[bool]:
    """Reviews of the customers the principal works for (the incident's customer)."""
    if principal.all_customers:
        return and_(True)
    return Review.customer_id == principal.customer_id


def review_by_ref(
    session: Session, principal: Principal, ref: str | int, *, for_update: bool = False
) -> Review:
    ident = as_id(ref)
    if ident is None:
        raise NotFound(f"There is no review {ref!r}; use its numeric id.")
    query = select(Review).where(Review.id == ident, review_visible(principal))
    if for_update:
        query = query.with_for_update()
    review = session.scalar(query)
    if review is None:
        raise NotFound(f"There is no review {ref!r}.")
    return review


def generate(session: Session, incident: Incident) -> Summary:
    """The generated part of the incident's review, from what the database holds now."""
    facts = IncidentFacts(
        number=incident.number,
        title=incident.title,
        priority=incident.priority,
        major=incident.major,
        state=incident.state,
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
    )
    entries = [
        Entry(at=e.at, kind=e.kind, actor=e.actor_label, message=e.message[:_MESSAGE_CHARS])
        for e in session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident.id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    ]
    alerts = [
        Entry(
            at=a.first_seen_at,
            kind="alert",
            actor=a.source or "",
            message=a.summary[:_MESSAGE_CHARS],
        )
        for a in session.scalars(
            select(Alert).where(Alert.incident_id == incident.id).order_by(Alert.first_seen_at)
        )
    ]
    return summarise(facts, entries, alerts)


def is_overdue(item: ActionItem, today: date) -> bool:
    return not item.done and item.due_on is not None and item.due_on < today


def _emails(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def render_items(
    session: Session, items: list[ActionItem], today: date, numbers: dict[int, str] | None = None
) -> list[ActionItemOut]:
    owners = _emails(session, {i.owner_id for i in items})
    if numbers is None:
        rows = session.execute(
            select(Review.id, Incident.number)
            .join(Incident, Incident.id == Review.incident_id)
            .where(Review.id.in_({i.review_id for i in items}))
        )
        numbers = {row[0]: row[1] for row in rows}
    return [
        ActionItemOut(
            id=i.id,
            review=i.review_id,
            incident=numbers.get(i.review_id, ""),
            title=i.title,
            owner=owners.get(i.owner_id) if i.owner_id else None,
            due=i.due_on,
            done=i.done,
            done_at=i.done_at,
            overdue=is_overdue(i, today),
            link=i.link,
            version=i.version,
        )
        for i in items
    ]


def render_reviews(
    session: Session, reviews: list[Review], policy: ReviewPolicy, today: date
) -> list[ReviewOut]:
    """Reviews as the API shows them; a page of them in a fixed number of queries."""
    if not reviews:
        return []
    incidents = {
        i.id: i
        for i in session.scalars(
            select(Incident).where(Incident.id.in_({r.incident_id for r in reviews}))
        )
    }
    slugs = {
        row[0]: row[1]
        for row in session.execute(
            select(Customer.id, Customer.slug).where(
                Customer.id.in_({r.customer_id for r in reviews})
            )
        )
    }
    numbers = {r.id: incidents[r.incident_id].number for r in reviews}
    flat = list(
        session.scalars(
            select(ActionItem).where(ActionItem.review_id.in_(numbers)).order_by(ActionItem.id)
        )
    )
    rendered: dict[int, list[ActionItemOut]] = {r.id: [] for r in reviews}
    for item in render_items(session, flat, today, numbers):
        rendered[item.review].append(item)
    authors = _emails(session, {r.author_id for r in reviews})
    out = []
    for review in reviews:
        incident = incidents[review.incident_id]
        generated: dict[str, Any] = review.timeline
        out.append(
            ReviewOut(
                id=review.id,
                incident=incident.number,
                incident_id=incident.id,
                incident_title=incident.title,
                priority=incident.priority,
                major=incident.major,
                customer=slugs[review.customer_id],
                state=review.state,
                required=policy.required(priority=incident.priority, major=incident.major),
                summary=review.summary,
                impact=review.impact,
                root_cause=review.root_cause,
                went_well=review.went_well,
                went_wrong=review.went_wrong,
                lessons=review.lessons,
                generated=GeneratedOut.model_validate(generated),
                generated_at=review.generated_at,
                author=authors.get(review.author_id) if review.author_id else None,
                version=review.version,
                created_at=review.created_at,
                updated_at=review.updated_at,
                published_at=review.published_at,
                action_items=rendered[review.id],
            )
        )
    return out
