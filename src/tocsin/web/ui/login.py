"""Sign-in and sign-out: the session cookie is issued here and nowhere else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tocsin.core.bounded import storable
from tocsin.core.errors import NotAuthenticated, TooManyRequests
from tocsin.core.validation import EMAIL_MAX
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.sessions import COOKIE
from tocsin.web.ui.pages import FormData, PageRoute, Posted, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import (
    client_ip,
    codec_of,
    current_visitor,
    home_for,
    safe_next,
    same_origin,
)

# Sign-in is public by nature; sign-out checks the session and CSRF token itself (Posted).
router = APIRouter(include_in_schema=False, route_class=PageRoute)
NextParam = Annotated[str, Query(alias="next")]


def _secure(request: Request) -> bool:
    """Secure cookies when served over HTTPS, also behind a proxy that terminates TLS."""
    return request.url.scheme == "https" or get_app(request).settings.base_url.startswith(
        "https://"
    )


def _login_form(
    request: Request, *, next_path: str | None, email: str = "", error: str = "", status: int = 200
) -> Response:
    return page(
        request,
        "login.html",
        visitor=None,
        status=status,
        next_path=next_path or "",
        # what was typed, shown again: at most what an address can be
        email=storable(email[:EMAIL_MAX]),
        error=error,
    )


@router.get("/login", dependencies=[PUBLIC])
def login_form(request: Request, next_path: NextParam = "") -> Response:
    visitor = current_visitor(request)
    if visitor is not None:
        return see_other(safe_next(next_path) or visitor.home)
    return _login_form(request, next_path=safe_next(next_path))


@router.post("/login", dependencies=[PUBLIC])
def login(request: Request, form: FormData) -> Response:
    app = get_app(request)
    next_path = safe_next(form.get("next"))
    # Looked up and audited: what no database can store becomes U+FFFD (and matches no one).
    email = storable(form.get("email", "").strip())
    if not same_origin(request, app.settings.base_url):
        return _login_form(
            request,
            next_path=next_path,
            email=email,
            error="This sign-in form did not come from this site; open /login and try again.",
            status=403,
        )
    try:
        # The password exactly as typed: spaces at either end are part of it.
        principal = app.auth.login(email, form.get("password", ""), source=client_ip(request))
    except NotAuthenticated as exc:
        return _login_form(request, next_path=next_path, email=email, error=exc.detail, status=401)
    except TooManyRequests as exc:
        response = _login_form(
            request, next_path=next_path, email=email, error=exc.detail, status=exc.status
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    codec = codec_of(request)
    target = home_for(principal)
    if next_path and (principal.is_staff or next_path.startswith("/portal")):
        target = next_path
    response = see_other(target)
    response.set_cookie(
        COOKIE,
        codec.issue(
            principal.user_id,
            app.auth.open_session(principal, max_age_seconds=codec.max_age),
        ),
        max_age=codec.max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request, visitor: Posted) -> Response:
    session = codec_of(request).read(request.cookies.get(COOKIE))
    if session is not None:
        get_app(request).auth.close_session(
            visitor.principal, session[1], source=client_ip(request)
        )
    response = see_other("/login")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response
