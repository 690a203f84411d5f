"""Passwords over HTTP: kept exactly as typed, common ones refused, and a new password
ends the user's sessions and tokens."""

from __future__ import annotations

import httpx

from tocsin.web.sessions import COOKIE

from .conftest import World

PASSWORD = "a good long password"


def post_login(world: World, email: str, password: str) -> httpx.Response:
    world.client.cookies.clear()
    r = world.client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    world.client.cookies.clear()
    return r


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def set_password(world: World, who: str, password: str) -> dict[str, object]:
    r = world.client.patch(
        f"/api/v1/users/{who}", headers=world.h("admin"), json={"password": password}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_password_is_kept_exactly_as_typed(world: World) -> None:
    set_password(world, "agent@example.com", "  spaces around it  ")
    assert post_login(world, "agent@example.com", "spaces around it").status_code == 401
    assert post_login(world, "agent@example.com", "  spaces around it  ").status_code == 303


def test_a_common_password_is_refused_with_a_reason(world: World) -> None:
    r = world.client.patch(
        "/api/v1/users/agent@example.com", headers=world.h("admin"), json={"password": "Trustno1"}
    )
    assert r.status_code == 422
    assert "10,000 most common" in r.json()["detail"]
    r = world.client.post(
        "/api/v1/users",
        headers=world.h("admin"),
        json={"email": "new@example.com", "role": "agent", "password": "qwertyuiop"},
    )
    assert r.status_code == 422
    assert "10,000 most common" in r.json()["detail"]


def test_a_new_password_ends_the_users_sessions_and_tokens(world: World) -> None:
    set_password(world, "agent@example.com", PASSWORD)
    token = world.app.auth.create_token(
        world.principals["admin"], email="agent@example.com", name="laptop"
    ).token
    r = post_login(world, "agent@example.com", PASSWORD)
    cookie = r.cookies[COOKIE]
    c = world.client
    c.cookies.set(COOKIE, cookie)
    assert c.get("/api/v1/me").status_code == 200
    c.cookies.clear()
    assert c.get("/api/v1/me", headers=bearer(token)).status_code == 200

    set_password(world, "agent@example.com", "another long password")

    c.cookies.set(COOKIE, cookie)
    assert c.get("/api/v1/me").status_code == 401
    c.cookies.clear()
    assert c.get("/api/v1/me", headers=bearer(token)).status_code == 401
    # Nobody else's.
    assert c.get("/api/v1/me", headers=world.h("manager")).status_code == 200
    updated = c.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "user.updated"}
    ).json()["items"]
    assert updated[0]["data"]["sessions_revoked"] == 1
    assert updated[0]["data"]["tokens_revoked"] == 1
    assert updated[0]["data"]["changes"]["password"] == ["***", "***"]
    # The new password opens a new session.
    assert post_login(world, "agent@example.com", "another long password").status_code == 303
