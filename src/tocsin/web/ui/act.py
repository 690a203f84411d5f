"""Action links from notifications: GET shows the incident and a confirm button and
changes nothing; POST acknowledges or resolves (paging.link_actions).

The token in the path is the credential. The form also carries a code only the page
itself can hold (`ActionLinks.confirm_code`), a browser's foreign Origin is refused, and a
shared channel's link, which acts as whoever is signed in, also needs the session's CSRF
token like every console form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.core.errors import PermissionDenied
from tocsin.incidents.lifecycle import Action
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.sessions import COOKIE
from tocsin.web.ui.pages import FormData, PageRoute
from tocsin.web.ui.render import page
from tocsin.web.ui.session import codec_of, current_visitor, login_url, same_origin

# PUBLIC: the token is the credential; the link service checks the user, role and tenant.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

VERBS = {Action.ACKNOWLEDGE: "Acknowledge", Action.RESOLVE: "Resolve"}
RESULTS = {Action.ACKNOWLEDGE: "acknowledged", Action.RESOLVE: "resolved"}


@router.get("/act/{token}", dependencies=[PUBLIC])
def confirm_page(request: Request, token: str) -> Response:
    visitor = current_visitor(request)
    shown = get_app(request).link_actions.view(
        token, signed_in=visitor.principal if visitor else None
    )
    return page(
        request,
        "act.html",
        visitor=visitor,
        token=token,
        incident=shown.incident,
        verb=VERBS[shown.claim.action],
        acting_as=shown.acting_as,
        done=shown.done,
        result="",
        confirm=shown.confirm,
        expires_at=shown.claim.expires_at,
        sign_in=login_url(request.url.path),
    )


@router.post("/act/{token}", dependencies=[PUBLIC])
def act(request: Request, form: FormData, token: str) -> Response:
    app = get_app(request)
    if not same_origin(request, app.settings.base_url):
        raise PermissionDenied(
            "This confirmation came from another site, so nothing was changed. Open the "
            "link from your message and press the button there."
        )
    visitor = current_visitor(request)
    cookie = request.cookies.get(COOKIE, "")
    # A session counts only with its CSRF token: a shared channel's link acts as the
    # person signed in, so a form built on another site must not borrow their session.
    signed_in = (
        visitor.principal
        if visitor and codec_of(request).csrf_ok(cookie, form.get("csrf_token"))
        else None
    )
    action = app.action_links.read(token).action
    incident = app.link_actions.perform(token, confirm=form.get("confirm", ""), signed_in=signed_in)
    return page(
        request,
        "act.html",
        visitor=visitor,
        token=token,
        incident=incident,
        verb=VERBS[action],
        acting_as=None,
        done="",
        result=f"{incident.number} is {RESULTS[action]}. Thank you.",
        confirm="",
        expires_at=None,
        sign_in="",
    )
