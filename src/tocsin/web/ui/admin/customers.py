"""/admin/customers: the tenants, their users and open incidents; new ones and renames."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.schemas import CustomerIn, CustomerOut, CustomerPatch
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import TocsinError
from tocsin.incidents.queries import IncidentFilter
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.admin.common import TABS
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

router = APIRouter(include_in_schema=False, route_class=PageRoute)

CSV_HEADER = ("slug", "name", "provider", "users", "open_incidents", "created_at")


@dataclass(frozen=True)
class CustomerRow:
    customer: CustomerOut
    users: int
    open_incidents: int | None


def _rows(app: Tocsin, principal: Principal) -> list[CustomerRow]:
    customers = app.auth.list_customers(principal).items
    users = app.auth.users_per_customer(principal)
    counted = principal.can(Permission.INCIDENT_READ)
    rows = []
    for c in customers:
        # One count per customer, with the queue's own meaning of "open"; customers are few.
        open_incidents = (
            app.incidents.list(
                principal, IncidentFilter(state="open", customer=c.slug), limit=1
            ).total
            if counted
            else None
        )
        rows.append(CustomerRow(c, users.get(c.slug, 0), open_incidents))
    return rows


@router.get("/admin/customers", dependencies=[PUBLIC])
def list_customers(request: Request, visitor: Staff, ok: str = "") -> Response:
    principal = visitor.principal
    return page(
        request,
        "admin/customers.html",
        visitor=visitor,
        tabs=TABS,
        rows=_rows(get_app(request), principal),
        notice=notice(ok),
        can_create=principal.can(Permission.CUSTOMERS_CREATE),
        can_rename=principal.can(Permission.CUSTOMERS_MANAGE),
    )


@router.get("/admin/customers.csv", dependencies=[PUBLIC])
def customers_csv(request: Request, visitor: Staff) -> Response:
    rows = _rows(get_app(request), visitor.principal)
    return csv_response(
        "customers.csv",
        CSV_HEADER,
        (
            (
                r.customer.slug,
                r.customer.name,
                r.customer.is_default,
                r.users,
                r.open_incidents,
                r.customer.created_at,
            )
            for r in rows
        ),
    )


def _customer_form(
    request: Request,
    visitor: Visitor,
    *,
    customer: CustomerOut | None,
    values: dict[str, str],
    errors: FormErrors,
    saved: str = "",
) -> Response:
    return page(
        request,
        "admin/customer_form.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        tabs=TABS,
        customer=customer,
        values=values,
        errors=errors,
        notice=saved,
    )


@router.get("/admin/customers/new", dependencies=[PUBLIC])
def new_customer(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CUSTOMERS_CREATE)
    return _customer_form(request, visitor, customer=None, values={}, errors=FormErrors())


@router.post("/admin/customers", dependencies=[PUBLIC])
def create_customer(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in ("slug", "name")}
    try:
        data = CustomerIn.model_validate(filled(form, ("slug", "name")))
        customer = get_app(request).auth.create_customer(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _customer_form(
            request, visitor, customer=None, values=values, errors=errors_from(exc)
        )
    return see_other(f"/admin/customers/{customer.slug}?ok=customer_created")


@router.get("/admin/customers/{slug}", dependencies=[PUBLIC])
def edit_customer(request: Request, visitor: Staff, slug: str, ok: str = "") -> Response:
    principal = visitor.principal
    principal.require(Permission.CUSTOMERS_MANAGE)
    customer = get_app(request).auth.get_customer(principal, slug)
    return _customer_form(
        request,
        visitor,
        customer=customer,
        values={"name": customer.name},
        errors=FormErrors(),
        saved=notice(ok),
    )


@router.post("/admin/customers/{slug}", dependencies=[PUBLIC])
def rename_customer(request: Request, visitor: PostedStaff, form: FormData, slug: str) -> Response:
    app = get_app(request)
    customer = app.auth.get_customer(visitor.principal, slug)
    values = {"name": form.get("name", "")}
    try:
        data = CustomerPatch.model_validate({"name": values["name"]})
        customer = app.auth.patch_customer(visitor.principal, slug, data)
    except (ValidationError, TocsinError) as exc:
        return _customer_form(
            request, visitor, customer=customer, values=values, errors=errors_from(exc)
        )
    return see_other(f"/admin/customers/{customer.slug}?ok=customer_saved")
