"""Use cases for business-hours calendars: create, list, read, change, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id, owning_customer_id
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, NotFound, ValidationFailed
from tocsin.core.paging import Page
from tocsin.db.session import Database
from tocsin.sla.business_hours import Calendar
from tocsin.sla.lookup import calendar_by_slug
from tocsin.sla.models import BusinessCalendar, SlaPolicy
from tocsin.sla.schemas import CalendarIn, CalendarOut, CalendarPatch
from tocsin.sla.specs import CalendarSpecError, HolidaySpec, build_calendar


def checked_calendar(time_zone: str, hours: dict[str, Any], holidays: HolidaySpec) -> Calendar:
    """The calendar a body describes, or a 422 naming what is wrong with it."""
    try:
        return build_calendar(time_zone, hours, holidays)
    except CalendarSpecError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None


def customer_id_in_body(session: Session, principal: Principal, slug: str | None) -> int:
    try:
        return owning_customer_id(session, principal, slug=slug, service_customer_id=None)
    except NotFound as exc:
        raise ValidationFailed(exc.detail, field="customer") from None


class CalendarAdmin:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    @staticmethod
    def out(session: Session, row: BusinessCalendar) -> CalendarOut:
        customer = session.get(Customer, row.customer_id)
        assert customer is not None
        return CalendarOut(
            id=row.id,
            slug=row.slug,
            name=row.name,
            customer=customer.slug,
            time_zone=row.time_zone,
            hours=row.hours,
            holidays=row.holidays,
            created_at=row.created_at,
        )

    def create(self, principal: Principal, data: CalendarIn) -> CalendarOut:
        principal.require(Permission.CATALOG_MANAGE)
        checked_calendar(data.time_zone, data.hours, data.holidays)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = customer_id_in_body(s, principal, data.customer)
            if s.scalar(
                select(BusinessCalendar.id).where(
                    BusinessCalendar.customer_id == customer_id, BusinessCalendar.slug == data.slug
                )
            ):
                customer = s.get(Customer, customer_id)
                assert customer is not None
                raise Conflict(f"Customer {customer.slug} already has a calendar {data.slug!r}.")
            row = BusinessCalendar(
                customer_id=customer_id,
                slug=data.slug,
                name=data.name or data.slug,
                time_zone=data.time_zone,
                hours=data.hours,
                holidays=data.holidays,
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            uow.record(
                "calendar.created",
                "calendar",
                row.id,
                actor=principal.actor,
                customer_id=customer_id,
                slug=row.slug,
                time_zone=row.time_zone,
                hours=row.hours,
                holidays=row.holidays,
            )
            return self.out(s, row)

    def list(self, principal: Principal) -> Page[CalendarOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(BusinessCalendar).order_by(
                BusinessCalendar.slug, BusinessCalendar.customer_id
            )
            if not principal.all_customers:
                query = query.where(BusinessCalendar.customer_id == principal.customer_id)
            items = [self.out(s, row) for row in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get(self, principal: Principal, slug: str, *, customer: str | None = None) -> CalendarOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            row = calendar_by_slug(
                s, principal, slug, customer_id=named_customer_id(s, principal, customer)
            )
            return self.out(s, row)

    def patch(
        self, principal: Principal, slug: str, data: CalendarPatch, *, customer: str | None = None
    ) -> CalendarOut:
        principal.require(Permission.CATALOG_MANAGE)
        given = data.model_fields_set
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = calendar_by_slug(
                s, principal, slug, customer_id=named_customer_id(s, principal, customer)
            )
            time_zone = data.time_zone if data.time_zone is not None else row.time_zone
            hours = data.hours if data.hours is not None else row.hours
            holidays = data.holidays if "holidays" in given else row.holidays
            checked_calendar(time_zone, hours, holidays)
            after: dict[str, Any] = {
                "name": data.name or row.name,
                "time_zone": time_zone,
                "hours": hours,
                "holidays": holidays,
            }
            changes = {
                name: [getattr(row, name), value]
                for name, value in after.items()
                if getattr(row, name) != value
            }
            for name, value in after.items():
                setattr(row, name, value)
            if changes:
                uow.record(
                    "calendar.updated",
                    "calendar",
                    row.id,
                    actor=principal.actor,
                    customer_id=row.customer_id,
                    changes=changes,
                )
            s.flush()
            return self.out(s, row)

    def delete(self, principal: Principal, slug: str, *, customer: str | None = None) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = calendar_by_slug(
                s, principal, slug, customer_id=named_customer_id(s, principal, customer)
            )
            users = s.scalars(
                select(SlaPolicy.slug)
                .where(SlaPolicy.calendar_id == row.id)
                .order_by(SlaPolicy.slug)
            ).all()
            if users:
                raise Conflict(
                    f"The calendar {row.slug!r} is used by the SLA policies {', '.join(users)}; "
                    "give them another calendar first."
                )
            uow.record(
                "calendar.deleted",
                "calendar",
                row.id,
                actor=principal.actor,
                customer_id=row.customer_id,
                slug=row.slug,
            )
            s.delete(row)
