"""From a calendar's or SLA policy's slug to the one row it means for this caller, by the
rule every slug unique per customer follows (`tocsin.auth.slugs.by_slug`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.slugs import by_slug
from tocsin.sla.models import BusinessCalendar, SlaPolicy


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
    return by_slug(
        session,
        principal,
        BusinessCalendar,
        "calendar",
        slug,
        customer_id=customer_id,
        field=field,
        shared_serves_tenants=True,
    )


def policy_by_slug(
    session: Session, principal: Principal, slug: str, *, customer_id: int | None = None
) -> SlaPolicy:
    """An SLA policy by slug; the provider's own have no customer."""
    return by_slug(
        session,
        principal,
        SlaPolicy,
        "SLA policy",
        slug,
        customer_id=customer_id,
        shared_is_null=True,
    )
