"""Per-browser preferences: the light / dark / system theme, kept in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.web.access import PUBLIC
from tocsin.web.ui.pages import FormData, PageRoute, Posted, see_other
from tocsin.web.ui.render import THEME_COOKIE, THEMES
from tocsin.web.ui.session import safe_next

router = APIRouter(include_in_schema=False, route_class=PageRoute)

ONE_YEAR = 365 * 24 * 3600


@router.post("/theme", dependencies=[PUBLIC])
def set_theme(request: Request, visitor: Posted, form: FormData) -> Response:
    theme = form.get("theme", "auto")
    back = safe_next(form.get("next")) or visitor.home
    response = see_other(back)
    if theme not in THEMES:
        return response
    response.set_cookie(
        THEME_COOKIE,
        theme,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response
