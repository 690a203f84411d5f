"""Generated from the route table: every route has an access rule, and every role gets
exactly what that rule says, on every route. A new route without a rule, or without a
sample request here, fails this file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from tocsin.auth.roles import Permission, Role, can
from tocsin.incidents.schemas import IncidentIn
from tocsin.web.access import IntegrationKey, Public, Require

from .conftest import PEOPLE, World

# FastAPI's own documentation routes and the static files are public by nature.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/assets", "/static"}
# Pages anyone may see: operations endpoints and the sign-in form.
PUBLIC_PAGES = {"/healthz", "/readyz", "/metrics", "/login", "/docs"}

# A person's contact methods, rules and settings: their own, or an administrator's to manage.
SELF_OR_ADMIN = "/api/v1/users/{ref}/"
# Path parameters that name no customer's object (a report's name): every customer has
# them; what they answer is scoped instead (tests/api/test_reports_api.py).
NOT_OBJECTS = {"/api/v1/reports/{name}"}

# One valid-looking request per route: enough to get past validation, so the answer shows
# the access decision rather than a 422.
SAMPLE_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/incidents"): {"title": "Sample", "customer": "acme"},
    ("PATCH", "/api/v1/incidents/{ref}"): {"title": "Sample edited"},
    ("POST", "/api/v1/incidents/{ref}/actions/{action}"): None,
    ("POST", "/api/v1/incidents/{ref}/notes"): {"body": "hello", "internal": False},
    ("POST", "/api/v1/incidents/{ref}/links"): {"incident": "1", "kind": "related"},
    ("POST", "/api/v1/customers"): {"slug": "initech", "name": "Initech"},
    ("PATCH", "/api/v1/customers/{slug}"): {"name": "Acme Corporation"},
    ("POST", "/api/v1/users"): {"email": "new@example.com", "role": "agent"},
    ("PATCH", "/api/v1/users/{ref}"): {"name": "Alice A."},
    ("POST", "/api/v1/tokens"): {"name": "ci"},
    ("PATCH", "/api/v1/me"): {"time_zone": "Europe/Paris"},
    ("POST", "/api/v1/teams"): {"slug": "net", "name": "Network"},
    ("PATCH", "/api/v1/teams/{slug}"): {"name": "Ops"},
    ("POST", "/api/v1/services"): {"slug": "mail", "name": "Mail"},
    ("PATCH", "/api/v1/services/{slug}"): {"name": "Acme web shop"},
    ("POST", "/api/v1/categories"): {"name": "Facilities"},
    ("POST", "/api/v1/integrations"): {"type": "generic", "name": "probe"},
    ("PATCH", "/api/v1/integrations/{ref}"): {"name": "renamed"},
    ("POST", "/api/v1/maintenance-windows"): {
        "customer": "acme",
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T10:00:00Z",
    },
    ("POST", "/api/v1/calendars"): {
        "slug": "probe",
        "time_zone": "UTC",
        "hours": {"mon": ["09:00", "17:00"]},
    },
    ("PATCH", "/api/v1/calendars/{slug}"): {"name": "Office hours"},
    ("POST", "/api/v1/sla-policies"): {
        "name": "P2",
        "slug": "p2",
        "priority": 2,
        "response_minutes": 30,
        "resolution_minutes": 240,
    },
    ("PATCH", "/api/v1/sla-policies/{slug}"): {"response_minutes": 20},
    ("POST", "/api/v1/users/{ref}/contact-methods"): {"type": "email", "address": "p@acme.test"},
    ("PATCH", "/api/v1/users/{ref}/contact-methods/{cm_id}"): {"label": "pager"},
    ("POST", "/api/v1/users/{ref}/contact-methods/{cm_id}/test"): None,
    ("POST", "/api/v1/users/{ref}/notification-rules"): {"contact_method": 1, "delay_minutes": 0},
    ("PUT", "/api/v1/users/{ref}/notification-settings"): {"time_zone": "UTC"},
    ("POST", "/api/v1/channels"): {
        "name": "Chat",
        "slug": "chat",
        "type": "email",
        "address": "ops@example.com",
    },
    ("PATCH", "/api/v1/channels/{slug}"): {"name": "Chat room"},
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): None,
    # Ingest routes: a user's API token is not an integration key.
    ("POST", "/v2/enqueue"): {
        "routing_key": "x",
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "h", "severity": "error"},
    },
    ("POST", "/v2/alerts"): {"message": "m"},
    ("POST", "/v2/alerts/{identifier}/{action}"): {},
    ("POST", "/api/v1/ingest/alertmanager"): {"version": "4", "alerts": []},
    ("POST", "/api/v1/ingest/grafana"): {"alerts": []},
    ("POST", "/api/v1/ingest/generic"): {"summary": "s"},
    ("POST", "/api/v1/ingest/suricata"): {},
    ("POST", "/api/v1/schedules"): {
        "name": "Probe",
        "slug": "probe",
        "time_zone": "UTC",
        "layers": [
            {
                "name": "l",
                "start": "2026-03-02T09:00:00Z",
                "rotation": "daily",
                "users": ["agent@example.com"],
            }
        ],
    },
    ("PATCH", "/api/v1/schedules/{slug}"): {"name": "Probe renamed"},
    ("POST", "/api/v1/schedules/{slug}/overrides"): {
        "user": "agent@example.com",
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T10:00:00Z",
    },
    ("POST", "/api/v1/escalation-policies"): {
        "name": "Probe",
        "slug": "probe",
        "levels": [{"delay_minutes": 5, "targets": [{"type": "team", "ref": "ops"}]}],
    },
    ("PATCH", "/api/v1/escalation-policies/{slug}"): {"name": "Probe renamed"},
    ("POST", "/api/v1/heartbeats/{key}"): None,
    ("POST", "/api/v1/changes"): {"summary": "Sample deploy"},
    ("POST", "/v2/change/enqueue"): {"routing_key": "x", "payload": {"summary": "s"}},
    ("POST", "/api/v1/ingest/change"): {"summary": "s"},
    ("POST", "/api/v1/problems"): {"title": "Probe", "customer": "acme"},
    ("PATCH", "/api/v1/problems/{ref}"): {"title": "Probe edited"},
    ("POST", "/api/v1/problems/{ref}/incidents"): {"incidents": ["INC0000001"]},
    ("POST", "/api/v1/problem-candidates/{key}/accept"): None,
    ("POST", "/api/v1/problem-candidates/{key}/dismiss"): None,
    ("POST", "/api/v1/known-errors"): {"title": "Probe", "customer": "acme"},
    ("PATCH", "/api/v1/known-errors/{ref}"): {"title": "Probe edited"},
    ("POST", "/api/v1/reviews"): {"incident": "INC0000001"},
    ("PATCH", "/api/v1/reviews/{review_id}"): {"summary": "Sample"},
    ("POST", "/api/v1/reviews/{review_id}/regenerate"): None,
    ("POST", "/api/v1/reviews/{review_id}/action-items"): {"title": "Sample"},
    ("PATCH", "/api/v1/action-items/{item_id}"): {"done": True},
}


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: frozenset[str]
    dependant: Any = None
    # Plain Starlette routes (the ingest hot path) carry their rule on the endpoint.
    access_rule: Any = None


def _endpoints(app: Any) -> tuple[list[Endpoint], list[str]]:
    """Every endpoint, including those of included routers (FastAPI wraps them), plus the
    paths of anything that is not an endpoint and so cannot carry an access rule."""
    endpoints: list[Endpoint] = []
    others: list[str] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            endpoints.append(Endpoint(route.path, frozenset(route.methods), route.dependant))
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                endpoints.append(
                    Endpoint(context.path, frozenset(context.methods or ()), context.dependant)
                )
        elif isinstance(route, Route) and hasattr(route.endpoint, "access_rule"):
            endpoints.append(
                Endpoint(
                    route.path,
                    frozenset(route.methods or ()),
                    access_rule=route.endpoint.access_rule,
                )
            )
        elif isinstance(route, Mount | Route):
            others.append(route.path)
        else:
            others.append(repr(route))
    return endpoints, others


def _rule(route: Endpoint) -> Require | Public | None:
    if route.access_rule is not None:
        return route.access_rule  # type: ignore[no-any-return]
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, Require | Public):
            return dependency.call
        stack.extend(dependency.dependencies)
    return None


def _api_routes(world: World) -> list[tuple[str, Endpoint]]:
    endpoints, _ = _endpoints(world.client.app)
    out = [
        (method, e)
        for e in endpoints
        if e.path.startswith(("/api/", "/v2/"))
        for method in sorted(e.methods)
    ]
    assert len(out) >= 30, f"only {len(out)} API endpoints found: the route walk is broken"
    return out


def test_every_route_declares_an_access_rule(world: World) -> None:
    endpoints, others = _endpoints(world.client.app)
    assert len(endpoints) >= 40, "the route walk found too few endpoints"
    unguarded = [f"{sorted(e.methods)} {e.path}" for e in endpoints if _rule(e) is None]
    unguarded += [
        f"{path} (not an endpoint: cannot carry an access rule)"
        for path in others
        if path not in FRAMEWORK_ROUTES
    ]
    assert not unguarded, f"routes without an access rule: {unguarded}"


def test_console_pages_check_the_session_themselves(world: World) -> None:
    """HTML pages are PUBLIC at the route level and redirect to sign-in without a session."""
    endpoints, _ = _endpoints(world.client.app)
    pages = [e for e in endpoints if not e.path.startswith("/api/") and "GET" in e.methods]
    guarded = [e.path for e in pages if e.path not in PUBLIC_PAGES and "{" not in e.path]
    assert guarded, "no console pages found"
    for path in guarded:
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code in (302, 303, 307), f"{path} answered {r.status_code} anonymously"
        assert r.headers["location"].startswith("/login"), path


def _path_values(world: World, incident: str, token_id: int) -> dict[str, dict[str, str]]:
    """Path parameter values, per route prefix, pointing at objects of customer acme or the
    provider: visible to staff of the provider, invisible to staff of globex."""
    return {
        "/api/v1/customers/": {"slug": "acme"},
        "/api/v1/teams/": {"slug": "ops"},
        "/api/v1/services/": {"slug": "acme-web"},
        "/api/v1/users/": {"ref": "alice@acme.test", "cm_id": "1", "rule_id": "1"},
        "/api/v1/channels/": {"slug": "chat"},
        "/api/v1/deliveries/": {"delivery_id": "dlv_00000000000000000000000000"},
        "/api/v1/tokens/": {"token_id": str(token_id)},
        "/api/v1/incidents/": {"ref": incident, "action": "acknowledge", "link_id": "1"},
        "/api/v1/integrations/": {"ref": str(world.extra["integration_id"])},
        "/api/v1/maintenance-windows/": {"window_id": str(world.extra["window_id"])},
        "/v2/alerts/": {"identifier": "some-alias", "action": "close"},
        "/api/v1/calendars/": {"slug": "office"},
        "/api/v1/sla-policies/": {"slug": "p1"},
        "/api/v1/schedules/": {"slug": "probe", "override_id": "1"},
        "/api/v1/escalation-policies/": {"slug": "probe"},
        "/api/v1/heartbeats/": {"key": "not-a-heartbeat-key"},
        "/api/v1/changes/": {"change_id": "1"},
        "/v2/alerts/requests/": {"request_id": "not-a-request-id"},
        "/api/v1/problems/": {"ref": "PRB0000001", "incident": incident},
        "/api/v1/problem-candidates/": {"key": "0000000000000000"},
        "/api/v1/known-errors/": {"ref": "KE0000001"},
        "/api/v1/reviews/": {"review_id": "1"},
        "/api/v1/action-items/": {"item_id": "1"},
        "/api/v1/reports/": {"name": "mttr"},
    }


def _fill(path: str, values: dict[str, dict[str, str]]) -> str:
    for prefix, params in values.items():
        if path.startswith(prefix):
            for name, value in params.items():
                path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a sample path value for {path} in this test"
    return path


def _call(world: World, method: str, route: Endpoint, who: str | None, path: str) -> int:
    key = (method, route.path)
    if method in ("POST", "PATCH", "PUT"):
        assert key in SAMPLE_BODIES, f"add a sample body for {method} {route.path}"
    headers = world.h(who) if who else {}
    body = SAMPLE_BODIES.get(key)
    response = world.client.request(
        method, path, headers=headers, json=body if body is not None else None
    )
    return response.status_code


def _fresh_incident(world: World) -> str:
    admin = world.principals["admin"]
    incident = world.app.incidents.create(
        admin, IncidentIn(title="Access probe", customer="acme", requester="alice@acme.test")
    )
    return incident.number


@pytest.mark.parametrize("who", [None, *PEOPLE])
def test_each_role_gets_exactly_what_the_rule_says(world: World, who: str | None) -> None:
    # A token nobody authenticates with: revoking it must not lock the caller out.
    token_id = world.app.auth.create_token(
        world.principals["requester"], email=None, name="probe"
    ).id
    mismatches = []
    for method, route in _api_routes(world):
        rule = _rule(route)
        assert rule is not None
        incident = _fresh_incident(world)  # a fresh target: earlier calls may have moved one
        values = _path_values(world, incident, token_id)
        path = _fill(route.path, values)
        status = _call(world, method, route, who, path)
        if isinstance(rule, IntegrationKey):
            if status not in (400, 401, 404):  # 404: a heartbeat's unknown key
                mismatches.append(f"{method} {route.path}: no integration key, got {status}")
            continue
        if isinstance(rule, Public):
            if status >= 400:
                mismatches.append(f"{method} {route.path}: public route answered {status}")
            continue
        if who is None:
            if status != 401:
                mismatches.append(f"{method} {route.path}: anonymous got {status}, not 401")
            continue
        role, customer = Role(PEOPLE[who][1]), PEOPLE[who][2]
        permission = rule.permission_for({"action": values["/api/v1/incidents/"]["action"]})
        # The provider's staff have no customer here; a tenant's lack the provider-only ones.
        allowed = permission is None or can(role, permission, provider=customer is None)
        if not allowed and status != 403:
            mismatches.append(f"{method} {route.path}: {who} ({role}) got {status}, not 403")
        if (
            allowed
            and status == 403
            and route.path.startswith(SELF_OR_ADMIN)
            and (
                who is not None
                and not can(role, Permission.USERS_MANAGE, provider=customer is None)
            )
        ):
            continue  # someone else's notification setup: only its owner or an admin
        if allowed and status in (401, 403):
            mismatches.append(f"{method} {route.path}: {who} ({role}) refused with {status}")
    assert not mismatches, "\n".join(mismatches)


def test_objects_of_another_customer_answer_404(world: World) -> None:
    """A globex agent is allowed these routes by role, but not these acme/provider objects."""
    token_id = world.app.auth.create_token(world.principals["admin"], email=None, name="probe").id
    wrong = []
    for method, route in _api_routes(world):
        if "{" not in route.path or isinstance(_rule(route), IntegrationKey):
            continue
        if route.path in NOT_OBJECTS:
            continue
        rule = _rule(route)
        assert isinstance(rule, Require)
        permission = rule.permission_for({"action": "acknowledge"})
        if permission is not None and not can(Role.AGENT, permission, provider=False):
            continue
        path = _fill(route.path, _path_values(world, _fresh_incident(world), token_id))
        status = _call(world, method, route, "globex_agent", path)
        if status != 404:
            wrong.append(f"{method} {path}: globex agent got {status}, not 404")
    assert not wrong, "\n".join(wrong)
