"""What every console route shares: the session check, CSRF on forms, and HTML errors.

Console routes answer a browser, so "not signed in" is a redirect to /login rather than
the API's 401, and errors are pages rather than problem+json. Each route therefore
declares `dependencies=[PUBLIC]` for the project's access rule and does its own session
check through the `SignedIn` / `Staff` / `Posted` dependencies below; the domain services
check role and tenant on every call, as they do for the API.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from tocsin.core.errors import TocsinError
from tocsin.web.access import get_app
from tocsin.web.sessions import COOKIE
from tocsin.web.ui.render import error_page
from tocsin.web.ui.session import Visitor, client_ip, codec_of, current_visitor, login_url

Form = dict[str, str]
_VISITOR = "tocsin_ui_visitor"


class LoginRequired(Exception):
    def __init__(self, next_path: str | None) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class CsrfRejected(Exception):
    pass


def visitor_of(request: Request) -> Visitor | None:
    """The visitor a session dependency found for this request, if any ran."""
    visitor = getattr(request.state, _VISITOR, None)
    return visitor if isinstance(visitor, Visitor) else None


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """Turns the console's control-flow exceptions and domain errors into pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return see_other(login_url(exc.next_path))
            except Redirect as exc:
                return see_other(exc.location)
            except CsrfRejected:
                return error_page(
                    request,
                    visitor=visitor_of(request),
                    status=403,
                    title="Form refused",
                    detail="The form was stale or did not come from this site (CSRF check "
                    "failed), so nothing was changed. Go back, reload the page and try again.",
                )
            except TocsinError as exc:
                return error_page(
                    request,
                    visitor=visitor_of(request),
                    status=exc.status,
                    title=exc.title,
                    detail=exc.detail,
                )

        return page_handler


def _signed_in(request: Request) -> Visitor:
    visitor = current_visitor(request)
    if visitor is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(wanted if request.method == "GET" else None)
    setattr(request.state, _VISITOR, visitor)
    return visitor


def _staff(visitor: Annotated[Visitor, Depends(_signed_in)]) -> Visitor:
    if not visitor.principal.is_staff:
        raise Redirect("/portal")
    return visitor


async def read_form(request: Request) -> Form:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _posted(
    request: Request,
    visitor: Annotated[Visitor, Depends(_signed_in)],
    form: Annotated[Form, Depends(read_form)],
) -> Visitor:
    """A signed-in form POST whose csrf_token matches the session (audited when not)."""
    cookie = request.cookies.get(COOKIE, "")
    if not codec_of(request).csrf_ok(cookie, form.get("csrf_token")):
        get_app(request).auth.record_denied(
            visitor.principal,
            what=f"{request.method} {request.url.path}",
            source=client_ip(request),
            reason="missing or wrong CSRF token",
        )
        raise CsrfRejected()
    return visitor


def _posted_staff(visitor: Annotated[Visitor, Depends(_posted)]) -> Visitor:
    if not visitor.principal.is_staff:
        raise Redirect("/portal")
    return visitor


SignedIn = Annotated[Visitor, Depends(_signed_in)]
Staff = Annotated[Visitor, Depends(_staff)]
Posted = Annotated[Visitor, Depends(_posted)]
PostedStaff = Annotated[Visitor, Depends(_posted_staff)]
FormData = Annotated[Form, Depends(read_form)]
