"""Use cases for SLA policies, and which policy an incident falls under."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import customer_by_slug, default_customer, named_customer_id
from tocsin.catalog.models import Service
from tocsin.catalog.resolve import service_by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, NotFound, ValidationFailed
from tocsin.core.paging import Page
from tocsin.db.memo import per_transaction
from tocsin.db.session import Database, UnitOfWork
from tocsin.sla.lookup import calendar_by_slug, policy_by_slug
from tocsin.sla.models import BusinessCalendar, IncidentSla, SlaPolicy
from tocsin.sla.schemas import SlaPolicyIn, SlaPolicyOut, SlaPolicyPatch


def match_policy(
    session: Session, *, customer_id: int, service_id: int | None, priority: int
) -> SlaPolicy | None:
    """The enabled policy for this priority, the most specific first: the customer's for
    this service, then any for this service, then the customer's, then the provider's."""
    return per_transaction(
        session,
        ("sla_policy", customer_id, service_id, priority),
        lambda: _match_policy(
            session, customer_id=customer_id, service_id=service_id, priority=priority
        ),
    )


def _match_policy(
    session: Session, *, customer_id: int, service_id: int | None, priority: int
) -> SlaPolicy | None:
    specificity = case(
        (SlaPolicy.customer_id.is_not(None) & SlaPolicy.service_id.is_not(None), 3),
        (SlaPolicy.service_id.is_not(None), 2),
        (SlaPolicy.customer_id.is_not(None), 1),
        else_=0,
    )
    services: list[ColumnElement[bool]] = [SlaPolicy.service_id.is_(None)]
    if service_id is not None:
        services.append(SlaPolicy.service_id == service_id)
    return session.scalar(
        select(SlaPolicy)
        .where(
            SlaPolicy.enabled.is_(True),
            SlaPolicy.priority == priority,
            or_(SlaPolicy.customer_id.is_(None), SlaPolicy.customer_id == customer_id),
            or_(*services),
        )
        .order_by(specificity.desc(), SlaPolicy.id)
        .limit(1)
    )


class PolicyAdmin:
    def __init__(self, db: Database, clock: Clock, *, warn_at: float) -> None:
        self.db = db
        self.clock = clock
        self.warn_at = warn_at

    def out(self, session: Session, row: SlaPolicy) -> SlaPolicyOut:
        customer = session.get(Customer, row.customer_id) if row.customer_id else None
        service = session.get(Service, row.service_id) if row.service_id else None
        calendar = session.get(BusinessCalendar, row.calendar_id) if row.calendar_id else None
        return SlaPolicyOut(
            id=row.id,
            slug=row.slug,
            name=row.name,
            priority=row.priority,
            customer=customer.slug if customer else None,
            service=service.slug if service else None,
            calendar=calendar.slug if calendar else None,
            response_minutes=row.response_minutes,
            resolution_minutes=row.resolution_minutes,
            warn_at=row.warn_at if row.warn_at is not None else self.warn_at,
            escalate_on_breach=row.escalate_on_breach,
            enabled=row.enabled,
            created_at=row.created_at,
        )

    def _customer(self, s: Session, principal: Principal, slug: str | None) -> int | None:
        """The customer a new policy is for; None: the provider's, for every customer."""
        if slug:
            try:
                customer = customer_by_slug(s, principal, slug)
            except NotFound as exc:
                raise ValidationFailed(exc.detail, field="customer") from None
            return None if customer.id == default_customer(s).id else customer.id
        return None if principal.all_customers else principal.customer_id

    def _refs(
        self,
        s: Session,
        principal: Principal,
        row: SlaPolicy,
        *,
        calendar: str | None,
        service: str | None,
    ) -> None:
        context = row.customer_id or default_customer(s).id
        if service is not None:
            try:
                found = service_by_slug(s, principal, service, customer_id=context, field="service")
            except NotFound as exc:  # a reference in a body, not the address
                raise ValidationFailed(exc.detail, field="service") from None
            if row.customer_id is None and found.customer_id != default_customer(s).id:
                # a policy for one customer's service is that customer's policy
                row.customer_id = found.customer_id
            row.service_id = found.id
        row.calendar_id = (
            calendar_by_slug(s, principal, calendar, customer_id=context, field="calendar").id
            if calendar
            else None
        )

    def _check_unique(self, s: Session, row: SlaPolicy) -> None:
        same_owner = (
            SlaPolicy.customer_id.is_(None)
            if row.customer_id is None
            else SlaPolicy.customer_id == row.customer_id
        )
        others = select(SlaPolicy).where(same_owner, SlaPolicy.id != (row.id or 0))
        if s.scalar(others.where(SlaPolicy.slug == row.slug)):
            raise Conflict(f"There is already an SLA policy {row.slug!r} for this customer.")
        same_service = (
            SlaPolicy.service_id.is_(None)
            if row.service_id is None
            else SlaPolicy.service_id == row.service_id
        )
        clash = s.scalar(others.where(same_service, SlaPolicy.priority == row.priority))
        if clash is not None:
            raise Conflict(
                f"The SLA policy {clash.slug!r} already covers P{row.priority} for this "
                "customer and service; change that one, or name another service or customer."
            )

    def create(self, principal: Principal, data: SlaPolicyIn) -> SlaPolicyOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = SlaPolicy(
                customer_id=self._customer(s, principal, data.customer),
                slug=data.slug,
                name=data.name,
                priority=data.priority,
                response_minutes=data.response_minutes,
                resolution_minutes=data.resolution_minutes,
                warn_at=data.warn_at,
                escalate_on_breach=data.escalate_on_breach,
                enabled=data.enabled,
                created_at=self.clock.now(),
            )
            self._refs(s, principal, row, calendar=data.calendar, service=data.service)
            self._check_unique(s, row)
            s.add(row)
            s.flush()
            self._record(uow, principal, "sla_policy.created", row, **data.model_dump())
            return self.out(s, row)

    @staticmethod
    def _record(
        uow: UnitOfWork, principal: Principal, action: str, row: SlaPolicy, **data: Any
    ) -> None:
        uow.record(
            action, "sla_policy", row.id, actor=principal.actor, customer_id=row.customer_id, **data
        )

    def list(self, principal: Principal) -> Page[SlaPolicyOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(SlaPolicy).order_by(
                SlaPolicy.priority, SlaPolicy.slug, SlaPolicy.customer_id
            )
            if not principal.all_customers:
                query = query.where(SlaPolicy.customer_id == principal.customer_id)
            items = [self.out(s, row) for row in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get(self, principal: Principal, slug: str, *, customer: str | None = None) -> SlaPolicyOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            customer_id = named_customer_id(s, principal, customer)
            return self.out(s, policy_by_slug(s, principal, slug, customer_id=customer_id))

    def patch(
        self,
        principal: Principal,
        slug: str,
        data: SlaPolicyPatch,
        *,
        customer: str | None = None,
    ) -> SlaPolicyOut:
        principal.require(Permission.CATALOG_MANAGE)
        given = data.model_fields_set
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = named_customer_id(s, principal, customer)
            row = policy_by_slug(s, principal, slug, customer_id=customer_id)
            before = self.out(s, row).model_dump(mode="json")
            for name in ("name", "priority", "response_minutes", "resolution_minutes"):
                if name in given and getattr(data, name) is not None:
                    setattr(row, name, getattr(data, name))
            for name in ("escalate_on_breach", "enabled"):
                if name in given and getattr(data, name) is not None:
                    setattr(row, name, getattr(data, name))
            if "warn_at" in given:
                row.warn_at = data.warn_at
            if given & {"calendar", "service"}:
                if "service" in given and data.service is None:
                    row.service_id = None
                current = s.get(BusinessCalendar, row.calendar_id) if row.calendar_id else None
                self._refs(
                    s,
                    principal,
                    row,
                    calendar=data.calendar
                    if "calendar" in given
                    else (current.slug if current else None),
                    service=data.service if "service" in given else None,
                )
            self._check_unique(s, row)
            s.flush()
            after = self.out(s, row).model_dump(mode="json")
            changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
            if changes:
                self._record(uow, principal, "sla_policy.updated", row, changes=changes)
            return self.out(s, row)

    def delete(self, principal: Principal, slug: str, *, customer: str | None = None) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = named_customer_id(s, principal, customer)
            row = policy_by_slug(s, principal, slug, customer_id=customer_id)
            used = s.scalar(
                select(func.count()).select_from(IncidentSla).where(IncidentSla.policy_id == row.id)
            )
            if used:
                raise Conflict(
                    f"The SLA policy {row.slug!r} holds the SLA clocks of {used} incident(s); "
                    'disable it instead ("enabled": false), so no new incident falls under it.'
                )
            self._record(uow, principal, "sla_policy.deleted", row, slug=row.slug)
            s.delete(row)
