"""Saved views of the queue: save the current filters and sort under a name, delete one's
own. The list of views is drawn by the queue page (queue.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.core.errors import NotFound, TocsinError
from tocsin.core.ids import as_id
from tocsin.incidents.views import SavedViewIn
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import errors_from
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, see_other
from tocsin.web.ui.queue import Extras, params_of, query_of, queue_page

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/views", dependencies=[PUBLIC])
def save_view(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    query = form.get("query", "")
    values = {"name": form.get("name", ""), "shared": "on" if form.get("shared") else ""}
    try:
        data = SavedViewIn(name=values["name"], query=query, shared=bool(values["shared"]))
        view = get_app(request).views.create(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        errors = errors_from(exc)
        extras = Extras(view_errors=errors, view_values=values, status=errors.status)
        return queue_page(request, visitor, params_of(query), "", extras)
    shown = query_of(params_of(view.query))
    return see_other("/?" + (shown + "&" if shown else "") + "ok=view_saved")


@router.post("/views/{view_id}/delete", dependencies=[PUBLIC])
def delete_view(request: Request, visitor: PostedStaff, form: FormData, view_id: str) -> Response:
    ident = as_id(view_id)
    if ident is None:
        raise NotFound(f"You have no saved view {view_id[:20]!r}.")
    get_app(request).views.delete(visitor.principal, ident)
    back = query_of(params_of(form.get("back", "")))
    return see_other("/?" + (back + "&" if back else "") + "ok=view_deleted")
