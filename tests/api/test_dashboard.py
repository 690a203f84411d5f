"""The dashboard: counts, the SLA watch list, charts and CSV, each within the viewer's
customers."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn
from tocsin.sla.events import IncidentEventView

from .conftest import World
from .test_console_input import sign_in


def _open(world: World, title: str, *, impact: int = 3, urgency: int = 3, **fields: object) -> str:
    data = IncidentIn(title=title, impact=impact, urgency=urgency, **fields)  # type: ignore[arg-type]
    return world.app.incidents.create(world.principals["admin"], data).number


def _clocks_start(world: World, number: str) -> None:
    """What the engine does on incident.created: start the SLA clocks."""
    app = world.app
    incident = app.incidents.get(world.principals["admin"], number)
    with app.db.unit_of_work() as uow:
        app.sla.apply(
            uow,
            IncidentEventView(
                incident_id=incident.id,
                action="incident.created",
                at=app.clock.now(),
                changes={"state": [None, "new"]},
                customer_id=world.principals["admin"].customer_id,
                service_id=None,
                priority=incident.priority,
                state="new",
                hold_reason=None,
            ),
        )


def _act(world: World, number: str, action: Action, **data: object) -> None:
    world.app.actions.perform(
        world.principals["agent"],
        number,
        action,
        ActionIn(**data),  # type: ignore[arg-type]
    )


SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _cell(html: str, state: str, priority: int) -> int:
    found = re.search(rf'href="/\?state={state}&amp;priority={priority}"[^>]*>(\d+)</a>', html)
    assert found, f"no cell for {state} P{priority}"
    return int(found.group(1))


def _seed(world: World) -> dict[str, str]:
    numbers = {
        "p1": _open(world, "Core switch down", impact=1, urgency=1, major=True),
        "p3a": _open(world, "Printer jam"),
        "p3b": _open(world, "VPN slow"),
        "acme": _open(world, "Acme shop 500s", impact=2, urgency=1, customer="acme"),
        "globex": _open(world, "Globex ERP login", customer="globex"),
    }
    _act(world, numbers["p3b"], Action.ACKNOWLEDGE)
    return numbers


def test_the_matrix_counts_open_incidents_by_priority_and_state(world: World) -> None:
    _seed(world)
    sign_in(world, "admin")
    r = world.client.get("/dashboard")
    assert r.status_code == 200, r.text
    html = r.text
    assert _cell(html, "new", 1) == 1
    assert _cell(html, "new", 5) == 2  # Printer jam, Globex ERP login (impact 3 x urgency 3)
    assert _cell(html, "in_progress", 5) == 1  # VPN slow, acknowledged by the agent
    assert _cell(html, "new", 2) == 1  # Acme
    assert 'aria-label="5 open"' in html
    assert _cell(html, "assigned", 5) == 0
    assert re.search(r"<strong>4</strong> unassigned", html)
    assert re.search(r"<strong>1</strong> major", html)
    assert 'id="dashboard-live" data-live="incidents alerts"' in html
    assert "Content-Security-Policy" in r.headers


def test_a_customer_agent_counts_only_their_customer(world: World) -> None:
    _seed(world)
    sign_in(world, "acme_agent")
    html = world.client.get("/dashboard").text
    assert _cell(html, "new", 2) == 1
    assert _cell(html, "new", 1) == 0
    assert _cell(html, "new", 5) == 0
    assert 'aria-label="1 open"' in html
    svg = world.client.get("/dashboard/charts/open.svg").text
    values = re.findall(r'<desc class="value">(\d+)</desc>', svg)
    assert values == ["0", "1", "0", "0", "0"]


def test_sla_at_risk_and_breached(world: World) -> None:
    # The world's P1 policy: respond within 15 minutes (warning at 75%).
    late = _open(world, "Payments failing", impact=1, urgency=1)
    _clocks_start(world, late)
    world.app.clock.advance(minutes=6)  # type: ignore[attr-defined]
    risky = _open(world, "Mail delayed", impact=1, urgency=1)
    _clocks_start(world, risky)
    world.app.clock.advance(minutes=12)  # type: ignore[attr-defined]
    fresh = _open(world, "Fresh P1", impact=1, urgency=1)
    _clocks_start(world, fresh)
    _open(world, "Not urgent")
    sign_in(world, "admin")
    html = world.client.get("/dashboard").text
    assert re.search(r"<strong>1</strong> breached", html)
    assert re.search(r"<strong>1</strong> at risk", html)
    section = html.split('id="dash-sla-h"')[1].split("</section>")[0]
    assert section.index(late) < section.index(risky)  # longest overdue first
    assert "Fresh P1" not in section
    assert "data-countdown" in section
    rows = list(
        csv.reader(io.StringIO(world.client.get("/dashboard/sla.csv").text.lstrip("\ufeff")))
    )
    assert rows[0][:3] == ["number", "priority", "sla_state"]
    assert [(r[0], r[2]) for r in rows[1:]] == [(late, "breached"), (risky, "warning")]


def test_the_trend_and_its_csv(world: World) -> None:
    number = _open(world, "Disk full")
    world.app.clock.advance(minutes=6)  # type: ignore[attr-defined]
    _act(world, number, Action.ACKNOWLEDGE)
    world.app.clock.advance(minutes=54)  # type: ignore[attr-defined]
    _act(world, number, Action.RESOLVE, resolution_code="solved_permanently", resolution_notes="ok")
    sign_in(world, "admin")
    html = world.client.get("/dashboard").text
    assert "<dt>MTTA mean</dt><dd>6 min</dd>" in html
    assert "<dt>MTTR median</dt><dd>1 h 00 min</dd>" in html
    r = world.client.get("/dashboard/timing.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = _csv(r.text)
    assert len(rows) == 31
    assert rows[-1] == ["2026-03-02", "1", "6.0", "6.0", "1", "60.0", "60.0"]


def test_charts_are_svg_without_scripts(world: World) -> None:
    _seed(world)
    sign_in(world, "admin")
    for name in ("open", "timing"):
        r = world.client.get(f"/dashboard/charts/{name}.svg")
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/svg+xml"
        assert (
            r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        )
        root = ElementTree.fromstring(r.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert b"<script" not in r.content
    light = world.client.get("/dashboard/charts/open.svg").text
    world.client.cookies.set("tocsin_theme", "dark")
    dark = world.client.get("/dashboard/charts/open.svg").text
    # pygal's dark style writes light grey text, its light style near-black
    assert "#999" in dark
    assert "#999" not in light
    assert "background-color:transparent" in dark.replace(" ", "")


def test_alerts_tile_and_csv_follow_the_permission(world: World) -> None:
    sign_in(world, "admin")
    assert "Recent alerts" in world.client.get("/dashboard").text
    r = world.client.get("/dashboard/alerts.csv")
    assert r.status_code == 200
    assert r.text.lstrip("\ufeff").startswith("id,last_seen_at,status")


def test_requesters_and_strangers_are_sent_elsewhere(world: World) -> None:
    r = world.client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    sign_in(world, "requester")
    r = world.client.get("/dashboard", follow_redirects=False)
    assert r.headers["location"] == "/portal"
    r = world.client.get("/dashboard/charts/open.svg", follow_redirects=False)
    assert r.headers["location"] == "/portal"
