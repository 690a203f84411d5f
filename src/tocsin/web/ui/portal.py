"""The requester portal: report an issue, my requests, follow one, comment, reopen.

A simpler, separate look (templates/portal_base.html): no staff navigation, no live
updates, and nothing staff-only: no work notes, no team or assignee, no alerts, no SLA
internals beyond the time the service desk aims to respond by.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentOut, NoteIn, NoteOut
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, Posted, SignedIn, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (SignedIn / Posted redirect to /login). Staff may use the portal too: they see the
# incidents they reported themselves, exactly as a requester would.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

REPORT_FIELDS = ("title", "description", "urgency", "service", "category")
VIEWS = {"open": "Open", "done": "Resolved and closed", "all": "All"}
URGENCIES = [
    ("1", "High: I cannot work"),
    ("2", "Medium: I can work around it"),
    ("3", "Low: it can wait"),
]
SERVICE_DESK = "Service desk"


def _portal_page(
    request: Request, visitor: Visitor, template: str, *, status: int = 200, **context: Any
) -> Response:
    customer = get_app(request).auth.own_customer(visitor.principal)
    return page(
        request, template, visitor=visitor, status=status, customer=customer.name, **context
    )


@router.get("/portal", dependencies=[PUBLIC])
def portal(
    request: Request, visitor: SignedIn, view: str = "open", cursor: str = "", ok: str = ""
) -> Response:
    principal = visitor.principal
    view = view if view in VIEWS else "open"
    incidents = get_app(request).incidents.list(
        principal,
        IncidentFilter(
            state=None if view == "all" else view,
            requester=None if principal.is_requester else "me",
        ),
        limit=50,
        cursor=cursor or None,
    )
    return _portal_page(
        request,
        visitor,
        "portal.html",
        incidents=incidents,
        view=view,
        views=VIEWS,
        next_url=f"/portal?{urlencode({'view': view, 'cursor': incidents.next})}"
        if incidents.next
        else "",
        notice=notice(ok),
    )


def _report_form(
    request: Request,
    visitor: Visitor,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    errors = errors or FormErrors()
    return _portal_page(
        request,
        visitor,
        "portal_report.html",
        status=errors.status if errors else 200,
        values=values or {"urgency": "3"},
        errors=errors,
        urgencies=URGENCIES,
        choices=choices_for(get_app(request), visitor.principal, full=False),
    )


@router.get("/portal/new", dependencies=[PUBLIC])
def report_form(request: Request, visitor: SignedIn) -> Response:
    return _report_form(request, visitor)


@router.post("/portal/incidents", dependencies=[PUBLIC])
def report(request: Request, visitor: Posted, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in REPORT_FIELDS}
    try:
        data = IncidentIn.model_validate(filled(form, REPORT_FIELDS))
        incident = get_app(request).incidents.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _report_form(request, visitor, values=values, errors=errors_from(exc))
    return see_other(f"/portal/incidents/{incident.number}?ok=reported")


def _author(note: NoteOut, incident: IncidentOut, me: str) -> str:
    """Who wrote a comment, as the requester may know it: the customer's own people by
    name, the provider's staff only as the service desk (their addresses stay internal)."""
    if note.author == me:
        return "You"
    if note.author == incident.requester or note.author in incident.shared_with:
        return note.author
    return SERVICE_DESK


def _detail(
    request: Request,
    visitor: Visitor,
    ref: str,
    *,
    ok: str = "",
    errors: FormErrors | None = None,
    failed: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    incident = app.incidents.get(principal, ref)
    # The service already hides work notes from requesters; staff looking at the portal
    # see what the requester sees.
    comments = [
        (_author(n, incident, principal.email), n)
        for n in app.incidents.notes(principal, ref).items
        if not n.internal
    ]
    errors = errors or FormErrors()
    sla = incident.sla
    aim = None
    if sla is not None and sla.state != "paused":
        if sla.response.met_at is None and sla.response.due_at is not None:
            aim = ("respond", sla.response.due_at)
        elif sla.resolution.met_at is None and sla.resolution.due_at is not None:
            aim = ("resolve it", sla.resolution.due_at)
    return _portal_page(
        request,
        visitor,
        "portal_incident.html",
        status=errors.status if errors else 200,
        incident=incident,
        comments=comments,
        aim=aim,
        # Only the requester of record reopens (the service says so too); staff reopen
        # from the console.
        can_reopen=Action.REOPEN in incident.allowed_actions
        and principal.can(Permission.INCIDENT_REOPEN)
        and incident.requester == principal.email,
        can_comment=principal.can(Permission.INCIDENT_COMMENT),
        notice=notice(ok),
        errors=errors,
        failed=failed,
        values=values or {},
    )


@router.get("/portal/incidents/{ref}", dependencies=[PUBLIC])
def portal_incident(request: Request, visitor: SignedIn, ref: str, ok: str = "") -> Response:
    return _detail(request, visitor, ref, ok=ok)


@router.post("/portal/incidents/{ref}/comments", dependencies=[PUBLIC])
def portal_comment(request: Request, visitor: Posted, form: FormData, ref: str) -> Response:
    values = {"body": form.get("body", "")}
    try:
        data = NoteIn(body=values["body"], internal=False)
        get_app(request).incidents.add_note(visitor.principal, ref, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, ref, errors=errors_from(exc), failed="comment", values=values
        )
    return see_other(f"/portal/incidents/{quote(ref, safe='')}?ok=comment#comments")


@router.post("/portal/incidents/{ref}/reopen", dependencies=[PUBLIC])
def portal_reopen(request: Request, visitor: Posted, form: FormData, ref: str) -> Response:
    values = {"reason": form.get("reason", "")}
    try:
        data = ActionIn.model_validate(filled(form, ["reason"]))
        incident = get_app(request).actions.perform(visitor.principal, ref, Action.REOPEN, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, ref, errors=errors_from(exc), failed="reopen", values=values
        )
    return see_other(f"/portal/incidents/{incident.number}?ok=reopen")
