"""The console's problem pages: list, new, detail with the lifecycle buttons and the
incidents, candidates, known errors, and the incident page's section."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.incidents.schemas import IncidentIn

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the services behind these pages are tested on PostgreSQL too."""
    return sqlite_only(request, tmp_path, sqlite_template)


def test_a_manager_works_a_problem_through_the_pages(world: World) -> None:
    admin = world.principals["admin"]
    incident = world.app.incidents.create(
        admin, IncidentIn(title="Checkout timeout", service="acme-web", category="Network")
    ).number
    csrf = sign_in(world, "manager")
    assert "New problem" in world.client.get("/problems").text
    assert world.client.get("/problems/new").status_code == 200
    r = world.client.post(
        "/problems",
        data={
            "csrf_token": csrf,
            "title": "Checkout times out",
            "customer": "acme",
            "services": "acme-web",
            "category": "Network",
            "priority": "2",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"].split("?")[0]
    r = world.client.post(
        f"{url}/incidents", data={"csrf_token": csrf, "incidents": incident}, follow_redirects=False
    )
    assert r.status_code == 303, r.text

    def move(state: str, **fields: str) -> str:
        page = world.client.get(url).text
        version = page.split('name="version" value="')[1].split('"')[0]
        body = {
            "csrf_token": csrf,
            "version": version,
            "title": "Checkout times out",
            "services": "acme-web",
            "category": "Network",
            "priority": "2",
            "state": state,
            **fields,
        }
        return world.client.post(url, data=body).text

    move("assessed")
    move("root_cause_analysis")
    refused = move("known_error")
    assert "only with root_cause and workaround recorded" in refused
    done = move(
        "known_error",
        root_cause="pool too small",
        workaround="Restart the pool",
        five_whys="pool full\nno limit",
    )
    assert 'id="problem-state">Known error<' in done
    assert "pool too small" in done

    page = world.client.get(f"/incidents/{incident}").text
    assert "Problem and known errors" in page
    assert "Restart the pool" in page
    assert "Restart the pool" in world.client.get("/known-errors", params={"q": "restart"}).text
    assert world.client.get("/problems/candidates").status_code == 200


def test_an_agent_reads_but_does_not_edit(world: World) -> None:
    sign_in(world, "agent")
    r = world.client.get("/problems")
    assert r.status_code == 200
    assert "New problem" not in r.text
    assert world.client.get("/problems/new").status_code == 403
    sign_in(world, "requester")
    r = world.client.get("/problems", follow_redirects=False)
    assert r.status_code == 303
