"""From a team's or service's slug to the one object it means for this caller and customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.service import default_customer, named_customer_id, owning_customer_id
from tocsin.catalog.models import Service, Team
from tocsin.core.errors import NotFound, ValidationFailed

T = TypeVar("T", Team, Service)


def team_by_slug(
    session: Session,
    principal: Principal,
    slug: str,
    *,
    customer_id: int | None = None,
    field: str | None = None,
) -> Team:
    """The team `slug` names; see `_resolve` for the rule."""
    return _resolve(session, principal, Team, "team", slug, customer_id, field)


def service_by_slug(
    session: Session,
    principal: Principal,
    slug: str,
    *,
    customer_id: int | None = None,
    field: str | None = None,
) -> Service:
    """The service `slug` names; see `_resolve` for the rule."""
    return _resolve(session, principal, Service, "service", slug, customer_id, field)


def service_and_customer(
    session: Session, principal: Principal, service: str | None, customer: str | None
) -> tuple[Service | None, int]:
    """The service a new record names and the customer it belongs to: the customer named
    picks the service among those sharing its slug; without one, the service decides the
    customer (else the caller's own)."""
    found = (
        service_by_slug(
            session,
            principal,
            service,
            customer_id=named_customer_id(session, principal, customer),
            field="service",
        )
        if service
        else None
    )
    customer_id = owning_customer_id(
        session,
        principal,
        slug=customer,
        service_customer_id=found.customer_id if found else None,
    )
    return found, customer_id


def _resolve(
    session: Session,
    principal: Principal,
    model: type[T],
    kind: str,
    slug: str,
    customer_id: int | None,
    field: str | None,
) -> T:
    """Slugs are unique per customer, so one slug may name several objects.

    A tenant's staff and requesters resolve within their own customer only: any other
    customer's object is answered as absent (404). The provider's staff resolve with the
    context customer when there is one (`customer_id`: the record's customer, or the one
    the request names), preferring that customer's object, then the provider's own (which
    serves every customer); failing both, the object is not there for that customer (422
    naming `field` for a reference in a request body, 404 for the object of the address).
    Without context they get the only match, or the provider's own among several;
    otherwise they are asked to name the customer (422).
    """
    rows: Sequence[T] = session.scalars(
        select(model).where(model.slug == slug).order_by(model.customer_id)
    ).all()
    if not principal.all_customers:
        rows = [r for r in rows if r.customer_id == principal.customer_id]
        if not rows:
            raise NotFound(f"There is no {kind} {slug!r}.")
        return rows[0]
    if customer_id is not None:
        by_customer = {r.customer_id: r for r in rows}
        found = by_customer.get(customer_id) or by_customer.get(default_customer(session).id)
        if found is not None:
            return found
        customer = session.get(Customer, customer_id)
        assert customer is not None
        detail = f"There is no {kind} {slug!r} for customer {customer.slug}."
        if field is not None:
            raise ValidationFailed(detail, field=field)
        raise NotFound(detail)
    if not rows:
        raise NotFound(f"There is no {kind} {slug!r}.")
    if len(rows) == 1:
        return rows[0]
    provider_id = default_customer(session).id
    for row in rows:
        if row.customer_id == provider_id:
            return row
    owners = session.scalars(
        select(Customer.slug)
        .where(Customer.id.in_([r.customer_id for r in rows]))
        .order_by(Customer.slug)
    ).all()
    raise ValidationFailed(
        f"Customers {', '.join(owners)} each have a {kind} {slug!r}; name the customer "
        f"(customer={owners[0]}).",
        field="customer",
    )
