"""Post-incident reviews in the console: the list (reviews owed, drafts, published, open
action items), one review's page (sections, timeline, durations, action items, publish,
Markdown), and the incident page's review panel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import StaleVersion, TocsinError, ValidationFailed
from tocsin.incidents.schemas import IncidentOut
from tocsin.reviews.rules import REVIEWABLE_STATES
from tocsin.reviews.schemas import SECTIONS, ActionItemIn, ActionItemPatch, ReviewIn, ReviewPatch
from tocsin.reviews.timeline import duration_text
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled, version_of
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff / PostedStaff redirect to /login); the services check role and tenant.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

STALE = (
    "Someone else saved this review while you were editing it, so your change was not "
    "applied. The page shows the current version; copy your text back and save again."
)
ITEM_FIELDS = ("title", "owner", "due", "link")


def review_panel(app: Tocsin, principal: Principal, incident: IncidentOut) -> dict[str, Any]:
    """What the incident page's "Post-incident review" section shows."""
    if not principal.can(Permission.REVIEW_READ):
        return {"shown": False}
    return {
        "shown": True,
        "review": app.reviews.for_incident(principal, incident.id),
        "required": app.reviews.required(priority=incident.priority, major=incident.major),
        "reviewable": incident.state in REVIEWABLE_STATES,
        "can_write": principal.can(Permission.REVIEW_WRITE),
    }


@router.get("/reviews", dependencies=[PUBLIC])
def review_list(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    return page(
        request,
        "reviews.html",
        visitor=visitor,
        missing=[m for m in app.reviews.missing(principal, limit=200).items if m.review is None],
        reviews=app.reviews.list(principal, limit=200).items,
        items=app.action_items.list(principal, open=True, limit=200).items,
        notice=notice(ok),
        can_write=principal.can(Permission.REVIEW_WRITE),
    )


@router.post("/reviews", dependencies=[PUBLIC])
def start_review(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    try:
        data = ReviewIn(incident=form.get("incident", "").strip()[:40])
    except ValidationError:
        raise ValidationFailed("That is not an incident number.", field="incident") from None
    review = get_app(request).reviews.create(visitor.principal, data)
    return see_other(f"/reviews/{review.id}?ok=review_started")


def _detail(
    request: Request,
    visitor: Visitor,
    review_id: str,
    *,
    errors: FormErrors | None = None,
    failed: str = "",
    values: dict[str, str] | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    review = app.reviews.get(principal, review_id)
    errors = errors or FormErrors()
    can_write = principal.can(Permission.REVIEW_WRITE)
    return page(
        request,
        "review.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        review=review,
        sections=SECTIONS,
        duration=duration_text,
        errors=errors,
        failed=failed,
        values=values or {},
        notice=notice(ok),
        owners=choices_for(app, principal).assignees if can_write else [],
        can_write=can_write,
    )


@router.get("/reviews/{review_id}", dependencies=[PUBLIC])
def review_detail(request: Request, visitor: Staff, review_id: str, ok: str = "") -> Response:
    return _detail(request, visitor, review_id, ok=ok)


@router.post("/reviews/{review_id}", dependencies=[PUBLIC])
def save_review(request: Request, visitor: PostedStaff, form: FormData, review_id: str) -> Response:
    values = {name: form.get(name, "") for name, _ in SECTIONS}
    changes: dict[str, str] = dict(values)
    if form.get("state"):
        changes["state"] = form["state"]
    try:
        data = ReviewPatch.model_validate(changes)
        get_app(request).reviews.patch(
            visitor.principal, review_id, data, if_match=version_of(form)
        )
    except StaleVersion as exc:
        errors = FormErrors(summary=f"{STALE} ({exc.detail})", status=exc.status)
        return _detail(request, visitor, review_id, errors=errors, failed="sections", values=values)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, review_id, errors=errors_from(exc), failed="sections", values=values
        )
    done = "review_published" if form.get("state") == "published" else "review_saved"
    return see_other(f"/reviews/{review_id}?ok={done}")


@router.post("/reviews/{review_id}/regenerate", dependencies=[PUBLIC])
def regenerate_review(
    request: Request, visitor: PostedStaff, form: FormData, review_id: str
) -> Response:
    try:
        get_app(request).reviews.regenerate(visitor.principal, review_id, if_match=version_of(form))
    except TocsinError as exc:
        return _detail(request, visitor, review_id, errors=errors_from(exc), failed="timeline")
    return see_other(f"/reviews/{review_id}?ok=review_regenerated#timeline")


@router.post("/reviews/{review_id}/action-items", dependencies=[PUBLIC])
def add_action_item(
    request: Request, visitor: PostedStaff, form: FormData, review_id: str
) -> Response:
    values = {name: form.get(name, "") for name in ITEM_FIELDS}
    try:
        data = ActionItemIn.model_validate(filled(form, ITEM_FIELDS))
        get_app(request).action_items.add(visitor.principal, review_id, data)
    except (ValidationError, TocsinError) as exc:
        return _detail(
            request, visitor, review_id, errors=errors_from(exc), failed="item", values=values
        )
    return see_other(f"/reviews/{review_id}?ok=action_item_added#action-items")


@router.post("/action-items/{item_id}/done", dependencies=[PUBLIC])
def action_item_done(
    request: Request, visitor: PostedStaff, form: FormData, item_id: str
) -> Response:
    done = form.get("done", "true") != "false"
    item = get_app(request).action_items.patch(
        visitor.principal, item_id, ActionItemPatch(done=done), if_match=version_of(form)
    )
    back = form.get("back", "")
    target = "/reviews" if back == "list" else f"/reviews/{item.review}"
    code = "action_item_done" if done else "action_item_reopened"
    return see_other(f"{target}?ok={code}#action-items")
