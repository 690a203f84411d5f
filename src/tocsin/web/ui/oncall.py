"""On-call pages: who is on call now and next on every schedule, one schedule's calendar
with its layers and overrides, and the override form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import TocsinError
from tocsin.core.times import zone
from tocsin.oncall.schemas import OnCallUser, OverrideIn, ScheduleIn, ScheduleOut, ShiftOut
from tocsin.web.access import PUBLIC, IdPath, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from
from tocsin.web.ui.notices import notice
from tocsin.web.ui.oncall_forms import (
    OVERRIDE_FIELDS,
    SCHEDULE_FIELDS,
    FieldErrors,
    override_body,
    schedule_body,
    schedule_field,
)
from tocsin.web.ui.oncall_view import (
    calendar_days,
    layer_people,
    midnight,
    restriction_words,
    rotation_words,
)
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route depends on PUBLIC for the access rule and checks the session itself; the
# services check TEAMS_READ / CATALOG_MANAGE on every call (see pages.py).
router = APIRouter(include_in_schema=False, route_class=PageRoute)

HORIZON = timedelta(days=14)
CALENDAR_DAYS = 14
# the calendar's range (far dates would overflow the rotation's arithmetic)
FIRST_YEAR, LAST_YEAR = 2000, 2200


@dataclass(frozen=True, slots=True)
class ScheduleNow:
    schedule: ScheduleOut
    on_call: list[OnCallUser]
    next: ShiftOut | None
    shifts: list[ShiftOut]  # the next 14 days


def _overview(app: Tocsin, principal: Principal) -> list[ScheduleNow]:
    now = app.clock.now()
    current = {
        (item.customer, item.schedule): item.on_call for item in app.oncall.on_call(principal).items
    }
    rows = []
    for schedule in app.oncall.list_schedules(principal).items:
        upcoming = app.oncall.shifts(
            principal, schedule.slug, now, now + HORIZON, customer=schedule.customer
        )
        on_call = current.get((schedule.customer, schedule.slug), [])
        busy = {u.user for u in on_call}
        following = next((x for x in upcoming if x.start > now and x.user not in busy), None)
        rows.append(ScheduleNow(schedule, on_call, following, upcoming))
    return rows


def _schedule_url(slug: str, customer: str, **query: str) -> str:
    params = {"customer": customer, **{k: v for k, v in query.items() if v}}
    return f"/oncall/schedules/{slug}?{urlencode(params)}"


@router.get("/oncall", dependencies=[PUBLIC])
def oncall(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    rows = _overview(app, principal)
    mine = sorted(
        ((row.schedule, x) for row in rows for x in row.shifts if x.user == principal.email),
        key=lambda pair: pair[1].start,
    )
    return page(
        request,
        "oncall.html",
        visitor=visitor,
        rows=rows,
        mine=mine,
        now=app.clock.now(),
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
        schedule_url=_schedule_url,
    )


@router.get("/oncall.csv", dependencies=[PUBLIC])
def oncall_csv(request: Request, visitor: Staff) -> Response:
    rows = _overview(get_app(request), visitor.principal)
    return csv_response(
        "oncall.csv",
        ("schedule", "customer", "user", "start", "end", "source"),
        (
            (row.schedule.slug, row.schedule.customer, x.user, x.start, x.end, x.source)
            for row in rows
            for x in row.shifts
        ),
    )


def _first_day(text: str, today: date) -> tuple[date, str]:
    """The calendar's first day from ?from=, or today with a sentence saying why."""
    if not text:
        return today, ""
    try:
        chosen = date.fromisoformat(text.strip())
    except ValueError:
        return today, f"“{text[:40]}” is not a date; write it as YYYY-MM-DD. Showing today."
    if not FIRST_YEAR <= chosen.year <= LAST_YEAR:
        return today, f"Pick a date between {FIRST_YEAR} and {LAST_YEAR}. Showing today."
    return chosen, ""


