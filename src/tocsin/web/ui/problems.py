"""Problem management pages: problems (list, new, detail with its lifecycle, five whys,
incidents and impact), problem candidates, the known-error database, and the incident
page's "Problem and known errors" section."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import TocsinError, ValidationFailed
from tocsin.problems.lifecycle import ProblemState
from tocsin.problems.schemas import KnownErrorPatch, ProblemIn, ProblemPatch
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, version_of
from tocsin.web.ui.notices import NOTICES, notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

router = APIRouter(include_in_schema=False, route_class=PageRoute)

NOTICES.update(
    {
        "problem_created": "Problem recorded.",
        "problem_saved": "Problem saved.",
        "problem_moved": "Problem moved.",
        "problem_linked": "Incident linked to the problem.",
        "problem_unlinked": "Incident unlinked from the problem.",
        "candidate_accepted": "Problem opened from the candidate, its incidents linked.",
        "candidate_dismissed": "Candidate dismissed: it is no longer proposed.",
        "known_error_saved": "Known error saved.",
    }
)

TEXT_FIELDS = (
    "title",
    "description",
    "root_cause",
    "contributing_factors",
    "workaround",
    "permanent_fix",
)
# what the state buttons say
MOVES = {
    ProblemState.NEW: "Back to new",
    ProblemState.ASSESSED: "Mark assessed",
    ProblemState.ROOT_CAUSE_ANALYSIS: "Start root cause analysis",
    ProblemState.KNOWN_ERROR: "Known error",
    ProblemState.RESOLVED: "Resolve",
    ProblemState.CLOSED: "Close",
}


def problem_url(number: str) -> str:
    return f"/problems/{quote(number, safe='')}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _problem_body(form: dict[str, str], *, new: bool) -> dict[str, Any]:
    """A problem's fields from the form: blank optional references mean "none"."""
    body: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    body["five_whys"] = _lines(form.get("five_whys", ""))
    body["services"] = _words(form.get("services", ""))
    body["category"] = form.get("category", "").strip() or None
    body["owner"] = form.get("owner", "").strip() or None
    priority = form.get("priority", "").strip()
    if priority:
        body["priority"] = priority
    change = form.get("fix_change", "").strip()
    body["fix_change"] = change or None
    if new:
        body["customer"] = form.get("customer", "").strip() or None
        if not body["root_cause"]:
            del body["root_cause"]
    return body


# problems --------------------------------------------------------------------------------


@router.get("/problems", dependencies=[PUBLIC])
def problem_list(request: Request, visitor: Staff, state: str = "", q: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    problems = app.problems.search(principal, state=state or None, q=q or None, limit=200)
    return page(
        request,
        "problems.html",
        visitor=visitor,
        problems=problems.items,
        total=problems.total,
        state=state,
        q=q,
        states=list(ProblemState),
        can_manage=principal.can(Permission.PROBLEM_MANAGE),
    )


def _new_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "problem_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        choices=choices_for(get_app(request), visitor.principal),
    )


@router.get("/problems/new", dependencies=[PUBLIC])
def new_problem(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.PROBLEM_MANAGE)
    return _new_form(request, visitor, {"priority": "3"}, FormErrors())


