"""The requester portal: my incidents, report a problem, follow it, comment, reopen."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.core.errors import TocsinError
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import ActionIn, IncidentIn, NoteIn
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


def _portal(
    request: Request,
    visitor: Visitor,
    *,
    view: str = "open",
    cursor: str = "",
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    view = view if view in VIEWS else "open"
    incidents = app.incidents.list(
        principal,
        IncidentFilter(
            state=None if view == "all" else view,
            requester=None if principal.is_requester else "me",
        ),
        limit=50,
        cursor=cursor or None,
    )
    errors = errors or FormErrors()
    return page(
        request,
        "portal.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        incidents=incidents,
        view=view,
        views=VIEWS,
        next_url=f"/portal?{urlencode({'view': view, 'cursor': incidents.next})}"
        if incidents.next
        else "",
        values=values or {"urgency": "3"},
        errors=errors,
        choices=choices_for(app, principal, full=False),
    )


@router.get("/portal", dependencies=[PUBLIC])
def portal(request: Request, visitor: SignedIn, view: str = "open", cursor: str = "") -> Response:
    return _portal(request, visitor, view=view, cursor=cursor)


@router.post("/portal/incidents", dependencies=[PUBLIC])
def report(request: Request, visitor: Posted, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in REPORT_FIELDS}
    try:
        data = IncidentIn.model_validate(filled(form, REPORT_FIELDS))
        incident = get_app(request).incidents.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _portal(request, visitor, values=values, errors=errors_from(exc))
    return see_other(f"/portal/incidents/{incident.number}?ok=reported")


def _detail(
    request: Request,
    visitor: Visitor,
    ref: str,
    *,
    ok: str = "",
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    app = get_app(request)
    incident = app.incidents.get(visitor.principal, ref)
    # The service already hides work notes from requesters; staff looking at the portal
    # see what the requester sees.
    comments = [n for n in app.incidents.notes(visitor.principal, ref).items if not n.internal]
    errors = errors or FormErrors()
    return page(
        request,
        "portal_incident.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        incident=incident,
        comments=comments,
        can_reopen=Action.REOPEN in incident.allowed_actions,
        notice=notice(ok),
        errors=errors,
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
        return _detail(request, visitor, ref, errors=errors_from(exc), values=values)
    return see_other(f"/portal/incidents/{quote(ref, safe='')}?ok=comment#comments")


@router.post("/portal/incidents/{ref}/reopen", dependencies=[PUBLIC])
def portal_reopen(request: Request, visitor: Posted, form: FormData, ref: str) -> Response:
    values = {"reason": form.get("reason", "")}
    try:
        data = ActionIn.model_validate(filled(form, ["reason"]))
        incident = get_app(request).actions.perform(visitor.principal, ref, Action.REOPEN, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(request, visitor, ref, errors=errors_from(exc), values=values)
    return see_other(f"/portal/incidents/{incident.number}?ok=reopen")
