"""Passwords over HTTP: kept exactly as typed, and common ones refused."""

from __future__ import annotations

import httpx

from .conftest import World

PASSWORD = "a good long password"


def post_login(world: World, email: str, password: str) -> httpx.Response:
    world.client.cookies.clear()
    r = world.client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    world.client.cookies.clear()
    return r


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
