"""A new sender is one module: registering its `IntegrationType` is all it takes for the web
app to serve its route, with its key where it says, its own answers and its own OpenAPI
entry, and for its integrations to start with its default grouping. The sender here lives
in this test file and is registered for the test only."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.conftest import make_user
from tocsin.alerts.models import Integration
from tocsin.alerts.schemas import IntegrationConfig, IntegrationIn
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import ServiceIn
from tocsin.integrations import registry
from tocsin.integrations.base import (
    JSON,
    AlertAction,
    Answer,
    Answers,
    FieldError,
    HttpRoute,
    IntegrationType,
    KeyFrom,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Stored,
)
from tocsin.web import ingest
from tocsin.web.access import IntegrationKey
from tocsin.web.app import create_app

# The sender: "beacon" posts {"id", "text", "state": "up"|"down"} to /hooks/beacon/{site}
# with `Authorization: Token <key>` (or ?token=), and expects its own answers.


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    raise AssertionError("beacon's route has its own parser")  # pragma: no cover


def parse_request(
    body: bytes,
    *,
    params: Mapping[str, str],
    query: Mapping[str, str],
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    try:
        doc = json.loads(body)
    except ValueError:
        raise PayloadError("not JSON", [FieldError("body", "not JSON")]) from None
    if not isinstance(doc, dict) or doc.get("state") not in ("up", "down"):
        raise PayloadError("'state' must be up or down", [FieldError("state", "up or down")])
    alert = NormalizedAlert(
        action=AlertAction.TRIGGER if doc["state"] == "down" else AlertAction.RESOLVE,
        dedup_key=f"{params['site']}:{doc.get('id')}",
        summary=str(doc.get("text", "")),
        source=params["site"],
        labels={"cluster": params["site"]},
    )
    return Parsed(alerts=[alert])


def _accepted(parsed: Parsed, outcomes: Sequence[Stored], started: float) -> Answer:
    return 201, {"ok": True, "seen": [[o.dedup_key, o.result] for o in outcomes]}, JSON


def _refused(exc: PayloadError, started: float) -> Answer:
    return 422, {"ok": False, "why": exc.message}, "application/vnd.beacon+json"


def _unknown_key(started: float) -> Answer:
    return 403, {"ok": False, "why": "who are you?"}, JSON


def _closed_site(params: Mapping[str, str], started: float) -> Answer | None:
    return (410, {"ok": False, "why": "site closed"}, JSON) if params["site"] == "old" else None


BEACON = IntegrationType(
    name="beacon",
    title="Beacon",
    parse=parse,
    routes=(
        HttpRoute(
            path="/hooks/beacon/{site}",
            operation_id="beacon_report",
            summary="Beacon reports",
            description="`Authorization: Token <key>`; answers 201 `{ok, seen}`.",
            parse=parse_request,
            check_params=_closed_site,
        ),
    ),
    key=KeyFrom(scheme="Token", query="token", name="beacon token"),
    answers=Answers(accepted=_accepted, refused=_refused, unknown_key=_unknown_key),
    default_group_by=("label:cluster",),
)


@pytest.fixture
def beacon() -> Iterator[IntegrationType]:
    # the built-ins are registered when the registry is imported, before the new one
    registry.register(BEACON)
    try:
        yield BEACON
    finally:
        registry.unregister(BEACON.name)
    assert BEACON.name not in registry.names()


def _service(app: Tocsin, admin: Principal) -> None:
    app.catalog.create_service(admin, ServiceIn(slug="web", name="Website"))


def _key(app: Tocsin, admin: Principal, kind: str, name: str) -> str:
    created = app.integrations.create(admin, IntegrationIn(type=kind, name=name, service="web"))
    return created.key


def test_a_new_sender_is_served_from_its_registry_entry(
    app: Tocsin, admin: Principal, beacon: IntegrationType
) -> None:
    _service(app, admin)
    key = _key(app, admin, "beacon", "beacon-prod")
    other = _key(app, admin, "generic", "generic-prod")
    _, token = make_user(app, admin, "admin@example.com", Role.ADMIN)
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        r = client.post(
            "/hooks/beacon/paris",
            json={"id": 7, "text": "Paris is down", "state": "down"},
            headers={"Authorization": f"Token {key}"},
        )
        assert r.status_code == 201, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"ok": True, "seen": [["paris:7", "created"]]}
        r = client.post("/hooks/beacon/paris?token=" + key, json={"id": 7, "state": "down"})
        assert r.json() == {"ok": True, "seen": [["paris:7", "deduplicated"]]}
        r = client.get(
            "/api/v1/alerts",
            params={"dedup_key": "paris:7"},
            headers={"Authorization": f"Bearer {token}"},
        )
        (alert,) = r.json()["items"]
        assert alert["count"] == 2

        # Its refusals, in its own words; an unknown key (or another type's) is audited.
        r = client.post(
            "/hooks/beacon/paris", content=b"{", headers={"Authorization": f"Token {key}"}
        )
        assert (r.status_code, r.json()) == (422, {"ok": False, "why": "not JSON"})
        assert r.headers["content-type"] == "application/vnd.beacon+json"
        for wrong in ("Token forged", f"Token {other}", f"Bearer {key}"):
            r = client.post("/hooks/beacon/paris", json={}, headers={"Authorization": wrong})
            assert (r.status_code, r.json()) == (403, {"ok": False, "why": "who are you?"})
        r = client.post("/hooks/beacon/old", json={}, headers={"Authorization": "Token forged"})
        assert (r.status_code, r.json()) == (410, {"ok": False, "why": "site closed"})
        denied = client.get(
            "/api/v1/audit",
            params={"action": "auth.denied"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["items"]
        reasons = [
            d["data"]["reason"] for d in denied if d["data"]["what"].startswith("POST /hooks")
        ]
        assert reasons == ["unknown or disabled beacon token"] * 3

        # Documented like the built-in senders' routes, with the same access rule.
        operation = client.get("/openapi.json").json()["paths"]["/hooks/beacon/{site}"]["post"]
        assert operation["operationId"] == "beacon_report"
        assert operation["summary"] == "Beacon reports"
        assert [p["name"] for p in operation["parameters"]] == ["site"]
        (route,) = [
            r
            for r in client.app.routes
            if isinstance(r, Route) and r.path.startswith("/hooks/")  # type: ignore[attr-defined]
        ]
        assert isinstance(route.endpoint.access_rule, IntegrationKey)  # type: ignore[attr-defined]


def test_an_app_built_without_the_sender_does_not_serve_it(app: Tocsin) -> None:
    assert "beacon" not in registry.names()
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        assert client.post("/hooks/beacon/paris", json={}).status_code == 404


def test_default_grouping_comes_from_the_type(
    app: Tocsin, admin: Principal, beacon: IntegrationType
) -> None:
    _service(app, admin)
    defaults = {}
    for kind in ("alertmanager", "grafana", "generic", "pagerduty", "beacon"):
        created = app.integrations.create(
            admin, IntegrationIn(type=kind, name=f"{kind}-1", service="web")
        )
        defaults[kind] = created.config.group_by
    assert defaults == {
        "alertmanager": ["group_key"],  # as before: one incident per notification group
        "grafana": [],
        "generic": [],
        "pagerduty": [],
        "beacon": ["label:cluster"],  # from its entry
    }
    # A configuration given at creation is kept as given.
    given = app.integrations.create(
        admin,
        IntegrationIn(type="alertmanager", name="am-2", service="web", config=IntegrationConfig()),
    )
    assert given.config.group_by == []


def test_every_registered_default_grouping_is_valid() -> None:
    for name in registry.names():
        IntegrationConfig(group_by=list(registry.get(name).default_group_by))


def test_a_misconfigured_integration_is_logged_and_refused(
    app: Tocsin, admin: Principal, caplog: pytest.LogCaptureFixture
) -> None:
    _service(app, admin)
    created = app.integrations.create(
        admin, IntegrationIn(type="alertmanager", name="am-broken", service="web")
    )
    with app.db.unit_of_work() as uow:  # stored before the checks, or by hand
        row = uow.session.get(Integration, created.id)
        assert row is not None
        row.config = {**row.config, "parser": {"severity_map": 5}}
    body = {"alerts": [{"status": "firing", "labels": {"alertname": "A"}}]}
    with (
        TestClient(create_app(app), raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="tocsin.ingest"),
    ):
        r = client.post(
            "/api/v1/ingest/alertmanager",
            json=body,
            headers={"Authorization": f"Bearer {created.key}"},
        )
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith("The integration's configuration is invalid")
    (record,) = [rec for rec in caplog.records if rec.name == "tocsin.ingest"]
    assert record.getMessage() == "integration configuration rejected by its parser"
    assert record.__dict__["integration"] == "am-broken"


def test_two_senders_cannot_claim_one_route() -> None:
    twin = IntegrationType(name="twin", title="Twin", parse=parse, routes=(BEACON.routes[0],))
    with pytest.raises(ValueError, match="'beacon' and 'twin' both declare"):
        ingest.build_routes([BEACON, twin])
