"""The incidents API: validation, filters, paging, concurrency, who sees what."""

from __future__ import annotations

import pytest

from tocsin.incidents.schemas import IncidentIn

from .conftest import World


def post(world: World, who: str, path: str, body: object, **headers: str) -> object:
    return world.client.post(path, headers={**world.h(who), **headers}, json=body)


def test_errors_are_problem_json_with_a_sentence(world: World) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("agent"),
        json={"title": "", "impact": 7, "colour": "red"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"]
    assert "`impact`: Input should be less than or equal to 3." in detail
    assert "`colour` is not a field this endpoint accepts." in detail
    assert "`title`" in detail


@pytest.mark.parametrize(
    ("body", "status", "phrase"),
    [
        (b'{"title": "x",', 400, "not valid JSON"),
        (b"[1, 2]", 422, "must be a JSON object"),
        (b"\xff\xfe garbage", 400, "not valid JSON"),
        (b'{"title": "x", "category": "Nope"}', 422, "There is no category 'Nope'"),
        (
            b'{"title": "x", "category": "Hardware", "subcategory": "Toaster"}',
            422,
            "no subcategory 'Toaster' under Hardware",
        ),
        (b'{"title": "x", "priority": 1}', 422, "needs a priority_reason"),
        (b'{"title": "x", "opened_at": "2999-01-01T00:00:00Z"}', 422, "cannot be in the future"),
    ],
)
def test_malformed_requests(world: World, body: bytes, status: int, phrase: str) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        content=body,
        headers={**world.h("admin"), "content-type": "application/json"},
    )
    assert r.status_code == status, r.text
    assert phrase in r.json()["detail"]
    assert world.app.incidents.count() == 0


def test_bodies_over_the_limit_are_refused(world: World) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("agent"),
        json={"title": "x", "description": "a" * 2_000_000},
    )
    assert r.status_code == 413
    assert world.app.incidents.count() == 0


