"""From a team's or service's slug to the one object it means for this caller and customer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.service import named_customer_id, owning_customer_id
from tocsin.auth.slugs import by_slug
from tocsin.catalog.models import Service, Team


def team_by_slug(
    session: Session,
    principal: Principal,
    slug: str,
    *,
    customer_id: int | None = None,
    field: str | None = None,
) -> Team:
    """The team `slug` names, by the rule of `tocsin.auth.slugs.by_slug`."""
    return by_slug(
        session,
        principal,
        Team,
        "team",
        slug,
        customer_id=customer_id,
        field=field,
        unseen_is_404=True,
    )


def service_by_slug(
    session: Session,
    principal: Principal,
    slug: str,
    *,
    customer_id: int | None = None,
    field: str | None = None,
) -> Service:
    """The service `slug` names, by the rule of `tocsin.auth.slugs.by_slug`."""
    return by_slug(
        session,
        principal,
        Service,
        "service",
        slug,
        customer_id=customer_id,
        field=field,
        unseen_is_404=True,
    )


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
