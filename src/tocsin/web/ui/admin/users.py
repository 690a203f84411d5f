"""/admin/users: the people who sign in, their role, customer, time zone and teams."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import Permission, Role, parse_role
from tocsin.auth.schemas import UserIn, UserOut, UserPatch
from tocsin.core.errors import TocsinError, ValidationFailed
from tocsin.core.paging import Page
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.admin.common import TABS, ZONES, FormLists, every_user, ids
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 50
NEW_FIELDS = ("email", "name", "role", "customer", "time_zone")
EDIT_FIELDS = ("name", "role", "time_zone")
ROLES = [(r.value, r.value.capitalize()) for r in Role]
CSV_HEADER = ("id", "email", "name", "role", "customer", "teams", "time_zone", "active")


def _filters(role: str, customer: str, q: str) -> tuple[dict[str, str], Role | None]:
    """The list's filters as typed, and the role they name."""
    shown = {"role": role.strip(), "customer": customer.strip(), "q": q.strip()[:200]}
    if not shown["role"]:
        return shown, None
    try:
        return shown, parse_role(shown["role"])
    except ValueError as exc:
        sentence = str(exc)
        raise ValidationFailed(f"{sentence[:1].upper()}{sentence[1:]}.", field="role") from None


@router.get("/admin/users", dependencies=[PUBLIC])
def list_users(
    request: Request,
    visitor: Staff,
    role: str = "",
    customer: str = "",
    q: str = "",
    cursor: str = "",
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    error, status = "", 200
    users = Page[UserOut](items=[], total=0, next=None)
    filters = {"role": role, "customer": customer, "q": q}
    try:
        filters, wanted_role = _filters(role, customer, q)
        users = app.auth.list_users(
            principal,
            role=wanted_role,
            customer=filters["customer"] or None,
            q=filters["q"] or None,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except TocsinError as exc:
        if exc.status == 403:
            raise
        error, status = exc.detail, exc.status
    active = {k: v for k, v in filters.items() if v}
    can_read_customers = principal.can(Permission.CUSTOMERS_READ)
    return page(
        request,
        "admin/users.html",
        visitor=visitor,
        status=status,
        tabs=TABS,
        users=users,
        filters=filters,
        roles=ROLES,
        customers=app.auth.list_customers(principal).items if can_read_customers else [],
        signed_in=app.auth.last_sign_ins(principal, [u.id for u in users.items]),
        error=error,
        notice=notice(ok),
        can_manage=principal.can(Permission.USERS_MANAGE),
        query=urlencode(active),
        next_url="/admin/users?" + urlencode({**active, "cursor": users.next})
        if users.next
        else "",
        first_url=("/admin/users?" + urlencode(active)) if cursor else "",
    )


@router.get("/admin/users.csv", dependencies=[PUBLIC])
def users_csv(
    request: Request, visitor: Staff, role: str = "", customer: str = "", q: str = ""
) -> Response:
    principal = visitor.principal
    filters, wanted_role = _filters(role, customer, q)
    rows = every_user(
        get_app(request),
        principal,
        role=wanted_role,
        customer=filters["customer"] or None,
        q=filters["q"] or None,
    )
    return csv_response(
        "users.csv",
        CSV_HEADER,
        ((u.id, u.email, u.name, u.role, u.customer, u.teams, u.time_zone, u.active) for u in rows),
    )


def _user_form(
    request: Request,
    visitor: Visitor,
    *,
    user: UserOut | None,
    values: dict[str, str],
    errors: FormErrors,
    team_ids: set[int] | None = None,
    saved: str = "",
) -> Response:
    """The new-user form (`user` None) or the edit form of `user` (`saved`: the notice)."""
    app = get_app(request)
    principal = visitor.principal
    can_teams = user is not None and principal.can(Permission.CATALOG_MANAGE)
    methods = []
    if user is not None:
        try:
            methods = app.contacts.list_methods(principal, str(user.id)).items
        except TocsinError:
            methods = []
    teams = app.catalog.list_teams(principal).items if can_teams else []
    if team_ids is None and user is not None:
        team_ids = {t.id for t in teams if user.email in t.members}
    return page(
        request,
        "admin/user_form.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        tabs=TABS,
        user=user,
        values=values,
        errors=errors,
        roles=ROLES,
        zones=ZONES,
        customers=app.auth.list_customers(principal).items,
        teams=teams,
        team_ids=team_ids or set(),
        methods=methods,
        is_me=user is not None and user.id == principal.user_id,
        notice=saved,
    )


@router.get("/admin/users/new", dependencies=[PUBLIC])
def new_user(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.USERS_MANAGE)
    values = {"role": Role.AGENT.value, "time_zone": visitor.principal.time_zone}
    return _user_form(request, visitor, user=None, values=values, errors=FormErrors())


@router.post("/admin/users", dependencies=[PUBLIC])
def create_user(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in NEW_FIELDS}
    data = filled(form, NEW_FIELDS)
    password = form.get("password", "")
    try:
        user = get_app(request).auth.create_user(
            visitor.principal,
            UserIn.model_validate({**data, **({"password": password} if password else {})}),
        )
    except (ValidationError, TocsinError) as exc:
        return _user_form(request, visitor, user=None, values=values, errors=errors_from(exc))
    return see_other(f"/admin/users/{user.id}?ok=user_created")


@router.get("/admin/users/{ref}", dependencies=[PUBLIC])
def edit_user(request: Request, visitor: Staff, ref: str, ok: str = "") -> Response:
    principal = visitor.principal
    principal.require(Permission.USERS_MANAGE)
    user = get_app(request).auth.get_user(principal, ref)
    values = {"name": user.name, "role": user.role.value, "time_zone": user.time_zone}
    values["active"] = "on" if user.active else ""
    return _user_form(
        request, visitor, user=user, values=values, errors=FormErrors(), saved=notice(ok)
    )


@router.post("/admin/users/{ref}", dependencies=[PUBLIC])
def update_user(
    request: Request, visitor: PostedStaff, form: FormData, lists: FormLists, ref: str
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    user = app.auth.get_user(principal, ref)
    values = {name: form.get(name, "") for name in EDIT_FIELDS}
    values["active"] = "on" if form.get("active") else ""
    chosen = set(ids(lists.get("teams", [])))
    changes: dict[str, object] = {**filled(form, EDIT_FIELDS), "active": bool(form.get("active"))}
    if form.get("password", ""):
        changes["password"] = form["password"]
    try:
        user = app.auth.patch_user(principal, str(user.id), UserPatch.model_validate(changes))
    except (ValidationError, TocsinError) as exc:
        errors = errors_from(exc)
        return _user_form(
            request, visitor, user=user, values=values, errors=errors, team_ids=chosen
        )
    if form.get("teams_shown") and principal.can(Permission.CATALOG_MANAGE):
        try:
            app.catalog.set_user_teams(principal, str(user.id), sorted(chosen))
        except TocsinError as exc:
            errors = errors_from(exc)
            errors.summary = f"The other changes are saved, but not the teams: {exc.detail}"
            errors.fields.setdefault("teams", exc.detail)
            return _user_form(
                request, visitor, user=user, values=values, errors=errors, team_ids=chosen
            )
    return see_other(f"/admin/users/{user.id}?ok=user_saved")
