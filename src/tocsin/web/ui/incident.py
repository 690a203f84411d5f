"""One incident in the staff console: its fields, SLA timers, lifecycle actions, notes,
linked incidents, alerts and timeline."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import ASSIGNABLE_ROLES, Permission
from tocsin.core.errors import NotFound, StaleVersion, TocsinError
from tocsin.core.ids import as_id
from tocsin.incidents.actions import ACTION_FIELDS
from tocsin.incidents.lifecycle import Action, HoldReason, ResolutionCode
from tocsin.incidents.schemas import ActionIn, LinkIn, LinkKind, NoteIn
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.changes import recent_changes
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled, version_of
from tocsin.web.ui.incident_view import NEXT_STEP, ONE_CLICK, SUBMIT_LABELS, sla_timers
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Redirect, SignedIn, see_other
from tocsin.web.ui.problems import incident_section
from tocsin.web.ui.render import page
from tocsin.web.ui.reviews import review_panel
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (SignedIn / PostedStaff redirect to /login); the services check role and tenant.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

STALE = (
    "Someone else changed this incident while you were looking at it, so your change was "
    "not applied. The page now shows the current version; check it and try again."
)


def needed(action: Action) -> Permission:
    return Permission.INCIDENT_REOPEN if action is Action.REOPEN else Permission.INCIDENT_WORK


def _detail(
    request: Request,
    visitor: Visitor,
    ref: str,
    *,
    errors: FormErrors | None = None,
    failed_action: str = "",
    values: dict[str, str] | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    incident = app.incidents.get(principal, ref)
    timeline = app.incidents.timeline(principal, incident.number).items
    alerts = (
        app.alerts.list(principal, incident=incident.number, limit=200).items
        if principal.can(Permission.TEAMS_READ)
        else []
    )
    links = app.incident_links.linked(principal, incident.number)
    errors = errors or FormErrors()
    can_work = principal.can(Permission.INCIDENT_WORK)
    actions = [a for a in incident.allowed_actions if principal.can(needed(a))]
    next_step = NEXT_STEP.get(incident.state)
    return page(
        request,
        "incident.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        incident=incident,
        timeline=timeline,
        alerts=alerts,
        actions=actions,
        one_click=ONE_CLICK,
        next_step=next_step if next_step in actions else None,
        submit_labels=SUBMIT_LABELS,
        # one click for the signed-in agent, when the incident is not theirs already
        assign_to_me=Action.ASSIGN in actions
        and principal.role in ASSIGNABLE_ROLES
        and incident.assignee != principal.email,
        timers=sla_timers(incident.sla),
        links=links,
        link_kinds=list(LinkKind),
        errors=errors,
        failed_action=failed_action,
        values=values or {},
        notice=notice(ok),
        choices=choices_for(app, principal) if can_work else None,
        hold_reasons=list(HoldReason),
        resolution_codes=list(ResolutionCode),
        can_work=can_work,
        can_comment=principal.can(Permission.INCIDENT_COMMENT),
        recent_changes=recent_changes(app, principal, incident.number),
        recent_changes_hours=app.changes.recent_hours,
        problem_section=incident_section(app, principal, incident.number),
        review_panel=review_panel(app, principal, incident),
    )


@router.get("/incidents/{ref}", dependencies=[PUBLIC])
def incident_detail(request: Request, visitor: SignedIn, ref: str, ok: str = "") -> Response:
    if not visitor.principal.is_staff:
        raise Redirect(f"/portal/incidents/{quote(ref, safe='')}")
    return _detail(request, visitor, ref, ok=ok)


@router.post("/incidents/{ref}/actions/{action}", dependencies=[PUBLIC])
def incident_action(
    request: Request, visitor: PostedStaff, form: FormData, ref: str, action: str
) -> Response:
    try:
        chosen = Action(action)
    except ValueError:
        raise NotFound(f"There is no action {action!r}.") from None
    values = filled(form, ACTION_FIELDS[chosen])
    try:
        data = ActionIn.model_validate(values)
        incident = get_app(request).actions.perform(
            visitor.principal, ref, chosen, data, if_match=version_of(form)
        )
    except StaleVersion as exc:
        errors = FormErrors(summary=f"{STALE} ({exc.detail})", status=exc.status)
        return _detail(
            request, visitor, ref, errors=errors, failed_action=chosen.value, values=values
        )
    except (ValidationError, TocsinError) as exc:
        # An unknown team or assignee is a mistake on the form; a missing incident
        # raises NotFound again while the page is drawn, and becomes a 404 page.
        return _detail(
            request,
            visitor,
            ref,
            errors=errors_from(exc),
            failed_action=chosen.value,
            values=values,
        )
    return see_other(f"/incidents/{incident.number}?ok={chosen.value}")


@router.post("/incidents/{ref}/notes", dependencies=[PUBLIC])
def incident_note(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    internal = form.get("kind", "work_note") != "comment"
    values = {"body": form.get("body", ""), "kind": "work_note" if internal else "comment"}
    try:
        data = NoteIn(body=values["body"], internal=internal)
        get_app(request).incidents.add_note(visitor.principal, ref, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, ref, errors=errors_from(exc), failed_action="note", values=values
        )
    return see_other(f"/incidents/{quote(ref, safe='')}?ok={values['kind']}#timeline")


@router.post("/incidents/{ref}/links", dependencies=[PUBLIC])
def incident_link(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    values = {"incident": form.get("incident", ""), "kind": form.get("kind", "related")}
    try:
        data = LinkIn.model_validate(filled(form, ["incident", "kind"]))
        get_app(request).incident_links.link(visitor.principal, ref, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, ref, errors=errors_from(exc), failed_action="link", values=values
        )
    return see_other(f"/incidents/{quote(ref, safe='')}?ok=link#links")


@router.post("/incidents/{ref}/links/{link_id}/delete", dependencies=[PUBLIC])
def incident_unlink(
    request: Request, visitor: PostedStaff, form: FormData, ref: str, link_id: str
) -> Response:
    try:
        get_app(request).incident_links.unlink(visitor.principal, ref, as_id(link_id) or 0)
    except TocsinError as exc:
        # Someone else removed it first, or the page was stale: say so on the page.
        return _detail(request, visitor, ref, errors=errors_from(exc), failed_action="link")
    return see_other(f"/incidents/{quote(ref, safe='')}?ok=unlink#links")
