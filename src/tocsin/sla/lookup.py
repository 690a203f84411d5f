"""From a calendar's or SLA policy's slug to the one row it means for this caller, by the
rule the catalog's slugs follow (catalog/resolve.py): a tenant's staff reach their own
customer's rows (and, as a policy's calendar, the provider's); the provider's staff
prefer the context customer's row, then the provider's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.service import default_customer
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.sla.models import BusinessCalendar, SlaPolicy

T = TypeVar("T", BusinessCalendar, SlaPolicy)


def calendar_by_slug(
    session: Session,
    principal: Principal,
    slug: str,
    *,
    customer_id: int | None = None,
    field: str | None = None,
) -> BusinessCalendar:
    """A calendar by slug. As a policy's reference (`field` given), the provider's own
    calendars serve every customer."""
    provider = default_customer(session).id
    return _pick(
        session, principal, BusinessCalendar, "calendar", slug, customer_id, field, provider
    )


def policy_by_slug(
    session: Session, principal: Principal, slug: str, *, customer_id: int | None = None
) -> SlaPolicy:
    """An SLA policy by slug; the provider's own have no customer."""
    return _pick(session, principal, SlaPolicy, "SLA policy", slug, customer_id, None, None)


def _pick(
    session: Session,
    principal: Principal,
    model: type[T],
    kind: str,
    slug: str,
    customer_id: int | None,
    field: str | None,
    provider: int | None,
) -> T:
    rows: Sequence[T] = session.scalars(select(model).where(model.slug == slug)).all()
    owned: dict[int | None, T] = {r.customer_id: r for r in rows}

    def missing(detail: str) -> Exception:
        return ValidationFailed(detail, field=field) if field else NotFound(detail)

    if not principal.all_customers:
        found = owned.get(principal.customer_id)
        if found is None and field is not None:
            found = owned.get(provider)
        if found is None:
            raise missing(f"There is no {kind} {slug!r}.")
        return found
    if customer_id is not None:
        found = owned.get(customer_id) or owned.get(provider)
        if found is None:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            raise missing(f"There is no {kind} {slug!r} for customer {customer.slug}.")
        return found
    if provider in owned:
        return owned[provider]
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise missing(f"There is no {kind} {slug!r}.")
    owners = session.scalars(
        select(Customer.slug).where(Customer.id.in_(list(owned))).order_by(Customer.slug)
    ).all()
    raise ValidationFailed(
        f"Customers {', '.join(owners)} each have a {kind} {slug!r}; name the customer "
        f"(customer={owners[0]}).",
        field="customer",
    )
