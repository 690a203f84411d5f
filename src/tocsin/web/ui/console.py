"""The staff console's form that opens an incident (the queue is in queue.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError
from tocsin.incidents.schemas import IncidentIn, IncidentType
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff / PostedStaff redirect to /login, requesters to /portal); see pages.py.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

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
