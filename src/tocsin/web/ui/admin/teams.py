"""/admin/teams: assignment groups, their members and escalation policy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.roles import ASSIGNABLE_ROLES, Permission
from tocsin.catalog.schemas import TeamIn, TeamOut, TeamPatch
from tocsin.core.errors import TocsinError
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.admin.common import TABS, FormLists, every_user
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, errors_from, filled
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

router = APIRouter(include_in_schema=False, route_class=PageRoute)

NEW_FIELDS = ("slug", "name", "customer", "escalation_policy")
CSV_HEADER = ("slug", "name", "customer", "members", "member_count", "escalation_policy")


def _team_url(team: TeamOut) -> str:
    # Slugs are unique per customer only, so the customer is part of a team's address.
    return f"/admin/teams/{team.customer}/{team.slug}"


@router.get("/admin/teams", dependencies=[PUBLIC])
def list_teams(request: Request, visitor: Staff, ok: str = "") -> Response:
    principal = visitor.principal
    return page(
        request,
        "admin/teams.html",
        visitor=visitor,
        tabs=TABS,
        teams=get_app(request).catalog.list_teams(principal).items,
        team_url=_team_url,
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )


@router.get("/admin/teams.csv", dependencies=[PUBLIC])
def teams_csv(request: Request, visitor: Staff) -> Response:
    teams = get_app(request).catalog.list_teams(visitor.principal).items
    return csv_response(
        "teams.csv",
        CSV_HEADER,
        (
            (t.slug, t.name, t.customer, t.members, len(t.members), t.escalation_policy)
            for t in teams
        ),
    )


def _team_form(
    request: Request,
    visitor: Visitor,
    *,
    team: TeamOut | None,
    values: dict[str, str],
    members: list[str],
    errors: FormErrors,
    saved: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    # Members are people who take incidents; one already in the team stays listed even
    # if deactivated, so that saving the form does not drop them unasked.
    people = [
        u
        for u in every_user(app, principal)
        if u.role in ASSIGNABLE_ROLES and (u.active or u.email in members)
    ]
    return page(
        request,
        "admin/team_form.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        tabs=TABS,
        team=team,
        action=_team_url(team) if team else "/admin/teams",
        values=values,
        members=set(members),
        people=people,
        customers=app.auth.list_customers(principal).items,
        policies=app.oncall.list_policies(principal).items,
        errors=errors,
        notice=saved,
    )


@router.get("/admin/teams/new", dependencies=[PUBLIC])
def new_team(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    return _team_form(request, visitor, team=None, values={}, members=[], errors=FormErrors())


@router.post("/admin/teams", dependencies=[PUBLIC])
def create_team(
    request: Request, visitor: PostedStaff, form: FormData, lists: FormLists
) -> Response:
    values = {name: form.get(name, "") for name in NEW_FIELDS}
    members = lists.get("members", [])
    try:
        data = TeamIn.model_validate({**filled(form, NEW_FIELDS), "members": members})
        team = get_app(request).catalog.create_team(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _team_form(
            request, visitor, team=None, values=values, members=members, errors=errors_from(exc)
        )
    return see_other(_team_url(team) + "?ok=team_created")


@router.get("/admin/teams/{customer}/{slug}", dependencies=[PUBLIC])
def edit_team(request: Request, visitor: Staff, customer: str, slug: str, ok: str = "") -> Response:
    principal = visitor.principal
    principal.require(Permission.CATALOG_MANAGE)
    team = get_app(request).catalog.get_team(principal, slug, customer=customer)
    values = {"name": team.name, "escalation_policy": team.escalation_policy or ""}
    return _team_form(
        request,
        visitor,
        team=team,
        values=values,
        members=team.members,
        errors=FormErrors(),
        saved=notice(ok),
    )


@router.post("/admin/teams/{customer}/{slug}", dependencies=[PUBLIC])
def update_team(
    request: Request,
    visitor: PostedStaff,
    form: FormData,
    lists: FormLists,
    customer: str,
    slug: str,
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    team = app.catalog.get_team(principal, slug, customer=customer)
    values = {name: form.get(name, "") for name in ("name", "escalation_policy")}
    members = lists.get("members", [])
    try:
        # A blank policy is a choice too ("none"), so it is always sent.
        data = TeamPatch.model_validate(
            {
                **filled(form, ("name",)),
                "members": members,
                "escalation_policy": values["escalation_policy"].strip() or None,
            }
        )
        team = app.catalog.patch_team(principal, team.slug, data, customer=team.customer)
    except (ValidationError, TocsinError) as exc:
        return _team_form(
            request, visitor, team=team, values=values, members=members, errors=errors_from(exc)
        )
    return see_other(_team_url(team) + "?ok=team_saved")
