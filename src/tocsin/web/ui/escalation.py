"""Escalation policy pages: the list (and its CSV) and one policy's levels, with whom each
schedule target resolves to right now and which services and teams page through it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import TocsinError
from tocsin.oncall.schemas import (
    LevelOut,
    OnCallUser,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    TargetOut,
)
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.escalation_forms import (
    FIELDS,
    FORM_LEVELS,
    error_field,
    policy_body,
    policy_values,
)
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route depends on PUBLIC for the access rule and checks the session itself; the
# on-call service checks TEAMS_READ on every call (see pages.py).
router = APIRouter(include_in_schema=False, route_class=PageRoute)


def level_words(level: LevelOut) -> str:
    """ "user a@x, schedule primary after 15 min" for the CSV."""
    targets = ", ".join(f"{t.type} {t.ref}" for t in level.targets)
    return f"{targets} (then {level.delay_minutes} min)"


@router.get("/escalation-policies", dependencies=[PUBLIC])
def policies(request: Request, visitor: Staff, ok: str = "") -> Response:
    items = get_app(request).oncall.list_policies(visitor.principal).items
    return page(
        request,
        "escalation_list.html",
        visitor=visitor,
        policies=items,
        notice=notice(ok),
        can_manage=visitor.principal.can(Permission.CATALOG_MANAGE),
    )


@router.get("/escalation-policies.csv", dependencies=[PUBLIC])
def policies_csv(request: Request, visitor: Staff) -> Response:
    items = get_app(request).oncall.list_policies(visitor.principal).items
    return csv_response(
        "escalation-policies.csv",
        ("slug", "name", "customer", "repeat", "levels"),
        (
            (p.slug, p.name, p.customer, p.repeat, "; ".join(level_words(x) for x in p.levels))
            for p in items
        ),
    )


@dataclass(frozen=True, slots=True)
class Target:
    target: TargetOut
    on_call: list[OnCallUser] | None  # a schedule's people now; None for users and teams


def _resolve(app: Tocsin, principal: Principal, policy: PolicyOut, t: TargetOut) -> Target:
    if t.type != "schedule":
        return Target(t, None)
    # A customer's policy may page the provider's schedule: try the policy's customer first.
    for customer in (policy.customer, None):
        try:
            [found] = app.oncall.on_call(principal, schedule=t.ref, customer=customer).items
        except TocsinError:
            continue
        return Target(t, found.on_call)
    return Target(t, [])


def _policy_form(
    request: Request,
    visitor: Visitor,
    values: dict[str, str],
    errors: FormErrors,
    *,
    editing: PolicyOut | None = None,
) -> Response:
    return page(
        request,
        "escalation_form.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        editing=editing,
        rows=range(FORM_LEVELS),
        choices=choices_for(get_app(request), visitor.principal),
    )


def _form_errors(exc: ValidationError | TocsinError, form: dict[str, str]) -> FormErrors:
    found = errors_from(exc)
    # reversed: where several errors land on one field, the first one is shown
    found.fields = {error_field(k, form): v for k, v in reversed(found.fields.items())}
    return found


def _policy_url(policy: PolicyOut, ok: str) -> str:
    return f"/escalation-policies/{policy.slug}?customer={policy.customer}&ok={ok}"


# Declared before /escalation-policies/{slug}, which would otherwise take "new" for a slug.
@router.get("/escalation-policies/new", dependencies=[PUBLIC])
def new_policy(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    defaults = {"repeat": "0", "level0_delay": "15", "level1_delay": "15"}
    return _policy_form(request, visitor, defaults, FormErrors())


@router.post("/escalation-policies", dependencies=[PUBLIC])
def create_policy(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in FIELDS}
    try:
        data = PolicyIn.model_validate(policy_body(form, with_slug=True))
        made = get_app(request).oncall.create_policy(visitor.principal, data)
    except (ValidationError, TocsinError) as exc:
        return _policy_form(request, visitor, values, _form_errors(exc, form))
    return see_other(_policy_url(made, "escalation_policy_created"))


@router.get("/escalation-policies/{slug}/edit", dependencies=[PUBLIC])
def edit_policy(request: Request, visitor: Staff, slug: str, customer: str = "") -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    found = get_app(request).oncall.get_policy(visitor.principal, slug, customer=customer or None)
    return _policy_form(request, visitor, policy_values(found), FormErrors(), editing=found)


@router.post("/escalation-policies/{slug}", dependencies=[PUBLIC])
def update_policy(request: Request, visitor: PostedStaff, form: FormData, slug: str) -> Response:
    app = get_app(request)
    customer = form.get("customer", "") or None
    found = app.oncall.get_policy(visitor.principal, slug, customer=customer)
    values = {name: form.get(name, "") for name in FIELDS}
    try:
        data = PolicyPatch.model_validate(policy_body(form, with_slug=False))
        saved = app.oncall.patch_policy(visitor.principal, slug, data, customer=found.customer)
    except (ValidationError, TocsinError) as exc:
        return _policy_form(request, visitor, values, _form_errors(exc, form), editing=found)
    return see_other(_policy_url(saved, "escalation_policy_saved"))


@router.get("/escalation-policies/{slug}", dependencies=[PUBLIC])
def policy(
    request: Request, visitor: Staff, slug: str, customer: str = "", ok: str = ""
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    found = app.oncall.get_policy(principal, slug, customer=customer or None)
    levels = [
        (level, [_resolve(app, principal, found, t) for t in level.targets])
        for level in found.levels
    ]
    return page(
        request,
        "escalation_policy.html",
        visitor=visitor,
        policy=found,
        levels=levels,
        used_by=app.oncall.policy_used_by(principal, slug, customer=found.customer),
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )
