"""Use cases for a review's action items: add, change, mark done, and the lists of open
and overdue ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.roles import STAFF_ROLES, Permission, Role
from tocsin.auth.service import customer_by_slug, default_customer, user_by_ref
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id
from tocsin.core.paging import Page, check_limit, encode_cursor, offset_from
from tocsin.db.session import Database, UnitOfWork
from tocsin.reviews.models import ActionItem, Review
from tocsin.reviews.reads import render_items, review_by_ref, review_visible
from tocsin.reviews.schemas import ActionItemIn, ActionItemOut, ActionItemPatch
from tocsin.reviews.service import check_version


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class ActionItemService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _owner(self, session: Session, principal: Principal, review: Review, ref: str) -> int:
        """A staff member who works for the review's customer (its own or the provider's)."""
        try:
            user = user_by_ref(session, principal, ref)
        except NotFound:
            raise ValidationFailed(f"There is no user {ref!r}.", field="owner") from None
        serves = user.customer_id in (review.customer_id, default_customer(session).id)
        if Role(user.role) not in STAFF_ROLES or not user.active or not serves:
            raise ValidationFailed(
                f"{user.email} cannot own this action item; choose an active staff member "
                "of the incident's customer or of the service provider.",
                field="owner",
            )
        return user.id

    def _one(self, session: Session, item: ActionItem) -> ActionItemOut:
        return render_items(session, [item], self.clock.now().date())[0]

    def _record(
        self, uow: UnitOfWork, principal: Principal, review: Review, item: ActionItem, **data: Any
    ) -> None:
        uow.record(
            "review.action_item",
            "review",
            review.id,
            actor=principal.actor,
            customer_id=review.customer_id,
            at=self.clock.now(),
            item=item.id,
            **data,
        )

    def add(self, principal: Principal, review_ref: str, data: ActionItemIn) -> ActionItemOut:
        principal.require(Permission.REVIEW_WRITE)
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            review = review_by_ref(s, principal, review_ref, for_update=True)
            item = ActionItem(
                review_id=review.id,
                title=data.title,
                owner_id=self._owner(s, principal, review, data.owner) if data.owner else None,
                due_on=data.due,
                done=False,
                done_at=None,
                link=data.link or None,
                created_at=now,
                updated_at=now,
            )
            s.add(item)
            s.flush()
            self._record(uow, principal, review, item, change="added", title=item.title)
            return self._one(s, item)

    def patch(
        self,
        principal: Principal,
        ref: str,
        data: ActionItemPatch,
        *,
        if_match: int | None = None,
    ) -> ActionItemOut:
        principal.require(Permission.REVIEW_WRITE)
        given = data.model_fields_set
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            s = uow.session
            item, review = self._item(s, principal, ref, for_update=True)
            check_version("action item", item.version, if_match)
            changes: dict[str, Any] = {}
            if "title" in given:
                if data.title is None:
                    raise ValidationFailed("An action item needs a title.", field="title")
                changes["title"] = [item.title, data.title]
                item.title = data.title
            if "owner" in given:
                owner = self._owner(s, principal, review, data.owner) if data.owner else None
                changes["owner"] = [item.owner_id, owner]
                item.owner_id = owner
            if "due" in given:
                changes["due"] = [_iso(item.due_on), _iso(data.due)]
                item.due_on = data.due
            if "link" in given:
                item.link = data.link or None
                changes["link"] = item.link
            if "done" in given and data.done is not None and data.done != item.done:
                changes["done"] = [item.done, data.done]
                item.done = data.done
                item.done_at = now if data.done else None
            if changes:
                item.version += 1
                item.updated_at = now
                self._record(uow, principal, review, item, change="updated", changes=changes)
            return self._one(s, item)

    def _item(
        self, session: Session, principal: Principal, ref: str, *, for_update: bool = False
    ) -> tuple[ActionItem, Review]:
        ident = as_id(ref)
        if ident is None:
            raise NotFound(f"There is no action item {ref!r}; use its numeric id.")
        query = (
            select(ActionItem, Review)
            .join(Review, Review.id == ActionItem.review_id)
            .where(ActionItem.id == ident, review_visible(principal))
        )
        if for_update:
            query = query.with_for_update()
        row = session.execute(query).first()
        if row is None:
            raise NotFound(f"There is no action item {ref!r}.")
        return row[0], row[1]

    def of_review(self, principal: Principal, review_ref: str) -> Page[ActionItemOut]:
        principal.require(Permission.REVIEW_READ)
        with self.db.read() as s:
            review = review_by_ref(s, principal, review_ref)
            items = list(
                s.scalars(
                    select(ActionItem)
                    .where(ActionItem.review_id == review.id)
                    .order_by(ActionItem.id)
                )
            )
            out = render_items(s, items, self.clock.now().date())
            return Page(items=out, total=len(out), next=None)

    def list(
        self,
        principal: Principal,
        *,
        open: bool | None = None,
        overdue: bool | None = None,
        owner: str | None = None,
        customer: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ActionItemOut]:
        """Action items across reviews: the soonest due first (undated last)."""
        principal.require(Permission.REVIEW_READ)
        check_limit(limit)
        offset = offset_from(cursor)
        today = self.clock.now().date()
        with self.db.read() as s:
            query = (
                select(ActionItem)
                .join(Review, Review.id == ActionItem.review_id)
                .where(review_visible(principal))
            )
            if open is not None:
                query = query.where(ActionItem.done.is_(not open))
            if overdue is not None:
                late = ActionItem.done.is_(False) & (ActionItem.due_on < today)
                query = query.where(late if overdue else ~late | ActionItem.due_on.is_(None))
            if owner:
                if owner == "me":
                    owner_id = principal.user_id
                else:
                    try:
                        owner_id = user_by_ref(s, principal, owner).id
                    except NotFound:
                        raise ValidationFailed(
                            f"There is no user {owner!r}.", field="owner"
                        ) from None
                query = query.where(ActionItem.owner_id == owner_id)
            if customer:
                query = query.where(
                    Review.customer_id == customer_by_slug(s, principal, customer).id
                )
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = list(
                s.scalars(
                    query.order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
                    .offset(offset)
                    .limit(limit)
                )
            )
            items = render_items(s, rows, today)
            more = offset + len(items) < total
            return Page(
                items=items,
                total=total,
                next=encode_cursor([offset + len(items)]) if more else None,
            )
