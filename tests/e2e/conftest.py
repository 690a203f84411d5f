"""Browser tests: a real uvicorn server in a thread, driven by the system's headless Chromium.

The database is SQLite only here (the services are covered on PostgreSQL elsewhere), and
the browser is never downloaded: TOCSIN_CHROMIUM or /usr/bin/chromium is used as is.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import make_user
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn, UserIn
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import ServiceIn, TeamIn
from tocsin.web.app import create_app

CHROMIUM = os.environ.get("TOCSIN_CHROMIUM", "/usr/bin/chromium")
# What a page shows gets 10 s, as the contexts' actions do (expect's own default is 5 s,
# which a page under the whole suite's load has overrun).
expect.set_options(timeout=10_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
AGENT = "agent@example.com"
REQUESTER = "alice@acme.test"


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: overrides the shared fixture (which also runs on PostgreSQL)."""
    target = tmp_path / "tocsin.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@dataclass
class World:
    app: Tocsin
    admin: Principal
    agent: Principal
    requester: Principal


@pytest.fixture
def world(app: Tocsin, admin: Principal) -> World:
    app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme Corp"))
    # The agent works in Berlin: pages must show times in their zone, not in UTC.
    app.auth.create_user(
        admin,
        UserIn(
            email=AGENT,
            name="Ada Agent",
            role=Role.AGENT,
            password=PASSWORD,
            time_zone="Europe/Berlin",
        ),
    )
    agent = app.auth.login(AGENT, PASSWORD, source="test")
    requester, _ = make_user(app, admin, REQUESTER, Role.REQUESTER, "acme", password=PASSWORD)
    app.catalog.create_team(admin, TeamIn(slug="ops", name="Operations", members=[AGENT]))
    app.catalog.create_team(
        admin, TeamIn(slug="acme-desk", name="Acme desk", customer="acme", members=[])
    )
    app.catalog.create_service(
        admin, ServiceIn(slug="acme-web", name="Acme website", customer="acme", team="ops")
    )
    return World(app=app, admin=admin, agent=agent, requester=requester)


@pytest.fixture
def server(app: Tocsin) -> Iterator[str]:
    """The whole web app on a free port of 127.0.0.1, served by uvicorn in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(app), log_level="warning", lifespan="off", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set TOCSIN_CHROMIUM)")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _timeouts(context: BrowserContext) -> None:
    """10 s for what the page should show; 30 s for loading a page, which on a 2-core
    machine running the whole suite (another worker, its servers, PostgreSQL) once took
    more than 10 s for a page that takes well under a second alone."""
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)


@pytest.fixture
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=server, viewport={"width": 1360, "height": 900})
    _timeouts(context)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")


ARTIFACTS = Path(os.environ.get("TOCSIN_ARTIFACTS", "test-artifacts")) / "screenshots"
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as a test artifact (test-artifacts/screenshots/NAME.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def assert_fits(page: Page) -> None:
    """Nothing on the page is wider than the viewport (no sideways scrolling on a phone)."""
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide on a {width}px screen"


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    """A page in a phone-sized browser (390 x 844, touch)."""
    context = browser.new_context(base_url=server, viewport=PHONE, has_touch=True)
    _timeouts(context)
    yield context.new_page()
    context.close()