@router.post("/problems", dependencies=[PUBLIC])
def create_problem(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    try:
        data = ProblemIn.model_validate(_problem_body(form, new=True))
        made = get_app(request).problems.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _new_form(request, visitor, dict(form), errors_from(exc))
    return see_other(problem_url(made.number) + "?ok=problem_created")


# candidates (before /problems/{ref}) -----------------------------------------------------


@router.get("/problems/candidates", dependencies=[PUBLIC])
def candidate_list(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    return page(
        request,
        "problem_candidates.html",
        visitor=visitor,
        candidates=app.problem_candidates.search(principal),
        days=app.settings.problem_candidate_days,
        minimum=app.settings.problem_candidate_min,
        notice=notice(ok),
        can_manage=principal.can(Permission.PROBLEM_MANAGE),
    )


@router.post("/problems/candidates/{key}/accept", dependencies=[PUBLIC])
def accept_candidate(request: Request, visitor: PostedStaff, key: str) -> Response:
    made = get_app(request).problem_candidates.accept(visitor.principal, key)
    return see_other(problem_url(made.number) + "?ok=candidate_accepted")


@router.post("/problems/candidates/{key}/dismiss", dependencies=[PUBLIC])
def dismiss_candidate(request: Request, visitor: PostedStaff, key: str) -> Response:
    get_app(request).problem_candidates.dismiss(visitor.principal, key)
    return see_other("/problems/candidates?ok=candidate_dismissed")


# one problem -----------------------------------------------------------------------------


def _detail(
    request: Request,
    visitor: Visitor,
    ref: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    problem = app.problems.get(principal, ref)
    errors = errors or FormErrors()
    current = {
        **{name: getattr(problem, name) for name in TEXT_FIELDS},
        "five_whys": "\n".join(problem.five_whys),
        "services": ", ".join(problem.services),
        "category": problem.category or "",
        "owner": problem.owner or "",
        "priority": str(problem.priority),
        "fix_change": str(problem.fix_change or ""),
    }
    return page(
        request,
        "problem.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        problem=problem,
        incidents=app.problems.linked(principal, problem.number),
        values=values if values is not None else current,
        errors=errors,
        moves=[(s, MOVES[s]) for s in problem.allowed_states],
        notice=notice(ok),
        choices=choices_for(app, principal),
        can_manage=principal.can(Permission.PROBLEM_MANAGE),
    )


@router.get("/problems/{ref}", dependencies=[PUBLIC])
def problem_detail(request: Request, visitor: Staff, ref: str, ok: str = "") -> Response:
    return _detail(request, visitor, ref, ok=ok)


@router.post("/problems/{ref}", dependencies=[PUBLIC])
def edit_problem(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    app = get_app(request)
    body = _problem_body(form, new=False)
    state = form.get("state", "").strip()
    if state:  # a state button: the form carries the edits made before pressing it
        body["state"] = state
    try:
        data = ProblemPatch.model_validate(body)
        made = app.problems.patch(visitor.principal, ref, data, if_match=version_of(form))
    except (ValidationError, TocsinError) as exc:
        return _detail(request, visitor, ref, values=dict(form), errors=errors_from(exc))
    code = "problem_moved" if state else "problem_saved"
    return see_other(problem_url(made.number) + f"?ok={code}")


@router.post("/problems/{ref}/incidents", dependencies=[PUBLIC])
def link_incident(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    app = get_app(request)
    numbers = _words(form.get("incidents", ""))
    try:
        if not numbers:
            raise ValidationFailed("Name an incident to link, e.g. INC0001234.", field="incidents")
        app.problems.link(visitor.principal, ref, numbers)
    except TocsinError as exc:
        return _detail(request, visitor, ref, errors=errors_from(exc))
    return see_other(problem_url(ref.upper()) + "?ok=problem_linked")


@router.post("/problems/{ref}/incidents/{incident}/unlink", dependencies=[PUBLIC])
def unlink_incident(request: Request, visitor: PostedStaff, ref: str, incident: str) -> Response:
    get_app(request).problems.unlink(visitor.principal, ref, incident)
    return see_other(problem_url(ref.upper()) + "?ok=problem_unlinked")


# known errors ----------------------------------------------------------------------------


@router.get("/known-errors", dependencies=[PUBLIC])
def known_error_list(request: Request, visitor: Staff, q: str = "", active: str = "") -> Response:
    app = get_app(request)
    flag = {"yes": True, "no": False}.get(active)
    found = app.known_errors.search(visitor.principal, q=q or None, active=flag, limit=200)
    return page(
        request,
        "known_errors.html",
        visitor=visitor,
        known_errors=found.items,
        total=found.total,
        q=q,
        active=active,
    )


def _known_detail(
    request: Request,
    visitor: Visitor,
    ref: str,
    *,
    errors: FormErrors | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    errors = errors or FormErrors()
    return page(
        request,
        "known_error.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        known=app.known_errors.get(principal, ref),
        errors=errors,
        notice=notice(ok),
        can_manage=principal.can(Permission.PROBLEM_MANAGE),
    )


@router.get("/known-errors/{ref}", dependencies=[PUBLIC])
def known_error_detail(request: Request, visitor: Staff, ref: str, ok: str = "") -> Response:
    return _known_detail(request, visitor, ref, ok=ok)


@router.post("/known-errors/{ref}", dependencies=[PUBLIC])
def edit_known_error(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    body: dict[str, Any] = {
        "title": form.get("title", ""),
        "symptoms": form.get("symptoms", ""),
        "workaround": form.get("workaround", ""),
        "fingerprint": form.get("fingerprint", "").strip() or None,
        "active": form.get("active") == "on",
    }
    try:
        data = KnownErrorPatch.model_validate(body)
        get_app(request).known_errors.patch(visitor.principal, ref, data, if_match=version_of(form))
    except (ValidationError, TocsinError) as exc:
        return _known_detail(request, visitor, ref, errors=errors_from(exc))
    return see_other(f"/known-errors/{quote(ref.upper(), safe='')}?ok=known_error_saved")


# the incident page's section -------------------------------------------------------------


def incident_section(app: Tocsin, principal: Principal, incident: str) -> dict[str, Any] | None:
    """What the incident page shows under "Problem and known errors" (None: not for this
    reader)."""
    if not principal.can(Permission.PROBLEM_READ):
        return None
    return {
        "problem": app.problems.of_incident(principal, incident),
        "known_errors": app.known_errors.for_incident(principal, incident),
    }
