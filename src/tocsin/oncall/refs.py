"""From the names people write (e-mails, slugs) to the rows they mean, for one customer.

Teams and services belong to the catalog, which sits above on-call in the layers; the
few columns read here are named as plain tables so that on-call does not import it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import ASSIGNABLE_ROLES, Role
from tocsin.auth.service import default_customer
from tocsin.core.errors import ValidationFailed

TEAMS = sa.table(
    "teams",
    sa.column("id"),
    sa.column("slug"),
    sa.column("customer_id"),
    sa.column("escalation_policy_id"),
)
SERVICES = sa.table(
    "services", sa.column("id"), sa.column("slug"), sa.column("escalation_policy_id")
)


def owned_by(session: Session, customer_id: int) -> set[int]:
    """The customers whose objects a record of `customer_id` may name: its own, and the
    provider's (whose people and schedules serve every customer)."""
    return {customer_id, default_customer(session).id}


def customer_slug(session: Session, customer_id: int) -> str:
    customer = session.get(Customer, customer_id)
    assert customer is not None
    return customer.slug


def on_call_user(
    session: Session, principal: Principal, email: str, *, customer_id: int, field: str
) -> User:
    """A user who may be on call (or paged) for a record of `customer_id`."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not principal.sees_customer(user.customer_id):
        raise ValidationFailed(f"There is no user {email}.", field=field)
    if user.customer_id not in owned_by(session, customer_id):
        raise ValidationFailed(
            f"{email} belongs to customer {customer_slug(session, user.customer_id)}; a "
            f"record of customer {customer_slug(session, customer_id)} can only name its own "
            "users or the provider's.",
            field=field,
        )
    if Role(user.role) not in ASSIGNABLE_ROLES:
        raise ValidationFailed(
            f"{email} is a {user.role}; only admins, managers and agents can be on call.",
            field=field,
        )
    return user


def team_id_by_slug(session: Session, slug: str, *, customer_id: int, field: str) -> int:
    """A team a policy of `customer_id` may page: its customer's, else the provider's."""
    rows = session.execute(
        select(TEAMS.c.id, TEAMS.c.customer_id).where(TEAMS.c.slug == slug)
    ).all()
    found = {row.customer_id: row.id for row in rows}
    for owner in (customer_id, default_customer(session).id):
        if owner in found:
            return int(found[owner])
    raise ValidationFailed(
        f"There is no team {slug!r} for customer {customer_slug(session, customer_id)}.",
        field=field,
    )


def team_slugs(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(TEAMS.c.id, TEAMS.c.slug).where(TEAMS.c.id.in_(ids)))
    return {int(row.id): str(row.slug) for row in rows}