def _schedule_page(
    request: Request,
    visitor: Visitor,
    slug: str,
    *,
    customer: str,
    start_text: str = "",
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    tz = principal.time_zone
    schedule = app.oncall.get_schedule(principal, slug, customer=customer or None)
    today = app.clock.now().astimezone(zone(tz)).date()
    first, date_error = _first_day(start_text, today)
    begin = midnight(first, tz)
    end = midnight(first + timedelta(days=CALENDAR_DAYS), tz)
    shifts = app.oncall.shifts(principal, slug, begin, end, customer=schedule.customer)
    [now] = app.oncall.on_call(principal, schedule=slug, customer=schedule.customer).items
    errors = errors or FormErrors()
    return page(
        request,
        "oncall_schedule.html",
        visitor=visitor,
        status=errors.status if errors else (422 if date_error else 200),
        schedule=schedule,
        on_call=now.on_call,
        days=calendar_days(shifts, first, CALENDAR_DAYS, tz, layer_people(schedule.layers)),
        overrides=app.oncall.list_overrides(principal, slug, customer=schedule.customer).items,
        first=first,
        date_error=date_error,
        week_url=lambda d: _schedule_url(slug, schedule.customer, **{"from": d.isoformat()}),
        today_url=_schedule_url(slug, schedule.customer),
        prev_day=first - timedelta(days=7),
        next_day=first + timedelta(days=7),
        rotation_words=rotation_words,
        restriction_words=restriction_words,
        values=values or {},
        errors=errors,
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
        people=choices_for(app, principal).assignees,
        now_moment=app.clock.now(),
    )


def _new_schedule_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "oncall_schedule_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(get_app(request), visitor.principal),
    )


# Declared before /oncall/schedules/{slug}, which would otherwise take "new" for a slug.
@router.get("/oncall/schedules/new", dependencies=[PUBLIC])
def new_schedule(request: Request, visitor: Staff) -> Response:
    principal = visitor.principal
    principal.require(Permission.CATALOG_MANAGE)
    today = get_app(request).clock.now().astimezone(zone(principal.time_zone)).date()
    defaults = {
        "time_zone": principal.time_zone,
        "layer_name": "Primary",
        "layer_start": f"{today.isoformat()}T09:00",
        "rotation": "weekly",
        "handoff": "09:00",
    }
    return _new_schedule_form(request, visitor, defaults, FormErrors())


@router.post("/oncall/schedules", dependencies=[PUBLIC])
def create_schedule(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in SCHEDULE_FIELDS}
    try:
        data = ScheduleIn.model_validate(schedule_body(form))
        made = get_app(request).oncall.create_schedule(visitor.principal, data)
    except FieldErrors as exc:
        errors = FormErrors(summary="Please correct the marked fields.", fields=exc.fields)
        return _new_schedule_form(request, visitor, values, errors)
    except (ValidationError, TocsinError) as exc:
        found = errors_from(exc)
        found.fields = {schedule_field(k): v for k, v in reversed(found.fields.items())}
        return _new_schedule_form(request, visitor, values, found)
    return see_other(_schedule_url(made.slug, made.customer, ok="schedule_created"))


@router.get("/oncall/schedules/{slug}", dependencies=[PUBLIC])
def schedule_page(
    request: Request, visitor: Staff, slug: str, customer: str = "", ok: str = ""
) -> Response:
    start_text = request.query_params.get("from", "")
    return _schedule_page(request, visitor, slug, customer=customer, start_text=start_text, ok=ok)


@router.post("/oncall/schedules/{slug}/overrides", dependencies=[PUBLIC])
def add_override(request: Request, visitor: PostedStaff, form: FormData, slug: str) -> Response:
    principal = visitor.principal
    customer = form.get("customer", "")
    values = {name: form.get(name, "") for name in OVERRIDE_FIELDS}
    try:
        data = OverrideIn.model_validate(override_body(form, principal.time_zone))
        get_app(request).oncall.create_override(principal, slug, data, customer=customer or None)
    except FieldErrors as exc:
        errors = FormErrors(summary="Please correct the marked fields.", fields=exc.fields)
        return _schedule_page(
            request, visitor, slug, customer=customer, values=values, errors=errors
        )
    except (ValidationError, TocsinError) as exc:
        found = errors_from(exc)
        if "form" in found.fields:  # the model's own check: the end is not after the start
            found.fields["end"] = found.fields.pop("form")
        return _schedule_page(
            request, visitor, slug, customer=customer, values=values, errors=found
        )
    return see_other(_schedule_url(slug, customer, ok="override_added") + "#overrides")


@router.post("/oncall/schedules/{slug}/overrides/{override_id}/delete", dependencies=[PUBLIC])
def delete_override(
    request: Request, visitor: PostedStaff, form: FormData, slug: str, override_id: IdPath
) -> Response:
    customer = form.get("customer", "")
    get_app(request).oncall.delete_override(
        visitor.principal, slug, override_id, customer=customer or None
    )
    return see_other(_schedule_url(slug, customer, ok="override_deleted") + "#overrides")
