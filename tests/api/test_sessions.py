"""Console sessions: sign-in sets a cookie that works for the API with CSRF, sign-out
revokes it server-side, and both are audited."""

from __future__ import annotations

from tocsin.auth.schemas import UserPatch
from tocsin.web.sessions import COOKIE

from .conftest import World


def sign_in(world: World, password: str = "a good long password") -> str:
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(password="a good long password")
    )
    r = world.client.post(
        "/login", data={"email": "agent@example.com", "password": password}, follow_redirects=False
    )
    if r.status_code != 303:
        return ""
    cookie = r.cookies.get(COOKIE)
    assert cookie
    world.client.cookies.clear()
    return cookie


def test_session_cookie_lifecycle(world: World) -> None:
    cookie = sign_in(world)
    c = world.client
    c.cookies.set(COOKIE, cookie)
    assert c.get("/api/v1/me").json()["email"] == "agent@example.com"
    r = c.post("/api/v1/incidents", json={"title": "from the console"})
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    csrf = c.app.state.sessions.csrf_token(cookie)  # type: ignore[attr-defined]
    r = c.post(
        "/api/v1/incidents",
        headers={"X-CSRF-Token": csrf},
        json={"title": "from the console"},
    )
    assert r.status_code == 201
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    # The copied cookie is dead: the session was revoked in the database.
    assert c.get("/api/v1/me").status_code == 401
    r = c.get("/", follow_redirects=False)
    assert r.headers["location"].startswith("/login")
    actions = [
        e["action"] for e in c.get("/api/v1/audit", headers=world.h("admin")).json()["items"]
    ]
    assert "auth.logout" in actions
    assert "auth.login" in actions


def test_a_wrong_password_sets_no_cookie(world: World) -> None:
    assert sign_in(world, password="not it at all") == ""
    denied = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.login_failed"}
    ).json()["items"]
    assert denied[0]["data"]["source"]


def test_each_sign_in_gets_a_new_session(world: World) -> None:
    assert sign_in(world) != sign_in(world)
