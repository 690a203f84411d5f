"""Behind a trusted reverse proxy the forwarded client address and scheme count (refusal
limits, audit sources, Secure cookies); anyone else's forwarding headers do not."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import run_on_own_loop
from tocsin.auth.schemas import UserPatch
from tocsin.bootstrap import Tocsin
from tocsin.settings import Settings
from tocsin.web.app import create_app

from .conftest import World

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.fixture
def agent_password(world: World) -> str:
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(password="a good long password")
    )
    return "a good long password"


def sign_in(app: Tocsin, peer: str, password: str) -> httpx.Response:
    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(app), client=(peer, 4711))
        async with httpx.AsyncClient(transport=transport, base_url="http://tocsin") as client:
            return await client.post(
                "/login",
                data={"email": "agent@example.com", "password": password},
                headers=FORWARDED,
            )

    return run_on_own_loop(post)


@pytest.fixture
def behind_proxy(world: World) -> Iterator[Tocsin]:
    settings = world.app.settings
    world.app.settings = Settings.model_validate(
        {**settings.model_dump(), "trusted_proxies": "10.0.0.0/8"}
    )
    yield world.app
    world.app.settings = settings


def _last_source(world: World, action: str) -> str:
    items = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": action}
    ).json()["items"]
    return str(items[0]["data"]["source"])


def test_a_trusted_proxy_makes_the_cookie_secure_and_names_the_client(
    world: World, behind_proxy: Tocsin, agent_password: str
) -> None:
    r = sign_in(behind_proxy, "10.1.2.3", agent_password)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "tocsin_session=" in cookie
    assert "secure" in cookie.lower()
    assert _last_source(world, "auth.login") == "203.0.113.9"


def test_forwarding_headers_from_anyone_else_are_ignored(
    world: World, behind_proxy: Tocsin, agent_password: str
) -> None:
    r = sign_in(behind_proxy, "192.0.2.50", agent_password)
    assert r.status_code == 303
    assert "secure" not in r.headers["set-cookie"].lower()
    assert _last_source(world, "auth.login") == "192.0.2.50"


def test_without_trusted_proxies_no_forwarding_header_is_believed(
    world: World, agent_password: str
) -> None:
    r = sign_in(world.app, "10.1.2.3", agent_password)
    assert "secure" not in r.headers["set-cookie"].lower()
    assert _last_source(world, "auth.login") == "10.1.2.3"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match="not an address or a CIDR block"):
        Settings(trusted_proxies="proxy.internal")
    assert Settings(trusted_proxies=" 10.0.0.1 , fd00::/8 ").trusted_proxies == "10.0.0.1,fd00::/8"
