"""Changes: the list (filtered by service) with the form that records one, and the
incident page's "Recent changes" section."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.changes.schemas import ChangeIn, ChangeOut
from tocsin.core.errors import TocsinError
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.notices import NOTICES, notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FIELDS = ("service", "customer", "summary", "source", "link", "at")
NOTICES.update({"change_recorded": "Change recorded."})


def recent_changes(app: Tocsin, principal: Principal, incident: str) -> list[ChangeOut]:
    """The incident page's section (nothing for those who may not read changes)."""
    if not principal.can(Permission.CHANGE_READ):
        return []
    return app.changes.recent_for_incident(principal, incident)


def _list_page(
    request: Request,
    visitor: Visitor,
    *,
    service: str = "",
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    principal.require(Permission.CHANGE_READ)
    errors = errors or FormErrors()
    return page(
        request,
        "changes.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        changes=app.changes.list(principal, service=service or None, limit=100),
        service=service,
        values=values or {"service": service},
        errors=errors,
        notice=notice(ok),
        choices=choices_for(app, principal, full=False),
        can_record=principal.can(Permission.CHANGE_RECORD),
    )


@router.get("/changes", dependencies=[PUBLIC])
def change_list(request: Request, visitor: Staff, service: str = "", ok: str = "") -> Response:
    return _list_page(request, visitor, service=service, ok=ok)


@router.post("/changes", dependencies=[PUBLIC])
def record_change(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in FIELDS}
    try:
        data = ChangeIn.model_validate(filled(form, FIELDS))
        get_app(request).changes.record(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _list_page(request, visitor, values=values, errors=errors_from(exc))
    return see_other("/changes?ok=change_recorded")
