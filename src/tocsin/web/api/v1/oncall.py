"""/api/v1/schedules, escalation-policies and oncall; the iCalendar feeds under /ical."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BeforeValidator

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.core.times import filter_time, not_a_number
from tocsin.oncall.schemas import (
    OnCallAnswer,
    OverrideIn,
    OverrideOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    ScheduleIn,
    ScheduleOut,
    SchedulePatch,
    ShiftOut,
)
from tocsin.web.access import PUBLIC, AppDep, IdPath, require

router = APIRouter(prefix="/api/v1")
feeds = APIRouter(tags=["on-call"])

Reader = Annotated[Principal, require(Permission.TEAMS_READ)]
Manager = Annotated[Principal, require(Permission.CATALOG_MANAGE)]
CustomerQuery = Annotated[
    str | None, Query(description="Customer slug, when several customers have this slug")
]
Moment = Annotated[datetime, BeforeValidator(not_a_number)]
ICAL = "text/calendar; charset=utf-8"


@router.post("/schedules", status_code=status.HTTP_201_CREATED, tags=["on-call"])
def create_schedule(app: AppDep, principal: Manager, data: ScheduleIn) -> ScheduleOut:
    return app.oncall.create_schedule(principal, data)


@router.get("/schedules", tags=["on-call"])
def list_schedules(app: AppDep, principal: Reader) -> Page[ScheduleOut]:
    return app.oncall.list_schedules(principal)


@router.get("/schedules/{slug}", tags=["on-call"])
def get_schedule(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> ScheduleOut:
    return app.oncall.get_schedule(principal, slug, customer=customer)


@router.patch("/schedules/{slug}", tags=["on-call"])
def patch_schedule(
    app: AppDep, principal: Manager, slug: str, data: SchedulePatch, customer: CustomerQuery = None
) -> ScheduleOut:
    return app.oncall.patch_schedule(principal, slug, data, customer=customer)


@router.delete("/schedules/{slug}", status_code=status.HTTP_204_NO_CONTENT, tags=["on-call"])
def delete_schedule(
    app: AppDep, principal: Manager, slug: str, customer: CustomerQuery = None
) -> Response:
    app.oncall.delete_schedule(principal, slug, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/schedules/{slug}/overrides", status_code=status.HTTP_201_CREATED, tags=["on-call"])
def create_override(
    app: AppDep, principal: Manager, slug: str, data: OverrideIn, customer: CustomerQuery = None
) -> OverrideOut:
    return app.oncall.create_override(principal, slug, data, customer=customer)


@router.get("/schedules/{slug}/overrides", tags=["on-call"])
def list_overrides(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> Page[OverrideOut]:
    return app.oncall.list_overrides(principal, slug, customer=customer)


@router.delete(
    "/schedules/{slug}/overrides/{override_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["on-call"],
)
def delete_override(
    app: AppDep,
    principal: Manager,
    slug: str,
    override_id: IdPath,
    customer: CustomerQuery = None,
) -> Response:
    app.oncall.delete_override(principal, slug, override_id, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/schedules/{slug}/shifts", tags=["on-call"])
def list_shifts(
    app: AppDep,
    principal: Reader,
    slug: str,
    start: Annotated[
        Moment | None, Query(description="ISO 8601 (without a zone: yours); default now")
    ] = None,
    end: Annotated[
        Moment | None, Query(description="At most 366 days after start; default 7 days after")
    ] = None,
    customer: CustomerQuery = None,
) -> list[ShiftOut]:
    begin = (
        filter_time(start, principal.time_zone, field="start")
        if start is not None
        else app.clock.now()
    )
    finish = (
        filter_time(end, principal.time_zone, field="end")
        if end is not None
        else begin + timedelta(days=7)
    )
    return app.oncall.shifts(principal, slug, begin, finish, customer=customer)


@router.get("/oncall", tags=["on-call"])
def who_is_on_call(
    app: AppDep,
    principal: Reader,
    schedule: Annotated[str | None, Query(description="Schedule slug; all when omitted")] = None,
    at: Annotated[Moment | None, Query(description="ISO 8601; default now")] = None,
    customer: CustomerQuery = None,
) -> OnCallAnswer:
    moment = filter_time(at, principal.time_zone, field="at") if at is not None else None
    return app.oncall.on_call(principal, schedule=schedule, at=moment, customer=customer)


@router.post("/escalation-policies", status_code=status.HTTP_201_CREATED, tags=["on-call"])
def create_policy(app: AppDep, principal: Manager, data: PolicyIn) -> PolicyOut:
    return app.oncall.create_policy(principal, data)


@router.get("/escalation-policies", tags=["on-call"])
def list_policies(app: AppDep, principal: Reader) -> Page[PolicyOut]:
    return app.oncall.list_policies(principal)


@router.get("/escalation-policies/{slug}", tags=["on-call"])
def get_policy(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> PolicyOut:
    return app.oncall.get_policy(principal, slug, customer=customer)


@router.patch("/escalation-policies/{slug}", tags=["on-call"])
def patch_policy(
    app: AppDep, principal: Manager, slug: str, data: PolicyPatch, customer: CustomerQuery = None
) -> PolicyOut:
    return app.oncall.patch_policy(principal, slug, data, customer=customer)


@router.delete(
    "/escalation-policies/{slug}", status_code=status.HTTP_204_NO_CONTENT, tags=["on-call"]
)
def delete_policy(
    app: AppDep, principal: Manager, slug: str, customer: CustomerQuery = None
) -> Response:
    app.oncall.delete_policy(principal, slug, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Calendar apps send no Authorization header: the signed token in the path is the key.
@feeds.get(
    "/ical/schedules/{token}.ics",
    dependencies=[PUBLIC],
    response_class=Response,
    summary="A schedule's shifts for the next 90 days (iCalendar)",
)
def schedule_calendar(app: AppDep, token: str) -> Response:
    return Response(app.oncall.schedule_feed(token), media_type=ICAL)


@feeds.get(
    "/ical/users/{token}.ics",
    dependencies=[PUBLIC],
    response_class=Response,
    summary="A user's shifts on every schedule for the next 90 days (iCalendar)",
)
def user_calendar(app: AppDep, token: str) -> Response:
    return Response(app.oncall.user_feed(token), media_type=ICAL)
