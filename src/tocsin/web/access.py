"""Authentication and the per-route access rule every route must declare.

A route depends on `Require(permission)` (or `PUBLIC`). The access test walks the route
table and fails for any route without one, so nothing ships unguarded by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission, can
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import NotAuthenticated, PermissionDenied
from tocsin.core.ids import MAX_ID
from tocsin.web.sessions import COOKIE, SessionCodec

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_app(request: Request) -> Tocsin:
    app: Tocsin = request.app.state.tocsin
    return app


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(request: Request) -> Principal:
    """Bearer token first; the console's session cookie otherwise (with CSRF on writes)."""
    app = get_app(request)
    header = request.headers.get("authorization", "")
    what = f"{request.method} {request.url.path}"
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            app.auth.record_denied(
                None, what=what, source=_source(request), reason="malformed Authorization header"
            )
            raise NotAuthenticated("Send the API token as `Authorization: Bearer <token>`.")
        principal = app.auth.authenticate_token(credentials.strip())
        if principal is None:
            app.auth.record_denied(
                None, what=what, source=_source(request), reason="unknown or revoked token"
            )
            raise NotAuthenticated("The API token is unknown, revoked, or its user is inactive.")
        return principal
    codec: SessionCodec = request.app.state.sessions
    cookie = request.cookies.get(COOKIE)
    session = codec.read(cookie)
    if session is not None and cookie is not None:
        principal = app.auth.session_principal(*session)
        if principal is not None:
            if request.method not in SAFE_METHODS and not codec.csrf_ok(
                cookie, request.headers.get("x-csrf-token")
            ):
                app.auth.record_denied(
                    principal,
                    what=what,
                    source=_source(request),
                    reason="missing or wrong CSRF token",
                )
                raise PermissionDenied(
                    "The form is stale or forged (CSRF check failed); "
                    "reload the page and try again."
                )
            return principal
    raise NotAuthenticated(
        "Sign in first: send `Authorization: Bearer <token>` (create one with "
        "`tocsin token create EMAIL`)."
    )


class Require:
    """Dependency: the caller must be signed in and hold `permission` (None: any user)."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    def permission_for(self, path_params: Mapping[str, Any]) -> Permission | None:
        return self.permission

    def __call__(self, request: Request) -> Principal:
        principal = authenticate(request)
        permission = self.permission_for(request.path_params)
        if permission is not None and not principal.can(permission):
            get_app(request).auth.record_denied(
                principal,
                what=f"{request.method} {request.url.path}",
                source=_source(request),
                reason=(
                    f"role lacks {permission.value}"
                    if not can(principal.role, permission, provider=True)
                    else f"only the service provider holds {permission.value}"
                ),
            )
            raise PermissionDenied(principal.refusal(permission))
        return principal


class RequireByParam(Require):
    """The permission depends on a path parameter (e.g. which lifecycle action)."""

    def __init__(self, param: str, choices: Mapping[str, Permission], default: Permission) -> None:
        super().__init__(default)
        self.param = param
        self.choices = dict(choices)

    def permission_for(self, path_params: Mapping[str, Any]) -> Permission | None:
        return self.choices.get(str(path_params.get(self.param)), self.permission)


class Public:
    """Dependency marking a route that anyone may call (health checks, sign-in)."""

    def __call__(self) -> None:
        return None


class IntegrationKey(Public):
    """The access rule of an ingest route (set as the endpoint's `access_rule`): open to
    anyone at the route level, authenticated by the integration's key in the sender's own
    way (routing_key, GenieKey, Bearer or ?key=)."""


PUBLIC = Depends(Public())


def require(permission: Permission | None) -> object:
    return Depends(Require(permission))


AppDep = Annotated[Tocsin, Depends(get_app)]
# A numeric id in a path: only 1 to core.ids.MAX_ID can name a row.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
