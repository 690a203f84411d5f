"""Services: the list (with open incidents and integrations), the form that creates one and
the page that edits one."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.alerts.schemas import IntegrationOut
from tocsin.auth.roles import Permission
from tocsin.catalog.schemas import ServiceIn, ServiceOut, ServicePatch
from tocsin.core.errors import TocsinError
from tocsin.oncall.schemas import PolicyOut
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff / PostedStaff redirect to /login, requesters to /portal); the services check role.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

CREATE_FIELDS = ("name", "slug", "description", "customer", "team", "escalation_policy")
EDIT_FIELDS = ("name", "description", "team", "escalation_policy")
CSV_HEADER = (
    "slug",
    "name",
    "customer",
    "team",
    "escalation_policy",
    "open_incidents",
    "integrations",
    "description",
    "created_at",
)


def service_url(service: ServiceOut) -> str:
    """A service's page; the customer picks it among services sharing a slug."""
    return f"/services/{quote(service.slug, safe='')}?" + urlencode({"customer": service.customer})


def _integrations_by_service(items: list[IntegrationOut]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for i in items:
        if i.service:
            key = (i.customer, i.service)
            counts[key] = counts.get(key, 0) + 1
    return counts


@router.get("/services", dependencies=[PUBLIC])
def service_list(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    principal.require(Permission.TEAMS_READ)
    return page(
        request,
        "services.html",
        visitor=visitor,
        services=app.catalog.list_services(principal).items,
        open_counts=app.incidents.open_per_service(principal),
        integration_counts=_integrations_by_service(app.integrations.list_all(principal).items),
        service_url=service_url,
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )


@router.get("/services.csv", dependencies=[PUBLIC])
def services_csv(request: Request, visitor: Staff) -> Response:
    app = get_app(request)
    principal = visitor.principal
    principal.require(Permission.TEAMS_READ)
    open_counts = app.incidents.open_per_service(principal)
    integrations = _integrations_by_service(app.integrations.list_all(principal).items)
    rows = [
        (
            s.slug,
            s.name,
            s.customer,
            s.team,
            s.escalation_policy,
            open_counts.get(s.id, 0),
            integrations.get((s.customer, s.slug), 0),
            s.description,
            s.created_at,
        )
        for s in app.catalog.list_services(principal).items
    ]
    return csv_response("services.csv", CSV_HEADER, rows)


def _policies(request: Request, visitor: Visitor) -> list[PolicyOut]:
    return get_app(request).oncall.list_policies(visitor.principal).items


def _new_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "service_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(get_app(request), visitor.principal),
        policies=_policies(request, visitor),
    )


@router.get("/services/new", dependencies=[PUBLIC])
def new_service(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    return _new_form(request, visitor, {}, FormErrors())


@router.post("/services", dependencies=[PUBLIC])
def create_service(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in CREATE_FIELDS}
    try:
        data = ServiceIn.model_validate(filled(form, CREATE_FIELDS))
        created = get_app(request).catalog.create_service(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _new_form(request, visitor, values, errors_from(exc))
    return see_other(service_url(created) + "&ok=service_created")


def _edit_page(
    request: Request,
    visitor: Visitor,
    service: ServiceOut,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    errors = errors or FormErrors()
    integrations = [
        i
        for i in app.integrations.list_all(principal).items
        if i.service == service.slug and i.customer == service.customer
    ]
    current = {
        "name": service.name,
        "description": service.description,
        "team": service.team or "",
        "escalation_policy": service.escalation_policy or "",
    }
    return page(
        request,
        "service.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        service=service,
        values=values if values is not None else current,
        errors=errors,
        integrations=integrations,
        open_count=app.incidents.open_per_service(principal).get(service.id, 0),
        teams=[t for t in choices_for(app, principal).teams if t.customer == service.customer],
        policies=[p for p in _policies(request, visitor) if p.customer == service.customer],
        action=service_url(service),
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )


@router.get("/services/{slug}", dependencies=[PUBLIC])
def service_detail(
    request: Request, visitor: Staff, slug: str, customer: str = "", ok: str = ""
) -> Response:
    service = get_app(request).catalog.get_service(
        visitor.principal, slug, customer=customer or None
    )
    return _edit_page(request, visitor, service, ok=ok)


@router.post("/services/{slug}", dependencies=[PUBLIC])
def edit_service(
    request: Request, visitor: PostedStaff, form: FormData, slug: str, customer: str = ""
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    values = {name: form.get(name, "") for name in EDIT_FIELDS}
    # Blank team or policy means "none"; name and description are sent as they stand.
    changes: dict[str, str | None] = {
        "name": values["name"].strip(),
        "description": values["description"],
        "team": values["team"].strip() or None,
        "escalation_policy": values["escalation_policy"].strip() or None,
    }
    try:
        data = ServicePatch.model_validate(changes)
        saved = app.catalog.patch_service(principal, slug, data, customer=customer or None)
    except (ValidationError, TocsinError) as exc:
        service = app.catalog.get_service(principal, slug, customer=customer or None)
        return _edit_page(request, visitor, service, values=values, errors=errors_from(exc))
    return see_other(service_url(saved) + "&ok=service_saved")
