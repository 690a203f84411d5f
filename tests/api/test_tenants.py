"""A tenant's staff act only inside their tenant; slugs are unique per customer and every
reference resolves within the right customer; nothing links across tenants."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import World


def call(world: World, who: str, method: str, path: str, body: Any = None, **params: str) -> Any:
    return world.client.request(method, path, headers=world.h(who), json=body, params=params)


def _incident(world: World, who: str, **fields: Any) -> str:
    r = call(world, who, "POST", "/api/v1/incidents", {"title": "Something broke", **fields})
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def _refused_as_absent(r: httpx.Response, *, status: int) -> None:
    """Refused like an object that does not exist: the answer says nothing of who owns it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"].lower()
    assert "another customer" not in detail
    assert "belongs" not in detail
    assert "customer globex" not in detail


# teams and services: where they land ------------------------------------------------------


def test_teams_and_services_of_tenant_staff_land_in_their_customer(world: World) -> None:
    r = call(world, "acme_admin", "POST", "/api/v1/teams", {"slug": "net", "name": "Network"})
    assert r.status_code == 201, r.text
    assert r.json()["customer"] == "acme"
    r = call(
        world,
        "acme_manager",
        "POST",
        "/api/v1/services",
        {"slug": "shop", "name": "Web shop", "team": "net"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["customer"], r.json()["team"]) == ("acme", "net")
    # The provider's people still see it, and it is acme's, not theirs.
    r = call(world, "admin", "GET", "/api/v1/services/shop")
    assert r.json()["customer"] == "acme"


def test_tenant_staff_naming_another_customer_are_answered_as_if_it_did_not_exist(
    world: World,
) -> None:
    for customer in ("globex", "default"):
        r = call(
            world,
            "acme_admin",
            "POST",
            "/api/v1/teams",
            {"slug": "spy", "name": "Spy", "customer": customer},
        )
        _refused_as_absent(r, status=404)
        assert r.json()["detail"] == f"There is no customer {customer!r}."
    r = call(
        world,
        "acme_manager",
        "POST",
        "/api/v1/services",
        {"slug": "spy", "name": "Spy", "team": "globex-it"},
    )
    _refused_as_absent(r, status=404)
    assert r.json()["detail"] == "There is no team 'globex-it'."


# slugs per customer ------------------------------------------------------------------------


def test_slugs_are_unique_per_customer_and_a_409_concerns_only_ones_own(world: World) -> None:
    # The provider has a team "ops", globex a team "globex-it" and a service "globex-erp".
    for path, slug in (
        ("/api/v1/teams", "ops"),
        ("/api/v1/teams", "globex-it"),
        ("/api/v1/services", "globex-erp"),
    ):
        r = call(world, "acme_admin", "POST", path, {"slug": slug, "name": slug.title()})
        assert r.status_code == 201, r.text
        assert r.json()["customer"] == "acme"
    r = call(world, "acme_admin", "POST", "/api/v1/teams", {"slug": "ops", "name": "Again"})
    assert r.status_code == 409
    assert r.json()["detail"] == "Customer acme already has a team 'ops'."
    r = call(world, "acme_admin", "POST", "/api/v1/services", {"slug": "globex-erp", "name": "x"})
    assert r.status_code == 409
    assert r.json()["detail"] == "Customer acme already has a service 'globex-erp'."
    # The provider's staff get the same answer about the customer they name.
    r = call(
        world,
        "admin",
        "POST",
        "/api/v1/teams",
        {"slug": "globex-it", "name": "x", "customer": "globex"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "Customer globex already has a team 'globex-it'."


def test_a_tenant_resolves_slugs_within_its_own_customer(world: World) -> None:
    call(world, "acme_admin", "POST", "/api/v1/teams", {"slug": "ops", "name": "Acme ops"})
    r = call(world, "acme_agent", "GET", "/api/v1/teams/ops")
    assert (r.json()["customer"], r.json()["name"]) == ("acme", "Acme ops")
    r = call(world, "acme_admin", "PATCH", "/api/v1/teams/ops", {"name": "Acme operations"})
    assert (r.json()["customer"], r.json()["name"]) == ("acme", "Acme operations")
    r = call(world, "admin", "GET", "/api/v1/teams/ops")
    assert (r.json()["customer"], r.json()["name"]) == ("default", "Operations")
    _refused_as_absent(call(world, "globex_agent", "GET", "/api/v1/teams/ops"), status=404)
    # Asking for another customer's object by name answers as if it did not exist.
    r = call(world, "acme_agent", "GET", "/api/v1/teams/ops", customer="globex")
    _refused_as_absent(r, status=404)


def test_the_provider_resolves_with_the_records_customer_first(world: World) -> None:
    call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/teams",
        {"slug": "ops", "name": "Acme ops", "members": ["agent@acme.test"]},
    )
    acme = _incident(world, "agent", customer="acme")
    globex = _incident(world, "agent", customer="globex")
    r = call(world, "agent", "POST", f"/api/v1/incidents/{acme}/actions/assign", {"team": "ops"})
    assert r.status_code == 200, r.text
    r = call(world, "acme_agent", "GET", f"/api/v1/incidents/{acme}")
    assert r.json()["team"] == "ops"  # acme's own team: its agents see the incident's owner
    assert call(world, "acme_agent", "GET", "/api/v1/incidents", team="ops").json()["total"] == 1
    # globex has no "ops": the provider's own serves it.
    r = call(world, "agent", "POST", f"/api/v1/incidents/{globex}/actions/assign", {"team": "ops"})
    assert r.status_code == 200, r.text
    assert r.json()["team"] == "ops"
    filtered = call(world, "agent", "GET", "/api/v1/incidents", team="ops").json()["items"]
    assert [i["number"] for i in filtered] == [globex]  # no context: the provider's own
    filtered = call(world, "agent", "GET", "/api/v1/incidents", team="ops", customer="acme")
    assert [i["number"] for i in filtered.json()["items"]] == [acme]


def test_the_provider_is_asked_to_name_the_customer_when_a_slug_is_ambiguous(
    world: World,
) -> None:
    call(world, "acme_admin", "POST", "/api/v1/services", {"slug": "mail", "name": "Acme mail"})
    call(
        world,
        "admin",
        "POST",
        "/api/v1/services",
        {"slug": "mail", "name": "Globex mail", "customer": "globex"},
    )
    r = call(world, "admin", "GET", "/api/v1/services/mail")
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "Customers acme, globex each have a service 'mail'; name the customer (customer=acme)."
    )
    r = call(world, "admin", "GET", "/api/v1/services/mail", customer="globex")
    assert r.json()["name"] == "Globex mail"
    r = call(world, "manager", "PATCH", "/api/v1/services/mail", {"name": "Mail"}, customer="acme")
    assert (r.json()["customer"], r.json()["name"]) == ("acme", "Mail")
    assert call(world, "admin", "GET", "/api/v1/incidents", service="mail").status_code == 422
    r = call(world, "admin", "GET", "/api/v1/incidents", service="mail", customer="acme")
    assert r.status_code == 200, r.text
    # Creating an incident: the customer named picks the service; without one, ambiguous.
    r = call(world, "agent", "POST", "/api/v1/incidents", {"title": "x", "service": "mail"})
    assert r.status_code == 422
    number = _incident(world, "agent", customer="globex", service="mail")
    r = call(world, "agent", "GET", f"/api/v1/incidents/{number}")
    assert (r.json()["customer"], r.json()["service"]) == ("globex", "mail")
    # Each tenant sees its own and only its own.
    assert call(world, "acme_agent", "GET", "/api/v1/services/mail").json()["name"] == "Mail"
    r = call(world, "globex_agent", "GET", "/api/v1/services/mail")
    assert r.json()["name"] == "Globex mail"


# categories, customers, users --------------------------------------------------------------


def test_categories_are_managed_by_the_service_provider(world: World) -> None:
    for who in ("acme_admin", "acme_manager"):
        r = call(world, who, "POST", "/api/v1/categories", {"name": "Facilities"})
        assert r.status_code == 403
        assert "managed by the service provider" in r.json()["detail"]
    r = call(world, "manager", "POST", "/api/v1/categories", {"name": "Facilities"})
    assert r.status_code == 201, r.text
    assert call(world, "acme_admin", "GET", "/api/v1/categories").status_code == 200


def test_only_the_providers_admins_create_customers(world: World) -> None:
    r = call(world, "acme_admin", "POST", "/api/v1/customers", {"slug": "initech", "name": "I"})
    assert r.status_code == 403
    assert "service provider" in r.json()["detail"]
    # A tenant admin still reads and renames their own customer, and only theirs.
    assert call(world, "acme_admin", "GET", "/api/v1/customers/acme").status_code == 200
    r = call(world, "acme_admin", "PATCH", "/api/v1/customers/acme", {"name": "Acme Inc."})
    assert r.status_code == 200
    assert r.json()["name"] == "Acme Inc."
    r = call(world, "acme_admin", "PATCH", "/api/v1/customers/globex", {"name": "Mine"})
    assert r.status_code == 404
    r = call(world, "admin", "POST", "/api/v1/customers", {"slug": "initech", "name": "I"})
    assert r.status_code == 201


def test_users_of_a_tenant_admin_land_in_their_customer(world: World) -> None:
    r = call(
        world, "acme_admin", "POST", "/api/v1/users", {"email": "x@acme.test", "role": "agent"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["customer"] == "acme"
    r = call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/users",
        {"email": "y@acme.test", "role": "agent", "customer": "globex"},
    )
    _refused_as_absent(r, status=404)


def test_an_e_mail_in_use_elsewhere_is_refused_without_saying_where(world: World) -> None:
    r = call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/users",
        {"email": "carol@globex.test", "role": "requester"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "This e-mail address is already in use."


# integrations and maintenance windows ------------------------------------------------------


def test_an_integration_links_only_its_customers_or_the_providers_objects(world: World) -> None:
    for field, slug in (("service", "globex-erp"), ("team", "globex-it")):
        r = call(
            world,
            "admin",
            "POST",
            "/api/v1/integrations",
            {"type": "generic", "name": f"acme-{field}", "customer": "acme", field: slug},
        )
        _refused_as_absent(r, status=422)
        assert r.json()["detail"] == f"There is no {field} {slug!r} for customer acme."
        assert r.json()["field"] == field
    integration = world.extra["integration_id"]  # acme's, on service acme-web
    for field, slug in (("service", "globex-erp"), ("team", "globex-it")):
        r = call(world, "admin", "PATCH", f"/api/v1/integrations/{integration}", {field: slug})
        _refused_as_absent(r, status=422)
        assert r.json()["detail"] == f"There is no {field} {slug!r} for customer acme."
    # The provider's own team serves every customer.
    r = call(world, "admin", "PATCH", f"/api/v1/integrations/{integration}", {"team": "dba"})
    assert r.status_code == 200, r.text
    assert (r.json()["customer"], r.json()["team"]) == ("acme", "dba")
    # A tenant's admin cannot reach another tenant's objects at all.
    r = call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/integrations",
        {"type": "generic", "name": "mine", "service": "globex-erp"},
    )
    _refused_as_absent(r, status=404)
    r = call(world, "acme_admin", "POST", "/api/v1/integrations", {"type": "generic", "name": "m"})
    assert r.json()["customer"] == "acme"


def test_a_maintenance_window_names_only_its_customers_services(world: World) -> None:
    window = {"start": "2026-03-02T22:00:00Z", "end": "2026-03-02T23:00:00Z"}
    r = call(
        world,
        "admin",
        "POST",
        "/api/v1/maintenance-windows",
        {**window, "customer": "acme", "service": "globex-erp"},
    )
    _refused_as_absent(r, status=422)
    assert r.json()["detail"] == "There is no service 'globex-erp' for customer acme."
    r = call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/maintenance-windows",
        {**window, "service": "globex-erp"},
    )
    _refused_as_absent(r, status=404)
    r = call(
        world,
        "acme_admin",
        "POST",
        "/api/v1/maintenance-windows",
        {**window, "service": "acme-web"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["customer"], r.json()["service"]) == ("acme", "acme-web")
