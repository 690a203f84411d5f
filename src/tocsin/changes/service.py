"""Use cases for change records: record one (a person, or a sender's batch), list them, and
the recent changes of an incident's service."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.models import Integration
from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id
from tocsin.catalog.models import Service
from tocsin.catalog.resolve import service_and_customer, service_by_slug
from tocsin.changes.models import Change
from tocsin.changes.rules import check_link, recent_window
from tocsin.changes.schemas import ChangeIn, ChangeOut
from tocsin.core.bounded import storable_data
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.events import Actor
from tocsin.core.ids import as_id
from tocsin.core.paging import Page, check_limit, encode_cursor, moment_and_id_from
from tocsin.db.session import Database, UnitOfWork
from tocsin.incidents.queries import incident_by_ref
from tocsin.integrations.changes import ChangeEvent

MAX_SEARCH = 200
RECENT_LIMIT = 50  # an incident shows at most this many of its service's recent changes


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ChangeService:
    def __init__(self, db: Database, clock: Clock, *, recent_hours: float = 24.0) -> None:
        self.db = db
        self.clock = clock
        self.recent_hours = recent_hours

    # writes ---------------------------------------------------------------------------

    def record(self, principal: Principal, data: ChangeIn) -> ChangeOut:
        """A change a person (or a script with their token) records."""
        principal.require(Permission.CHANGE_RECORD)
        with self.db.unit_of_work() as uow:
            s = uow.session
            service, customer_id = service_and_customer(s, principal, data.service, data.customer)
            row = self._add(
                uow,
                principal.actor,
                customer_id=customer_id,
                service_id=service.id if service else None,
                event=ChangeEvent(
                    summary=data.summary,
                    at=data.at or self.clock.now(),
                    source=data.source.strip() or "manual",
                    link=data.link,
                    details=data.details,
                ),
                created_by_id=principal.user_id or None,
            )
            return self._out(s, row)

    def record_from(
        self, integration: IntegrationRef, events: Sequence[ChangeEvent]
    ) -> builtins.list[ChangeOut]:
        """A sender's changes, all in one transaction or none (ValidationFailed names the
        first bad one, its field prefixed with its place in a batch)."""
        actor = system_principal(
            default_customer_id=integration.customer_id, name=f"integration:{integration.name}"
        ).actor
        with self.db.unit_of_work() as uow:
            s = uow.session
            rows = []
            for index, event in enumerate(events):
                where = f"[{index}]." if len(events) > 1 else ""
                service_id = integration.service_id
                if event.service is not None:
                    service_id = s.scalar(
                        select(Service.id).where(
                            Service.customer_id == integration.customer_id,
                            Service.slug == event.service,
                        )
                    )
                    if service_id is None:
                        raise ValidationFailed(
                            f"There is no service {event.service!r} for this integration's "
                            "customer; name one of its services by slug.",
                            field=f"{where}service",
                        )
                if event.link is not None:
                    try:
                        check_link(event.link)
                    except ValueError as exc:
                        raise ValidationFailed(
                            str(exc)[:1].upper() + str(exc)[1:] + ".", field=f"{where}link"
                        ) from None
                rows.append(
                    self._add(
                        uow,
                        actor,
                        customer_id=integration.customer_id,
                        service_id=service_id,
                        event=event,
                        integration_id=integration.id,
                    )
                )
            return [self._out(s, row) for row in rows]

    def _add(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        customer_id: int,
        service_id: int | None,
        event: ChangeEvent,
        created_by_id: int | None = None,
        integration_id: int | None = None,
    ) -> Change:
        row = Change(
            customer_id=customer_id,
            service_id=service_id,
            summary=event.summary,
            source=event.source,
            link=event.link,
            at=event.at,
            details=storable_data(event.details),
            integration_id=integration_id,
            created_by_id=created_by_id,
            created_at=self.clock.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(
            "change.recorded",
            "change",
            row.id,
            actor=actor,
            customer_id=customer_id,
            service_id=service_id,
            summary=event.summary,
            source=event.source,
            changed_at=event.at.isoformat(),
        )
        return row

    # reads ----------------------------------------------------------------------------

    def list(
        self,
        principal: Principal,
        *,
        service: str | None = None,
        since: datetime | None = None,
        customer: str | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ChangeOut]:
        """Changes, newest first (by when they happened), a page at a time."""
        principal.require(Permission.CHANGE_READ)
        check_limit(limit)
        if since is not None and since.utcoffset() is None:
            raise ValidationFailed(
                "since must carry its time zone (an offset or Z).", field="since"
            )
        with self.db.read() as s:
            where = self._conditions(s, principal, service, since, customer, q)
            total = s.scalar(select(func.count(Change.id)).where(*where)) or 0
            query = select(Change).where(*where)
            if cursor:
                at, ident = moment_and_id_from(cursor)
                query = query.where(or_(Change.at < at, (Change.at == at) & (Change.id < ident)))
            rows = s.scalars(
                query.order_by(Change.at.desc(), Change.id.desc()).limit(limit + 1)
            ).all()
            items = [self._out(s, row) for row in rows[:limit]]
            last = rows[limit - 1] if len(rows) > limit else None
            return Page(
                items=items,
                total=total,
                next=encode_cursor([last.at.isoformat(), last.id]) if last else None,
            )

    def get(self, principal: Principal, change_id: int | str) -> ChangeOut:
        principal.require(Permission.CHANGE_READ)
        with self.db.read() as s:
            ident = as_id(change_id)
            row = s.get(Change, ident) if ident is not None else None
            if row is None or not principal.sees_customer(row.customer_id):
                raise NotFound(f"There is no change {change_id}.")
            return self._out(s, row)

    def recent_for_incident(self, principal: Principal, incident: str) -> builtins.list[ChangeOut]:
        """The changes of the incident's service from `recent_hours` before it opened up to
        now, newest first (none when it has no service)."""
        principal.require(Permission.CHANGE_READ)
        with self.db.read() as s:
            found = incident_by_ref(s, principal, incident)
            if found.service_id is None:
                return []
            start, end = recent_window(found.opened_at, self.clock.now(), self.recent_hours)
            rows = s.scalars(
                select(Change)
                .where(
                    Change.service_id == found.service_id,
                    Change.customer_id == found.customer_id,
                    Change.at >= start,
                    Change.at <= end,
                )
                .order_by(Change.at.desc(), Change.id.desc())
                .limit(RECENT_LIMIT)
            ).all()
            return [self._out(s, row) for row in rows]

    @staticmethod
    def _conditions(
        s: Session,
        principal: Principal,
        service: str | None,
        since: datetime | None,
        customer: str | None,
        q: str | None,
    ) -> builtins.list[ColumnElement[bool]]:
        out: builtins.list[ColumnElement[bool]] = []
        if not principal.all_customers:
            out.append(Change.customer_id == principal.customer_id)
        customer_id = named_customer_id(s, principal, customer) if customer else None
        if customer_id is not None:
            out.append(Change.customer_id == customer_id)
        if service:
            found = service_by_slug(s, principal, service, customer_id=customer_id, field="service")
            out.append(Change.service_id == found.id)
        if since is not None:
            out.append(Change.at >= since)
        if q and q.strip():
            like = _like(q.strip()[:MAX_SEARCH])
            out.append(
                or_(
                    func.lower(Change.summary).like(like, escape="\\"),
                    func.lower(Change.source).like(like, escape="\\"),
                )
            )
        return out

    @staticmethod
    def _out(s: Session, row: Change) -> ChangeOut:
        customer = s.get(Customer, row.customer_id)
        service = s.get(Service, row.service_id) if row.service_id else None
        integration = s.get(Integration, row.integration_id) if row.integration_id else None
        user = s.get(User, row.created_by_id) if row.created_by_id else None
        return ChangeOut(
            id=row.id,
            customer=customer.slug if customer else "?",
            service=service.slug if service else None,
            summary=row.summary,
            source=row.source,
            link=row.link,
            at=row.at,
            details=row.details,
            integration=integration.name if integration else None,
            created_by=user.email if user else None,
            created_at=row.created_at,
        )
