"""The staff console: the incident queue and the form that opens an incident."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError
from tocsin.core.paging import Page
from tocsin.incidents.lifecycle import State
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import IncidentIn, IncidentOut, IncidentType
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff / PostedStaff redirect to /login, requesters to /portal); see pages.py.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 50
STATE_CHOICES = [
    ("open", "Open"),
    *((s.value, s.value.replace("_", " ").capitalize()) for s in State),
    ("done", "Done"),
    ("all", "All"),
]
CREATE_FIELDS = (
    "title",
    "description",
    "type",
    "impact",
    "urgency",
    "category",
    "subcategory",
    "service",
    "customer",
    "requester",
    "team",
    "assignee",
)


@router.get("/", dependencies=[PUBLIC])
def queue(
    request: Request,
    visitor: Staff,
    state: str = "open",
    priority: str = "",
    team: str = "",
    assignee: str = "",
    customer: str = "",
    q: str = "",
    cursor: str = "",
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    filters = {
        "state": state,
        "priority": priority,
        "team": team,
        "assignee": assignee.strip(),
        "customer": customer,
        "q": q.strip()[:200],
    }
    error = ""
    status = 200
    try:
        incidents = app.incidents.list(
            principal,
            IncidentFilter(
                state=None if state == "all" else state or None,
                priority=priority or None,
                team=team or None,
                assignee=filters["assignee"] or None,
                customer=customer or None,
                q=filters["q"] or None,
            ),
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except TocsinError as exc:
        error, status = exc.detail, exc.status
        incidents = Page[IncidentOut](items=[], total=0, next=None)
    active = {k: v for k, v in filters.items() if v}
    return page(
        request,
        "queue.html",
        visitor=visitor,
        status=status,
        incidents=incidents,
        filters=filters,
        choices=choices_for(app, principal),
        state_choices=STATE_CHOICES,
        error=error,
        notice=notice(ok),
        next_url="/?" + urlencode({**active, "cursor": incidents.next}) if incidents.next else "",
        first_url=("/?" + urlencode(active)) if cursor else "",
        can_create=principal.can(Permission.INCIDENT_CREATE),
    )


def _new_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "incident_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(get_app(request), visitor.principal),
        types=list(IncidentType),
    )


@router.get("/incidents/new", dependencies=[PUBLIC])
def new_incident(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.INCIDENT_CREATE)
    defaults = {"type": IncidentType.INCIDENT.value, "impact": "3", "urgency": "3"}
    return _new_form(request, visitor, defaults, FormErrors())


@router.post("/incidents", dependencies=[PUBLIC])
def create_incident(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in CREATE_FIELDS}
    try:
        data = IncidentIn.model_validate(filled(form, CREATE_FIELDS))
        incident = get_app(request).incidents.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _new_form(request, visitor, values, errors_from(exc))
    return see_other(f"/incidents/{incident.number}?ok=created")
