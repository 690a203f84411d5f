"""Escalation policy pages: the list (and its CSV) and one policy's levels, with whom each
schedule target resolves to right now and which services and teams page through it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import TocsinError
from tocsin.oncall.schemas import LevelOut, OnCallUser, PolicyOut, TargetOut
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import PageRoute, Staff
from tocsin.web.ui.render import page

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
    return page(request, "escalation_list.html", visitor=visitor, policies=items, notice=notice(ok))


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


@router.get("/escalation-policies/{slug}", dependencies=[PUBLIC])
def policy(request: Request, visitor: Staff, slug: str, customer: str = "") -> Response:
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
        now=app.clock.now(),
    )