def test_list_filters_and_cursor_paging(world: World) -> None:
    admin = world.principals["admin"]
    for i in range(30):
        world.app.incidents.create(
            admin,
            IncidentIn(
                title=f"Disk {i} full" if i % 3 == 0 else f"Latency {i}",
                impact=1 + i % 3,
                urgency=1 + (i // 3) % 3,
                team="ops" if i % 2 else "dba",
                customer="acme" if i % 5 else None,
            ),
        )
        world.app.clock.advance(minutes=1)  # type: ignore[attr-defined]
    h = world.h("agent")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = world.client.get("/api/v1/incidents", headers=h, params=params).json()
        assert page["total"] == 30
        seen += [i["number"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == 30
    assert len(set(seen)) == 30
    assert seen == sorted(seen, reverse=True)  # newest first
    page = world.client.get(
        "/api/v1/incidents", headers=h, params={"state": "open", "priority": "P1,P2", "team": "ops"}
    ).json()
    assert page["total"] > 0
    assert all(i["priority"] <= 2 and i["team"] == "ops" for i in page["items"])
    page = world.client.get("/api/v1/incidents", headers=h, params={"q": "disk"}).json()
    assert page["total"] == 10
    page = world.client.get("/api/v1/incidents", headers=h, params={"customer": "acme"}).json()
    assert page["total"] == 24
    r = world.client.get("/api/v1/incidents", headers=h, params={"state": "sleeping"})
    assert r.status_code == 422
    assert "state 'sleeping' is unknown" in r.json()["detail"]
    r = world.client.get("/api/v1/incidents", headers=h, params={"team": "nope"})
    assert r.status_code == 422
    r = world.client.get("/api/v1/incidents", headers=h, params={"cursor": "garbage!"})
    assert r.status_code == 422


def test_etag_and_if_match(world: World) -> None:
    h = world.h("agent")
    number = post(world, "agent", "/api/v1/incidents", {"title": "x"}).json()["number"]  # type: ignore[attr-defined]
    r = world.client.get(f"/api/v1/incidents/{number}", headers=h)
    etag = r.headers["etag"]
    r = world.client.patch(
        f"/api/v1/incidents/{number}", headers={**h, "If-Match": etag}, json={"title": "first"}
    )
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'
    r = world.client.patch(
        f"/api/v1/incidents/{number}", headers={**h, "If-Match": etag}, json={"title": "second"}
    )
    assert r.status_code == 412
    assert "changed since you read it" in r.json()["detail"]
    r = world.client.post(
        f"/api/v1/incidents/{number}/actions/start", headers={**h, "If-Match": etag}
    )
    assert r.status_code == 412
    r = world.client.patch(
        f"/api/v1/incidents/{number}", headers={**h, "If-Match": "abc"}, json={"title": "third"}
    )
    assert r.status_code == 422
    assert world.client.get(f"/api/v1/incidents/{number}", headers=h).json()["title"] == "first"


def test_invalid_transition_is_409_naming_allowed_actions(world: World) -> None:
    number = post(world, "agent", "/api/v1/incidents", {"title": "x"}).json()["number"]  # type: ignore[attr-defined]
    r = world.client.post(
        f"/api/v1/incidents/{number}/actions/reopen",
        headers=world.h("agent"),
        json={"reason": "again"},
    )
    assert r.status_code == 409
    assert r.json()["allowed_actions"] == ["acknowledge", "assign", "start", "resolve", "cancel"]
    r = world.client.post(f"/api/v1/incidents/{number}/actions/explode", headers=world.h("agent"))
    assert r.status_code == 422


def test_requesters_see_their_own_and_shared_incidents_never_work_notes(world: World) -> None:
    c = world.client
    mine = post(world, "requester", "/api/v1/incidents", {"title": "My laptop"}).json()  # type: ignore[attr-defined]
    shared = post(
        world,
        "agent",
        "/api/v1/incidents",
        {
            "title": "Office Wi-Fi",
            "customer": "acme",
            "requester": "bob@acme.test",
            "shared_with": ["alice@acme.test"],
        },
    ).json()  # type: ignore[attr-defined]
    other = post(
        world,
        "agent",
        "/api/v1/incidents",
        {"title": "Bob's phone", "customer": "acme", "requester": "bob@acme.test"},
    ).json()  # type: ignore[attr-defined]
    ref = mine["number"]
    post(
        world,
        "agent",
        f"/api/v1/incidents/{ref}/notes",
        {"body": "suspect the PSU", "internal": True},
    )
    post(
        world,
        "agent",
        f"/api/v1/incidents/{ref}/notes",
        {"body": "We are on it", "internal": False},
    )
    listed = c.get("/api/v1/incidents", headers=world.h("requester")).json()
    assert {i["number"] for i in listed["items"]} == {mine["number"], shared["number"]}
    assert (
        c.get(f"/api/v1/incidents/{other['number']}", headers=world.h("requester")).status_code
        == 404
    )
    notes = c.get(f"/api/v1/incidents/{ref}/notes", headers=world.h("requester")).json()["items"]
    assert [n["body"] for n in notes] == ["We are on it"]
    timeline = c.get(f"/api/v1/incidents/{ref}/timeline", headers=world.h("requester")).json()
    assert "suspect the PSU" not in str(timeline)
    staff_timeline = c.get(f"/api/v1/incidents/{ref}/timeline", headers=world.h("viewer")).json()
    assert "suspect the PSU" in str(staff_timeline)
    r = post(world, "requester", f"/api/v1/incidents/{ref}/notes", {"body": "x", "internal": True})
    assert r.status_code == 403  # type: ignore[attr-defined]
    r = post(
        world, "requester", f"/api/v1/incidents/{ref}/notes", {"body": "Thanks", "internal": False}
    )
    assert r.status_code == 201  # type: ignore[attr-defined]
    r = post(world, "requester", "/api/v1/incidents", {"title": "x", "priority": 1})
    assert r.status_code == 403  # type: ignore[attr-defined]


def test_requester_reopens_own_resolved_incident(world: World) -> None:
    ref = post(world, "requester", "/api/v1/incidents", {"title": "VPN"}).json()["number"]  # type: ignore[attr-defined]
    post(
        world,
        "agent",
        f"/api/v1/incidents/{ref}/actions/resolve",
        {"resolution_code": "solved_permanently", "resolution_notes": "reset the token"},
    )
    r = post(
        world, "requester", f"/api/v1/incidents/{ref}/actions/reopen", {"reason": "still broken"}
    )
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.json()["reopen_count"] == 1  # type: ignore[attr-defined]
    r = post(world, "requester2", f"/api/v1/incidents/{ref}/actions/reopen", {"reason": "x"})
    assert r.status_code == 404  # type: ignore[attr-defined]


def test_objects_of_another_customer_cannot_be_linked(world: World) -> None:
    r = post(world, "globex_agent", "/api/v1/incidents", {"title": "x", "service": "acme-web"})
    assert r.status_code == 404  # type: ignore[attr-defined]
    r = post(world, "globex_agent", "/api/v1/incidents", {"title": "x", "customer": "acme"})
    assert r.status_code == 404  # type: ignore[attr-defined]
    r = post(
        world, "globex_agent", "/api/v1/incidents", {"title": "x", "requester": "alice@acme.test"}
    )
    assert r.status_code == 404  # type: ignore[attr-defined]
    r = post(
        world,
        "admin",
        "/api/v1/incidents",
        {"title": "x", "customer": "acme", "service": "globex-erp"},
    )
    assert r.status_code == 422  # type: ignore[attr-defined]
    # Said as if it did not exist for acme: the answer does not name globex's objects.
    assert r.json()["detail"] == "There is no service 'globex-erp' for customer acme."  # type: ignore[attr-defined]
    r = post(
        world, "globex_agent", "/api/v1/incidents", {"title": "ERP slow", "service": "globex-erp"}
    )
    assert r.status_code == 201  # type: ignore[attr-defined]
    assert r.json()["customer"] == "globex"  # type: ignore[attr-defined]
    listed = world.client.get("/api/v1/incidents", headers=world.h("globex_agent")).json()
    assert {i["customer"] for i in listed["items"]} == {"globex"}


def test_permission_failures_are_audited(world: World) -> None:
    r = world.client.patch(
        "/api/v1/users/alice@acme.test", headers=world.h("viewer"), json={"name": "x"}
    )
    assert r.status_code == 403
    r = world.client.get("/api/v1/incidents", headers={"Authorization": "Bearer tcn_forged"})
    assert r.status_code == 401
    denied = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.denied"}
    ).json()["items"]
    assert {d["data"]["reason"] for d in denied} >= {
        "role lacks users.manage",
        "unknown or revoked token",
    }
    assert world.client.get("/api/v1/audit/verify", headers=world.h("admin")).json()["intact"]


def test_tokens_are_shown_once_and_revocable(world: World) -> None:
    r = post(world, "agent", "/api/v1/tokens", {"name": "laptop"})
    token = r.json()  # type: ignore[attr-defined]
    assert token["token"].startswith("tcn_")
    listed = world.client.get("/api/v1/tokens", headers=world.h("agent")).json()["items"]
    assert all("token" not in t for t in listed)
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert world.client.get("/api/v1/me", headers=headers).json()["email"] == "agent@example.com"
    r = world.client.delete(f"/api/v1/tokens/{token['id']}", headers=world.h("agent"))
    assert r.json()["revoked_at"] is not None
    assert world.client.get("/api/v1/me", headers=headers).status_code == 401


def test_operations_endpoints(world: World) -> None:
    c = world.client
    assert c.get("/healthz").json() == {"status": "ok"}
    assert c.get("/readyz").json() == {"status": "ok"}
    post(world, "agent", "/api/v1/incidents", {"title": "x", "impact": 1, "urgency": 1})
    metrics = c.get("/metrics").text
    assert "tocsin_http_requests_total" in metrics
    # Business figures need the metrics token (test_metrics_access.py).
    assert "tocsin_incidents_open" not in metrics
    spec = c.get("/openapi.json").json()
    assert "/api/v1/incidents/{ref}/actions/{action}" in spec["paths"]
    assert c.get("/docs").status_code == 200


def test_users_set_their_own_time_zone(world: World) -> None:
    r = world.client.patch(
        "/api/v1/me", headers=world.h("requester"), json={"time_zone": "America/New_York"}
    )
    assert r.status_code == 200
    assert r.json()["time_zone"] == "America/New_York"
    r = world.client.patch(
        "/api/v1/me", headers=world.h("requester"), json={"time_zone": "Mars/Olympus"}
    )
    assert r.status_code == 422
    assert "not a known time zone" in r.json()["detail"]


def test_an_e_mail_longer_than_an_address_can_be_is_refused(world: World) -> None:
    """The pattern alone allows 64 + 1 + 254 characters; the column (and RFC 5321) 254."""
    email = "a" * 64 + "@" + "b" * 190 + ".example"
    r = world.client.post(
        "/api/v1/users", headers=world.h("admin"), json={"email": email, "role": "agent"}
    )
    assert r.status_code == 422
    assert "at most 254 characters" in r.json()["detail"]
