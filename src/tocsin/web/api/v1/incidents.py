"""/api/v1/incidents: open, list, read, edit, act on, comment on and link incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status
from pydantic import BeforeValidator

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.errors import ValidationFailed
from tocsin.core.paging import Page
from tocsin.core.times import not_a_number
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import (
    ActionIn,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    LinkedIncidentOut,
    LinkIn,
    NoteIn,
    NoteOut,
    TimelineEntryOut,
)
from tocsin.web.access import AppDep, RequireByParam, require

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Reader = Annotated[Principal, require(Permission.INCIDENT_READ)]
Creator = Annotated[Principal, require(Permission.INCIDENT_CREATE)]
Worker = Annotated[Principal, require(Permission.INCIDENT_WORK)]
# Reopening is open to requesters; every other action is work. A work note (internal) needs
# incident.work too, which the service checks against the body.
ActionTaker = Annotated[
    Principal,
    Depends(
        RequireByParam(
            "action",
            {Action.REOPEN.value: Permission.INCIDENT_REOPEN},
            default=Permission.INCIDENT_WORK,
        )
    ),
]
Commenter = Annotated[Principal, require(Permission.INCIDENT_COMMENT)]
# A date alone, or a time without a zone, is read in the user's own time zone.
FilterTime = Annotated[datetime, BeforeValidator(not_a_number)]
IfMatch = Annotated[str | None, Header(description='The ETag you read, e.g. "3"')]


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdecimal():
        raise ValidationFailed(
            f'If-Match must be the ETag of the incident, e.g. "3", not {value!r}.', field="If-Match"
        )
    return int(text)


def _tagged(response: Response, incident: IncidentOut) -> IncidentOut:
    response.headers["ETag"] = f'"{incident.version}"'
    return incident


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open an incident")
def create_incident(
    app: AppDep, principal: Creator, data: IncidentIn, response: Response
) -> IncidentOut:
    incident = app.incidents.create(principal, data)
    response.headers["Location"] = f"/api/v1/incidents/{incident.number}"
    return _tagged(response, incident)


@router.get("", summary="List incidents, newest first unless sorted")
def list_incidents(
    app: AppDep,
    principal: Reader,
    state: Annotated[
        str | None, Query(description="open, done, or states, comma-separated")
    ] = None,
    priority: Annotated[str | None, Query(description="e.g. 1,2 or P1,P2")] = None,
    customer: str | None = None,
    team: Annotated[str | None, Query(description="team slug, or none")] = None,
    assignee: Annotated[str | None, Query(description="e-mail or id, me, or none")] = None,
    service: Annotated[
        str | None, Query(description="service slug (with customer when slugs repeat)")
    ] = None,
    requester: Annotated[str | None, Query(description="e-mail or id, or me")] = None,
    type: str | None = None,
    major: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text or INC number")] = None,
    opened_after: FilterTime | None = None,
    opened_before: FilterTime | None = None,
    sort: Annotated[
        str | None,
        Query(
            description="number, priority, state, opened_at or updated_at; a leading - "
            "sorts descending (default -opened_at, the newest first)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
    cursor: str | None = None,
) -> Page[IncidentOut]:
    filters = IncidentFilter(
        state=state,
        priority=priority,
        customer=customer,
        team=team,
        assignee=assignee,
        service=service,
        requester=requester,
        type=type,
        major=major,
        q=q,
        opened_after=opened_after,
        opened_before=opened_before,
    )
    return app.incidents.list(principal, filters, limit=limit, cursor=cursor, sort=sort)


@router.get("/{ref}", summary="Read an incident by id or number")
def get_incident(app: AppDep, principal: Reader, ref: str, response: Response) -> IncidentOut:
    return _tagged(response, app.incidents.get(principal, ref))


@router.patch("/{ref}", summary="Change fields of an incident")
def patch_incident(
    app: AppDep,
    principal: Worker,
    ref: str,
    data: IncidentPatch,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentOut:
    incident = app.incidents.patch(principal, ref, data, if_match=parse_if_match(if_match))
    return _tagged(response, incident)


@router.post("/{ref}/actions/{action}", summary="Move an incident through its lifecycle")
def act_on_incident(
    app: AppDep,
    principal: ActionTaker,
    ref: str,
    action: Action,
    response: Response,
    if_match: IfMatch = None,
    data: Annotated[ActionIn | None, Body()] = None,
) -> IncidentOut:
    incident = app.actions.perform(
        principal, ref, action, data or ActionIn(), if_match=parse_if_match(if_match)
    )
    return _tagged(response, incident)


@router.post(
    "/{ref}/notes",
    status_code=status.HTTP_201_CREATED,
    summary="Add a work note (internal) or a comment the requester sees",
)
def add_note(app: AppDep, principal: Commenter, ref: str, data: NoteIn) -> NoteOut:
    return app.incidents.add_note(principal, ref, data)


@router.get("/{ref}/notes", summary="Notes of an incident (requesters see comments only)")
def list_notes(app: AppDep, principal: Reader, ref: str) -> Page[NoteOut]:
    return app.incidents.notes(principal, ref)


@router.get("/{ref}/timeline", summary="Every change of an incident, oldest first")
def timeline(app: AppDep, principal: Reader, ref: str) -> Page[TimelineEntryOut]:
    return app.incidents.timeline(principal, ref)


@router.get(
    "/{ref}/links",
    summary="Incidents linked to this one (related, duplicates, causes), both directions",
)
def list_links(app: AppDep, principal: Reader, ref: str) -> list[LinkedIncidentOut]:
    return app.incident_links.linked(principal, ref)


@router.post(
    "/{ref}/links",
    status_code=status.HTTP_201_CREATED,
    summary="Link another incident to this one",
    description="`kind` says how this incident relates to the other: `related`, "
    "`duplicate_of` (this one duplicates it) or `caused_by` (it caused this one). Both "
    "incidents show the link and get a timeline entry. Resolving a duplicate is not "
    "automatic.",
)
def create_link(app: AppDep, principal: Worker, ref: str, data: LinkIn) -> LinkedIncidentOut:
    return app.incident_links.link(principal, ref, data)


@router.delete(
    "/{ref}/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a link (from either of its incidents)",
)
def delete_link(app: AppDep, principal: Worker, ref: str, link_id: int) -> Response:
    app.incident_links.unlink(principal, ref, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
