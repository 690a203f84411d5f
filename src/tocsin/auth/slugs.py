"""Which object a slug names for a caller: the one rule for every kind whose slugs are
unique per customer (teams, services, schedules, escalation policies, calendars, SLA
policies, notification channels). It lives here, below every domain that has slugs, so
that each of them asks the same question the same way."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.service import default_customer
from tocsin.core.errors import NotFound, ValidationFailed


class Slugged(Protocol):
    @property
    def slug(self) -> str: ...

    @property
    def customer_id(self) -> int | None: ...


S = TypeVar("S", bound=Slugged)


def by_slug(
    session: Session,
    principal: Principal,
    model: type[S],
    kind: str,
    slug: str,
    *,
    customer_id: int | None,
    field: str | None = None,
    shared_is_null: bool = False,
    shared_serves_tenants: bool = False,
    unseen_is_404: bool = False,
) -> S:
    """The `model` row (a `kind`, in sentences) that `slug` names for `principal`.

    Slugs are unique per customer, so one slug may name several objects; the provider's
    own objects are shared: they serve every customer. A tenant's staff and requesters
    resolve within their own customer only (and, for a reference in a body, among the
    shared objects too when `shared_serves_tenants`); any other customer's object is
    answered as absent. The provider's staff resolve with the context customer when there
    is one (`customer_id`: the record's customer, or the one the request names),
    preferring that customer's object, then the shared one; failing both, the object is
    not there for that customer. Without context they get the only match, or the shared
    one among several; otherwise they are asked to name the customer (422, field
    "customer").

    What is not found is a 422 naming `field` for a reference in a request body, a 404
    for the object of the address (`field` None). With `unseen_is_404`, a reference to
    nothing the caller can see at all (as opposed to nothing for its context customer)
    is a 404 too, as the address would be: the catalog answers so.

    Shared objects belong to the provider's customer, or to no customer
    (`shared_is_null`, as provider-wide SLA policies do).
    """
    rows = session.scalars(select(model).filter_by(slug=slug)).all()
    owned = {row.customer_id: row for row in rows}
    shared = None if shared_is_null else default_customer(session).id

    def missing(detail: str, *, seen: bool) -> Exception:
        if field is None or (unseen_is_404 and not seen):
            return NotFound(detail)
        return ValidationFailed(detail, field=field)

    if not principal.all_customers:
        found = owned.get(principal.customer_id)
        if found is None and shared_serves_tenants and field is not None:
            found = owned.get(shared)
        if found is None:
            # never says whether another customer has one
            raise missing(f"There is no {kind} {slug!r}.", seen=False)
        return found
    if customer_id is not None:
        found = owned.get(customer_id)
        if found is None:
            found = owned.get(shared)
        if found is None:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            raise missing(f"There is no {kind} {slug!r} for customer {customer.slug}.", seen=True)
        return found
    if not rows:
        raise missing(f"There is no {kind} {slug!r}.", seen=False)
    if len(rows) == 1:
        return rows[0]
    if shared in owned:
        return owned[shared]
    owners = session.scalars(
        select(Customer.slug).where(Customer.id.in_(list(owned))).order_by(Customer.slug)
    ).all()
    raise ValidationFailed(
        f"Customers {', '.join(owners)} each have a {kind} {slug!r}; name the customer "
        f"(customer={owners[0]}).",
        field="customer",
    )
