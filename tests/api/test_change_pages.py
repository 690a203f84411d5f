"""The console's changes page and the incident page's "Recent changes" section."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.changes.schemas import ChangeIn
from tocsin.incidents.schemas import IncidentIn

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the service behind these pages is tested on PostgreSQL too."""
    return sqlite_only(request, tmp_path, sqlite_template)


def test_record_a_change_from_the_page_and_see_it_on_the_incident(world: World) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.get("/changes")
    assert r.status_code == 200, r.text
    assert 'href="/changes"' in r.text  # in the navigation
    r = world.client.post(
        "/changes",
        data={"csrf_token": csrf, "summary": "", "link": "javascript:alert(1)"},
    )
    assert r.status_code == 422
    assert "Please correct the marked fields." in r.text
    r = world.client.post(
        "/changes",
        data={
            "csrf_token": csrf,
            "summary": "Upgraded nginx to 1.27",
            "service": "acme-web",
            "link": "https://git.example/ops/commit/1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = world.client.get("/changes?service=acme-web")
    assert "Upgraded nginx to 1.27" in r.text
    assert 'href="https://git.example/ops/commit/1"' in r.text
    incident = world.app.incidents.create(
        world.principals["admin"], IncidentIn(title="502s", service="acme-web")
    )
    r = world.client.get(f"/incidents/{incident.number}")
    assert 'id="recent-changes"' in r.text
    assert "Upgraded nginx to 1.27" in r.text
    # another customer's agent sees neither the change nor the page's entry for it
    world.app.changes.record(world.principals["admin"], ChangeIn(summary="Provider-wide"))
    sign_in(world, "globex_agent")
    r = world.client.get("/changes")
    assert "Upgraded nginx" not in r.text
    assert "Provider-wide" not in r.text
