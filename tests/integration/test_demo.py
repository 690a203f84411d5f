"""`tocsin demo`: a believable, replayable history loaded through the domain services."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.conftest import START
from tocsin.audit.models import AuditEntry, AuditHead
from tocsin.audit.verify import verify
from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import TeamIn
from tocsin.core.errors import Conflict
from tocsin.demo.loader import load_demo, run_demo
from tocsin.demo.people import DEMO_PASSWORD, PEOPLE, SERVICES, TEAMS
from tocsin.demo.planner import Planner
from tocsin.demo.story import timeline
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.incidents.queries import IncidentFilter
from tocsin.settings import DEFAULT_PRIORITY_MATRIX

INCIDENTS = 60
OPEN = {"new", "assigned", "in_progress", "on_hold"}


def test_demo_loads_a_living_world(app: Tocsin, admin: Principal) -> None:
    report = run_demo(app, incidents=INCIDENTS, seed=7)

    assert not report.already_loaded
    assert report.failed_steps == 0
    assert report.incidents == INCIDENTS
    assert len(app.auth.list_customers(admin).items) == 5  # four customers + the default
    assert {t.slug for t in app.catalog.list_teams(admin).items} == {t.slug for t in TEAMS}
    assert len(app.catalog.list_services(admin).items) == len(SERVICES)
    assert app.auth.list_users(admin, limit=100).total == len(PEOPLE)
    assert app.incidents.count() == INCIDENTS

    # A mix of states: a current open queue, history resolved or closed, some cancelled.
    states = report.states
    assert sum(states[s] for s in OPEN) >= 3
    assert states["closed"] > INCIDENTS // 2
    assert states["cancelled"] >= 1
    assert len([s for s in states if states[s]]) >= 5
    assert report.reopened >= 1
    assert report.reassigned >= 1
    assert report.priorities[1] <= INCIDENTS // 10  # few P1s
    assert report.types["security_incident"] >= 1
    assert report.types["service_request"] >= 1

    with app.db.read() as s:
        incidents = s.scalars(select(Incident)).all()
        # Back-dated over the last weeks, never in the future, acknowledged after opening.
        assert min(i.opened_at for i in incidents) < START.replace(month=2)
        assert max(i.updated_at for i in incidents) <= START
        for incident in incidents:
            if incident.acknowledged_at is not None:
                assert incident.acknowledged_at >= incident.opened_at
            if incident.resolved_at is not None:
                assert incident.resolved_at > incident.opened_at
        # One clock, only moving forward: timeline and audit log are in time order.
        timeline_times = s.scalars(select(TimelineEntry.at).order_by(TimelineEntry.id)).all()
        assert timeline_times == sorted(timeline_times)
        audit_times = s.scalars(select(AuditEntry.at).order_by(AuditEntry.seq)).all()
        assert audit_times == sorted(audit_times)
        head = s.get(AuditHead, 1)
        assert head is not None
        notes = s.scalars(select(TimelineEntry.kind)).all()
    assert {"work_note", "comment", "acknowledge", "resolve", "close", "reopen"} <= set(notes)

    result = verify(app.db, key=app.audit_key)
    assert result.problem is None
    assert result.entries == head.seq == report.audit_entries

    # The open queue is real work: queryable like any other.
    queue = app.incidents.list(admin, IncidentFilter(state="open"), limit=100)
    assert queue.total == sum(states[s] for s in OPEN)

    # People sign in with the demo password; requesters see their own customer's only.
    requester = app.auth.login("alice.moreau@acme.example", DEMO_PASSWORD, source="test")
    agent = app.auth.login("lena.fischer@northwind.example", DEMO_PASSWORD, source="test")
    mine = app.incidents.list(requester, IncidentFilter(), limit=100)
    everything = app.incidents.list(agent, IncidentFilter(), limit=100)
    assert everything.total == INCIDENTS
    assert 0 < mine.total < everything.total
    assert all(i.customer == "acme" for i in mine.items)


def test_demo_is_idempotent(app: Tocsin) -> None:
    first = load_demo(app, incidents=INCIDENTS, seed=7)
    assert "Loaded the demo data" in first
    assert "morgan.reyes@northwind.example" in first
    with app.db.read() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        entries = head.seq

    second = load_demo(app, incidents=INCIDENTS, seed=7)

    assert "already loaded" in second
    assert DEMO_PASSWORD in second
    assert app.incidents.count() == INCIDENTS
    with app.db.read() as s:
        head = s.get(AuditHead, 1)
        assert head is not None
        assert head.seq == entries


def test_demo_refuses_to_mix_with_names_already_taken(app: Tocsin, admin: Principal) -> None:
    app.catalog.create_team(admin, TeamIn(slug="network", name="Our own network team"))

    with pytest.raises(Conflict, match="network"):
        run_demo(app, incidents=10, seed=7)

    assert len(app.auth.list_customers(admin).items) == 1
    assert app.incidents.count() == 0


def test_demo_plan_is_deterministic_per_seed() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    categories = {"Network": {"VPN", "Connectivity"}, "Security": {"Phishing"}}

    def plan(seed: int) -> list[tuple[object, ...]]:
        planner = Planner(
            random.Random(seed), now=now, matrix=DEFAULT_PRIORITY_MATRIX, categories=categories
        )
        steps = timeline(planner.plan(80))
        return [
            (s.at, s.incident, s.actor, s.op, s.action, s.data.model_dump() if s.data else None)
            for s in steps
        ]

    first = plan(7)
    assert first == plan(7)
    assert first != plan(8)
    assert all(step[0] < now for step in first)
    assert [step[0] for step in first] == sorted(step[0] for step in first)
