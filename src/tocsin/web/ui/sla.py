"""SLA pages: policies and business-hours calendars (lists, CSVs, details, create forms)
and "SLA now", the running clocks at risk or breached."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError
from tocsin.sla.schemas import CalendarIn, SlaPolicyIn
from tocsin.sla.specs import DAYS
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor
from tocsin.web.ui.sla_forms import (
    CALENDAR_FIELDS,
    POLICY_FIELDS,
    FieldErrors,
    calendar_body,
    error_field,
    hours_text,
    policy_body,
)

# Every route depends on PUBLIC for the access rule and checks the session itself; the
# SLA services check TEAMS_READ / CATALOG_MANAGE on every call (see pages.py).
router = APIRouter(include_in_schema=False, route_class=PageRoute)

SHOWN_AT_RISK = 50  # incidents listed under each count; the counts are complete


def _duration(minutes: int) -> str:
    """90 -> "1 h 30 min", 2880 -> "2 d"."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 min"


def _holidays(value: str | list[str] | None) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"Public holidays of {value}"
    return ", ".join(value)


HELPERS: dict[str, Any] = {
    "duration": _duration,
    "holiday_words": _holidays,
    "hours_text": hours_text,
    "days": DAYS,
}


@router.get("/sla", dependencies=[PUBLIC])
def sla_home(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    return page(
        request,
        "sla.html",
        visitor=visitor,
        policies=app.sla.policies.list(principal).items,
        calendars=app.sla.calendars.list(principal).items,
        at_risk=app.sla.now(principal),
        shown=SHOWN_AT_RISK,
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
        **HELPERS,
    )


@router.get("/sla/policies.csv", dependencies=[PUBLIC])
def policies_csv(request: Request, visitor: Staff) -> Response:
    items = get_app(request).sla.policies.list(visitor.principal).items
    return csv_response(
        "sla-policies.csv",
        (
            "slug", "name", "priority", "customer", "service", "calendar", "response_minutes",
            "resolution_minutes", "warn_at", "escalate_on_breach", "enabled",
        ),
        (
            (
                p.slug, p.name, p.priority, p.customer or "all", p.service, p.calendar or "24x7",
                p.response_minutes, p.resolution_minutes, p.warn_at, p.escalate_on_breach,
                p.enabled,
            )
            for p in items
        ),
    )  # fmt: skip


@router.get("/sla/calendars.csv", dependencies=[PUBLIC])
def calendars_csv(request: Request, visitor: Staff) -> Response:
    items = get_app(request).sla.calendars.list(visitor.principal).items
    return csv_response(
        "calendars.csv",
        ("slug", "name", "customer", "time_zone", *DAYS, "holidays"),
        (
            (
                c.slug,
                c.name,
                c.customer,
                c.time_zone,
                *(hours_text(c.hours.get(d, [])) for d in DAYS),
                c.holidays,
            )
            for c in items
        ),
    )


def _form_errors(exc: ValidationError | TocsinError | FieldErrors) -> FormErrors:
    if isinstance(exc, FieldErrors):
        return FormErrors(summary="Please correct the marked fields.", fields=exc.fields)
    found = errors_from(exc)
    found.fields = {error_field(k.split(".")[0]): v for k, v in found.fields.items()}
    return found


def _policy_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    app = get_app(request)
    return page(
        request,
        "sla_policy_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(app, visitor.principal),
        calendars=app.sla.calendars.list(visitor.principal).items,
    )


@router.get("/sla/policies/new", dependencies=[PUBLIC])
def new_policy(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    return _policy_form(request, visitor, {"priority": "1"}, FormErrors())


@router.post("/sla/policies", dependencies=[PUBLIC])
def create_policy(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in POLICY_FIELDS}
    try:
        data = SlaPolicyIn.model_validate(policy_body(form))
        made = get_app(request).sla.policies.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _policy_form(request, visitor, values, _form_errors(exc))
    where = f"customer={made.customer}&" if made.customer else ""
    return see_other(f"/sla/policies/{made.slug}?{where}ok=sla_policy_created")


@router.get("/sla/policies/{slug}", dependencies=[PUBLIC])
def policy(
    request: Request, visitor: Staff, slug: str, customer: str = "", ok: str = ""
) -> Response:
    found = get_app(request).sla.policies.get(visitor.principal, slug, customer=customer or None)
    return page(
        request, "sla_policy.html", visitor=visitor, policy=found, notice=notice(ok), **HELPERS
    )


def _calendar_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "sla_calendar_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(get_app(request), visitor.principal),
        **HELPERS,
    )


@router.get("/sla/calendars/new", dependencies=[PUBLIC])
def new_calendar(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    weekdays = {f"hours_{d}": "09:00-17:00" for d in DAYS[:5]}
    return _calendar_form(
        request, visitor, {"time_zone": visitor.principal.time_zone, **weekdays}, FormErrors()
    )


@router.post("/sla/calendars", dependencies=[PUBLIC])
def create_calendar(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in CALENDAR_FIELDS}
    try:
        data = CalendarIn.model_validate(calendar_body(form))
        made = get_app(request).sla.calendars.create(visitor.principal, data)
    except (ValidationError, TocsinError, FieldErrors) as exc:
        return _calendar_form(request, visitor, values, _form_errors(exc))
    return see_other(f"/sla/calendars/{made.slug}?customer={made.customer}&ok=calendar_created")


@router.get("/sla/calendars/{slug}", dependencies=[PUBLIC])
def calendar(
    request: Request, visitor: Staff, slug: str, customer: str = "", ok: str = ""
) -> Response:
    app = get_app(request)
    found = app.sla.calendars.get(visitor.principal, slug, customer=customer or None)
    users = [
        p
        for p in app.sla.policies.list(visitor.principal).items
        if p.calendar == found.slug and p.customer in (None, found.customer)
    ]
    return page(
        request,
        "sla_calendar.html",
        visitor=visitor,
        calendar=found,
        policies=users,
        notice=notice(ok),
        **HELPERS,
    )
