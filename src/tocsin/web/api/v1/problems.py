"""/api/v1/problems, /api/v1/known-errors, /api/v1/problem-candidates, and the
incident's known errors and suggestions."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Response, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.problems.schemas import (
    CandidateOut,
    KnownErrorIn,
    KnownErrorMatchOut,
    KnownErrorOut,
    KnownErrorPatch,
    LinkIncidentsIn,
    ProblemIn,
    ProblemIncidentOut,
    ProblemOut,
    ProblemPatch,
    SuggestionsOut,
)
from tocsin.web.access import AppDep, require
from tocsin.web.api.v1.incidents import IfMatch, parse_if_match

T = TypeVar("T", ProblemOut, KnownErrorOut)

router = APIRouter(prefix="/api/v1", tags=["problems"])

Reader = Annotated[Principal, require(Permission.PROBLEM_READ)]
Manager = Annotated[Principal, require(Permission.PROBLEM_MANAGE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Text = Annotated[str | None, Query(max_length=200)]


def _tagged(response: Response, item: T) -> T:
    response.headers["ETag"] = f'"{item.version}"'
    return item


# problems --------------------------------------------------------------------------------


@router.post("/problems", status_code=status.HTTP_201_CREATED, summary="Record a problem")
def create_problem(
    app: AppDep, principal: Manager, data: ProblemIn, response: Response
) -> ProblemOut:
    problem = app.problems.create(principal, data)
    response.headers["Location"] = f"/api/v1/problems/{problem.number}"
    return _tagged(response, problem)


@router.get("/problems", summary="List problems, newest first")
def list_problems(
    app: AppDep,
    principal: Reader,
    state: Annotated[str | None, Query(description="open, or states, comma-separated")] = None,
    service: Text = None,
    customer: Text = None,
    q: Annotated[str | None, Query(max_length=200, description="text or PRB number")] = None,
    limit: Limit = 25,
    cursor: str | None = None,
) -> Page[ProblemOut]:
    return app.problems.search(
        principal,
        state=state,
        service=service,
        customer=customer,
        q=q,
        limit=limit,
        cursor=cursor,
    )


@router.get("/problems/{ref}", summary="Read a problem by id or number")
def get_problem(app: AppDep, principal: Reader, ref: str, response: Response) -> ProblemOut:
    return _tagged(response, app.problems.get(principal, ref))


@router.patch(
    "/problems/{ref}",
    summary="Change a problem, or move it (`state`)",
    description="A `state` not allowed from the current one answers 409 naming the allowed "
    "ones; known_error needs root_cause and workaround, resolved needs permanent_fix (422). "
    "Entering known_error creates or updates the problem's known error.",
)
def patch_problem(
    app: AppDep,
    principal: Manager,
    ref: str,
    data: ProblemPatch,
    response: Response,
    if_match: IfMatch = None,
) -> ProblemOut:
    problem = app.problems.patch(principal, ref, data, if_match=parse_if_match(if_match))
    return _tagged(response, problem)


@router.get("/problems/{ref}/incidents", summary="Incidents linked to a problem")
def problem_incidents(app: AppDep, principal: Reader, ref: str) -> list[ProblemIncidentOut]:
    return app.problems.linked(principal, ref)


@router.post(
    "/problems/{ref}/incidents",
    summary="Link incidents to a problem",
    description="An incident has at most one problem: one linked elsewhere answers 409.",
)
def link_incidents(
    app: AppDep, principal: Manager, ref: str, data: LinkIncidentsIn
) -> list[ProblemIncidentOut]:
    return app.problems.link(principal, ref, data.incidents)


@router.delete(
    "/problems/{ref}/incidents/{incident}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unlink an incident from a problem",
)
def unlink_incident(app: AppDep, principal: Manager, ref: str, incident: str) -> Response:
    app.problems.unlink(principal, ref, incident)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# candidates ------------------------------------------------------------------------------


@router.get("/problem-candidates", summary="Recurring incidents proposed as problems")
def list_candidates(app: AppDep, principal: Reader) -> list[CandidateOut]:
    return app.problem_candidates.search(principal)


@router.post(
    "/problem-candidates/{key}/accept",
    status_code=status.HTTP_201_CREATED,
    summary="Open a problem from a candidate, its incidents linked",
)
def accept_candidate(app: AppDep, principal: Manager, key: str, response: Response) -> ProblemOut:
    problem = app.problem_candidates.accept(principal, key)
    response.headers["Location"] = f"/api/v1/problems/{problem.number}"
    return _tagged(response, problem)


@router.post(
    "/problem-candidates/{key}/dismiss",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop proposing a candidate",
)
def dismiss_candidate(app: AppDep, principal: Manager, key: str) -> Response:
    app.problem_candidates.dismiss(principal, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# known errors ----------------------------------------------------------------------------


@router.post("/known-errors", status_code=status.HTTP_201_CREATED, summary="Record a known error")
def create_known_error(
    app: AppDep, principal: Manager, data: KnownErrorIn, response: Response
) -> KnownErrorOut:
    known = app.known_errors.create(principal, data)
    response.headers["Location"] = f"/api/v1/known-errors/{known.number}"
    return _tagged(response, known)


@router.get("/known-errors", summary="Search known errors (title, symptoms, workaround)")
def list_known_errors(
    app: AppDep,
    principal: Reader,
    q: Text = None,
    service: Text = None,
    category: Text = None,
    active: bool | None = None,
    customer: Text = None,
    limit: Limit = 25,
    cursor: str | None = None,
) -> Page[KnownErrorOut]:
    return app.known_errors.search(
        principal,
        q=q,
        service=service,
        category=category,
        active=active,
        customer=customer,
        limit=limit,
        cursor=cursor,
    )


@router.get("/known-errors/{ref}", summary="Read a known error by id or number")
def get_known_error(app: AppDep, principal: Reader, ref: str, response: Response) -> KnownErrorOut:
    return _tagged(response, app.known_errors.get(principal, ref))


@router.patch("/known-errors/{ref}", summary="Change a known error")
def patch_known_error(
    app: AppDep,
    principal: Manager,
    ref: str,
    data: KnownErrorPatch,
    response: Response,
    if_match: IfMatch = None,
) -> KnownErrorOut:
    known = app.known_errors.patch(principal, ref, data, if_match=parse_if_match(if_match))
    return _tagged(response, known)


# on incidents ----------------------------------------------------------------------------


@router.get(
    "/incidents/{ref}/known-errors",
    summary="Known errors the incident matches, best first",
    tags=["incidents"],
)
def incident_known_errors(app: AppDep, principal: Reader, ref: str) -> list[KnownErrorMatchOut]:
    return app.known_errors.for_incident(principal, ref)


@router.get(
    "/incidents/{ref}/suggestions",
    summary="Category, priority and team suggested by similar past incidents",
    tags=["incidents"],
)
def incident_suggestions(app: AppDep, principal: Reader, ref: str) -> SuggestionsOut:
    found = app.suggestions.for_incident(principal, ref)
    if not principal.can(Permission.CHANGE_READ):
        return found
    return found.model_copy(update={"changes": app.changes.recent_for_incident(principal, ref)})
