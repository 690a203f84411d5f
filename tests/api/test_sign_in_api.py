"""Sign-in over HTTP: the throttled form answers 429 with Retry-After and a sentence, and
a huge e-mail address is refused like any other."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tocsin.core.clock import FrozenClock
from tocsin.core.errors import TooManyRequests
from tocsin.web.errors import install
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


def set_password(world: World, who: str, password: str) -> dict[str, object]:
    r = world.client.patch(
        f"/api/v1/users/{who}", headers=world.h("admin"), json={"password": password}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_login_page_answers_429_with_retry_after_while_blocked(
    world: World, clock: FrozenClock
) -> None:
    set_password(world, "agent@example.com", PASSWORD)
    for _ in range(5):
        r = post_login(world, "agent@example.com", "not it at all")
        assert r.status_code == 401
    r = post_login(world, "agent@example.com", PASSWORD)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "60"
    assert "Too many failed sign-ins" in r.text
    assert "try again in 1 minute." in r.text
    assert COOKIE not in r.cookies
    clock.advance(seconds=60)
    assert post_login(world, "agent@example.com", PASSWORD).status_code == 303


def test_too_many_requests_is_a_problem_with_retry_after() -> None:
    app = FastAPI()
    install(app)

    @app.get("/busy")
    def busy() -> None:
        raise TooManyRequests("Slow down; try again in 2 minutes.", retry_after=120)

    r = TestClient(app).get("/busy")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "120"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "Slow down; try again in 2 minutes."


def test_a_huge_e_mail_on_the_form_is_refused_not_an_error(world: World) -> None:
    r = post_login(world, "m" * 500_000 + "@example.com", "whatever it is")
    assert r.status_code == 401
    denied = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.login_failed"}
    ).json()["items"]
    assert len(denied[0]["actor"]) <= 254
    assert denied[0]["data"]["email_cut"]["chars"] == 500_000 + len("@example.com")
