"""Use cases for post-incident reviews: start one for a resolved incident, edit, publish,
regenerate its timeline, export it, and find the reviews still owed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import customer_by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, StaleVersion, ValidationFailed
from tocsin.core.paging import Page, check_limit, encode_cursor, offset_from
from tocsin.db.session import Database, UnitOfWork
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref, visible
from tocsin.reviews.markdown import to_markdown
from tocsin.reviews.models import Review
from tocsin.reviews.reads import generate, render_reviews, review_by_ref, review_visible
from tocsin.reviews.rules import REVIEWABLE_STATES, ReviewPolicy, ReviewState
from tocsin.reviews.schemas import SECTIONS, MissingReviewOut, ReviewIn, ReviewOut, ReviewPatch


def check_version(what: str, version: int, if_match: int | None) -> None:
    if if_match is not None and if_match != version:
        raise StaleVersion(
            f"The {what} changed since you read it (you sent version {if_match}, it is now "
            f"at version {version}); reload it and apply your change again."
        )


class ReviewService:
    def __init__(self, db: Database, clock: Clock, *, policy: ReviewPolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    def _out(self, session: Session, review: Review) -> ReviewOut:
        return render_reviews(session, [review], self.policy, self.clock.now().date())[0]

    def _record(
        self, uow: UnitOfWork, principal: Principal, review: Review, action: str, **data: Any
    ) -> None:
        uow.record(
            f"review.{action}",
            "review",
            review.id,
            actor=principal.actor,
            customer_id=review.customer_id,
            at=self.clock.now(),
            **data,
        )

    # write -------------------------------------------------------------------------------

    def create(self, principal: Principal, data: ReviewIn) -> ReviewOut:
        """A draft review of a resolved or closed incident, its timeline generated."""
        principal.require(Permission.REVIEW_WRITE)
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            incident = incident_by_ref(s, principal, data.incident, for_update=True)
            if incident.state not in REVIEWABLE_STATES:
                raise Conflict(
                    f"{incident.number} is {incident.state.replace('_', ' ')}; a review looks "
                    "back on a resolved or closed incident. Resolve it first."
                )
            existing = s.scalar(select(Review.id).where(Review.incident_id == incident.id))
            if existing is not None:
                raise Conflict(f"{incident.number} already has a review (id {existing}).")
            review = Review(
                incident_id=incident.id,
                customer_id=incident.customer_id,
                state=ReviewState.DRAFT,
                timeline=generate(s, incident).to_json(),
                generated_at=now,
                author_id=principal.user_id or None,
                created_at=now,
                updated_at=now,
                published_at=None,
            )
            s.add(review)
            try:
                s.flush()
            except IntegrityError:  # a simultaneous start won the unique incident_id
                raise Conflict(f"{incident.number} already has a review.") from None
            self._record(uow, principal, review, "created", incident=incident.number)
            return self._out(s, review)

    def patch(
        self, principal: Principal, ref: str, data: ReviewPatch, *, if_match: int | None = None
    ) -> ReviewOut:
        principal.require(Permission.REVIEW_WRITE)
        given = data.model_fields_set
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            review = review_by_ref(s, principal, ref, for_update=True)
            check_version("review", review.version, if_match)
            changed: dict[str, Any] = {}
            sections = [n for n, _ in SECTIONS if n in given and getattr(data, n) is not None]
            target = data.state if "state" in given and data.state is not None else None
            if (
                sections
                and review.state == ReviewState.PUBLISHED
                and target
                in (
                    None,
                    ReviewState.PUBLISHED,
                )
            ):
                raise Conflict(
                    "This review is published; move it back to draft or in review to edit it."
                )
            # The audit entry names the sections changed; their text stays in the review.
            edited = [n for n in sections if getattr(data, n) != getattr(review, n)]
            for name in edited:
                setattr(review, name, getattr(data, name))
            if edited:
                changed["sections"] = edited
            if target is not None and target != review.state:
                changed["state"] = [review.state, target]
                review.state = target
                review.published_at = now if target == ReviewState.PUBLISHED else None
            if changed:
                review.version += 1
                review.updated_at = now
                action = (
                    "published"
                    if review.state == ReviewState.PUBLISHED and ("state" in changed)
                    else "updated"
                )
                self._record(uow, principal, review, action, changes=changed)
            return self._out(s, review)

    def regenerate(
        self, principal: Principal, ref: str, *, if_match: int | None = None
    ) -> ReviewOut:
        """Generate the timeline again from the incident as it is now (a draft or a review
        in review only: a published review keeps what it was published with)."""
        principal.require(Permission.REVIEW_WRITE)
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            review = review_by_ref(s, principal, ref, for_update=True)
            check_version("review", review.version, if_match)
            if review.state == ReviewState.PUBLISHED:
                raise Conflict(
                    "This review is published; move it back to draft to regenerate its timeline."
                )
            incident = s.get(Incident, review.incident_id)
            assert incident is not None
            review.timeline = generate(s, incident).to_json()
            review.generated_at = now
            review.version += 1
            review.updated_at = now
            self._record(uow, principal, review, "regenerated")
            return self._out(s, review)

    # read --------------------------------------------------------------------------------

    def get(self, principal: Principal, ref: str) -> ReviewOut:
        principal.require(Permission.REVIEW_READ)
        with self.db.read() as s:
            return self._out(s, review_by_ref(s, principal, ref))

    def for_incident(self, principal: Principal, incident_id: int) -> ReviewOut | None:
        principal.require(Permission.REVIEW_READ)
        with self.db.read() as s:
            review = s.scalar(
                select(Review).where(Review.incident_id == incident_id, review_visible(principal))
            )
            return None if review is None else self._out(s, review)

    def markdown(self, principal: Principal, ref: str) -> tuple[str, str]:
        """The review as Markdown, and a file name for it."""
        review = self.get(principal, ref)
        return to_markdown(review), f"review-{review.incident}.md"

    def required(self, *, priority: int, major: bool) -> bool:
        return self.policy.required(priority=priority, major=major)

    def list(
        self,
        principal: Principal,
        *,
        state: str | None = None,
        customer: str | None = None,
        required: bool | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[ReviewOut]:
        """Reviews, drafts first, then in review, then published; newest first within."""
        principal.require(Permission.REVIEW_READ)
        check_limit(limit)
        offset = offset_from(cursor)
        with self.db.read() as s:
            query = select(Review).where(review_visible(principal))
            if state:
                states = [p.strip() for p in state.split(",") if p.strip()]
                bad = [p for p in states if p not in ReviewState.ALL]
                if bad:
                    raise ValidationFailed(
                        f"state {bad[0]!r} is unknown; use {', '.join(ReviewState.ALL)}.",
                        field="state",
                    )
                query = query.where(Review.state.in_(states))
            if customer:
                query = query.where(
                    Review.customer_id == customer_by_slug(s, principal, customer).id
                )
            if required is not None:
                rule = self.policy.required_clause(Incident.priority, Incident.major)
                query = query.join(Incident, Incident.id == Review.incident_id).where(
                    rule if required else ~rule
                )
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rank = case(
                (Review.state == ReviewState.DRAFT, 0),
                (Review.state == ReviewState.IN_REVIEW, 1),
                else_=2,
            )
            rows = list(
                s.scalars(
                    query.order_by(rank, Review.updated_at.desc(), Review.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            )
            more = offset + len(rows) < total
            return Page(
                items=render_reviews(s, rows, self.policy, self.clock.now().date()),
                total=total,
                next=encode_cursor([offset + len(rows)]) if more else None,
            )

    def missing(
        self,
        principal: Principal,
        *,
        customer: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[MissingReviewOut]:
        """Resolved or closed incidents the rule requires a review of that have no
        published one, the longest-resolved first."""
        principal.require(Permission.REVIEW_READ)
        check_limit(limit)
        offset = offset_from(cursor)
        with self.db.read() as s:
            query = (
                select(Incident, Review.id, Review.state, Customer.slug)
                .join(Customer, Customer.id == Incident.customer_id)
                .outerjoin(Review, Review.incident_id == Incident.id)
                .where(
                    visible(principal),
                    Incident.state.in_(sorted(REVIEWABLE_STATES)),
                    self.policy.required_clause(Incident.priority, Incident.major),
                    or_(Review.id.is_(None), Review.state != ReviewState.PUBLISHED),
                )
            )
            if customer:
                query = query.where(
                    Incident.customer_id == customer_by_slug(s, principal, customer).id
                )
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = s.execute(
                query.order_by(Incident.resolved_at, Incident.id).offset(offset).limit(limit)
            ).all()
            items = [
                MissingReviewOut(
                    incident=i.number,
                    incident_id=i.id,
                    title=i.title,
                    priority=i.priority,
                    major=i.major,
                    customer=slug,
                    resolved_at=i.resolved_at,
                    review=review_id,
                    review_state=review_state,
                )
                for i, review_id, review_state, slug in rows
            ]
            more = offset + len(items) < total
            return Page(
                items=items,
                total=total,
                next=encode_cursor([offset + len(items)]) if more else None,
            )
