"""The one rule for slugs unique per customer (auth/slugs.py), on teams and on SLA policies
(whose provider-wide rows have no customer), against a real database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.auth.slugs import by_slug
from tocsin.bootstrap import Tocsin
from tocsin.catalog.models import Team
from tocsin.catalog.schemas import TeamIn
from tocsin.core.errors import NotFound, TocsinError, ValidationFailed
from tocsin.sla.models import SlaPolicy

# who owns a team of each slug: "default" is the provider
TEAMS = {
    "ops": ("default", "acme", "globex"),
    "db": ("default",),
    "net": ("acme", "globex"),
    "web": ("globex",),
    "mail": ("acme",),
}


@pytest.fixture
def world(app: Tocsin, admin: Principal) -> tuple[Tocsin, Principal, Principal]:
    for slug in ("acme", "globex"):
        app.auth.create_customer(admin, CustomerIn(slug=slug, name=slug.title()))
    for slug, owners in TEAMS.items():
        for owner in owners:
            app.catalog.create_team(
                admin, TeamIn(slug=slug, name=f"{owner} {slug}", customer=owner)
            )
    tenant, _ = make_user(app, admin, "agent@acme.test", Role.AGENT, "acme")
    return app, admin, tenant


def owner(app: Tocsin, find: Callable[..., Team], *args: object, **kwargs: object) -> str:
    """The slug of the customer whose team `find` returns."""
    with app.db.read() as s:
        team = find(s, *args, **kwargs)
        customer = s.get(Customer, team.customer_id)
        assert customer is not None
        return customer.slug


def failure(app: Tocsin, *args: object, **kwargs: object) -> TocsinError:
    with app.db.read() as s, pytest.raises(TocsinError) as caught:
        by_slug(s, *args, **kwargs)  # type: ignore[arg-type]
    return caught.value


def customer_id(app: Tocsin, slug: str) -> int:
    with app.db.read() as s:
        found = s.scalar(select(Customer.id).where(Customer.slug == slug))
        assert found is not None
        return found


def test_tenant_staff_see_only_their_own(world: tuple[Tocsin, Principal, Principal]) -> None:
    app, _, tenant = world
    assert owner(app, by_slug, tenant, Team, "team", "ops", customer_id=None) == "acme"
    # even with another customer as context
    globex = customer_id(app, "globex")
    assert owner(app, by_slug, tenant, Team, "team", "net", customer_id=globex) == "acme"
    for slug in ("web", "db"):
        # another tenant's, and the provider's: answered alike, as absent
        error = failure(app, tenant, Team, "team", slug, customer_id=None)
        assert isinstance(error, NotFound)
        assert error.detail == f"There is no team {slug!r}."
        error = failure(app, tenant, Team, "team", slug, customer_id=None, field="team")
        assert isinstance(error, ValidationFailed)
        assert (error.detail, error.field) == (f"There is no team {slug!r}.", "team")
        error = failure(
            app, tenant, Team, "team", slug, customer_id=None, field="team", unseen_is_404=True
        )
        assert isinstance(error, NotFound)


def test_the_providers_objects_serve_a_tenants_references_when_allowed(
    world: tuple[Tocsin, Principal, Principal],
) -> None:
    app, _, tenant = world
    ref = {"customer_id": None, "field": "team", "shared_serves_tenants": True}
    assert owner(app, by_slug, tenant, Team, "team", "db", **ref) == "default"
    # its own first
    assert owner(app, by_slug, tenant, Team, "team", "ops", **ref) == "acme"
    # never another tenant's
    error = failure(app, tenant, Team, "team", "web", **ref)
    assert isinstance(error, ValidationFailed)
    # the object of the address is never the provider's
    error = failure(app, tenant, Team, "team", "db", customer_id=None, shared_serves_tenants=True)
    assert isinstance(error, NotFound)


def test_provider_staff_prefer_the_context_customer_then_the_providers(
    world: tuple[Tocsin, Principal, Principal],
) -> None:
    app, admin, _ = world
    acme = customer_id(app, "acme")
    assert owner(app, by_slug, admin, Team, "team", "ops", customer_id=acme) == "acme"
    assert owner(app, by_slug, admin, Team, "team", "db", customer_id=acme) == "default"
    error = failure(app, admin, Team, "team", "web", customer_id=acme)
    assert isinstance(error, NotFound)
    assert error.detail == "There is no team 'web' for customer acme."
    # as a reference: a 422 naming the field, with or without unseen_is_404 (it is seen)
    for unseen_is_404 in (False, True):
        error = failure(
            app,
            admin,
            Team,
            "team",
            "web",
            customer_id=acme,
            field="team",
            unseen_is_404=unseen_is_404,
        )
        assert isinstance(error, ValidationFailed)
        assert (error.detail, error.field) == ("There is no team 'web' for customer acme.", "team")


def test_provider_staff_without_context(world: tuple[Tocsin, Principal, Principal]) -> None:
    app, admin, _ = world
    # the only match, whoever's it is
    assert owner(app, by_slug, admin, Team, "team", "web", customer_id=None) == "globex"
    # the provider's among several
    assert owner(app, by_slug, admin, Team, "team", "ops", customer_id=None) == "default"
    # else they are asked to name the customer
    error = failure(app, admin, Team, "team", "net", customer_id=None)
    assert isinstance(error, ValidationFailed)
    assert (error.detail, error.field) == (
        "Customers acme, globex each have a team 'net'; name the customer (customer=acme).",
        "customer",
    )
    error = failure(app, admin, Team, "team", "nope", customer_id=None)
    assert isinstance(error, NotFound)
    assert error.detail == "There is no team 'nope'."
    error = failure(app, admin, Team, "team", "nope", customer_id=None, field="team")
    assert isinstance(error, ValidationFailed)


def test_shared_rows_without_a_customer(
    world: tuple[Tocsin, Principal, Principal], admin: Principal
) -> None:
    app, _, tenant = world
    acme, globex = customer_id(app, "acme"), customer_id(app, "globex")
    with app.db.unit_of_work() as uow:
        for slug, owners in {"p1": (None, acme), "p2": (acme, globex)}.items():
            for customer in owners:
                uow.session.add(
                    SlaPolicy(
                        customer_id=customer,
                        slug=slug,
                        name=slug,
                        priority=1,
                        response_minutes=5,
                        resolution_minutes=60,
                        created_at=app.clock.now(),
                    )
                )

    def policy(principal: Principal, slug: str, context: int | None) -> int | None:
        with app.db.read() as s:
            return by_slug(
                s,
                principal,
                SlaPolicy,
                "SLA policy",
                slug,
                customer_id=context,
                shared_is_null=True,
            ).customer_id

    assert policy(admin, "p1", None) is None
    assert policy(admin, "p1", acme) == acme
    assert policy(admin, "p1", globex) is None
    assert policy(tenant, "p1", None) == acme
    error = failure(
        app, admin, SlaPolicy, "SLA policy", "p2", customer_id=None, shared_is_null=True
    )
    assert isinstance(error, ValidationFailed)
    assert error.detail == (
        "Customers acme, globex each have a SLA policy 'p2'; name the customer (customer=acme)."
    )
