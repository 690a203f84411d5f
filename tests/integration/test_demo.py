"""`tocsin demo`: a believable, replayable history loaded through the domain services."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from tests.conftest import START
from tocsin.audit.models import AuditEntry, AuditHead
from tocsin.audit.verify import verify
from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn, UserIn, UserPatch
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import TeamIn
from tocsin.core.errors import Conflict
from tocsin.demo.loader import Replay, load_demo, run_demo
from tocsin.demo.people import DEMO_PASSWORD, PEOPLE, SERVICES, TEAMS
from tocsin.demo.planner import Planner
from tocsin.demo.story import Step, timeline
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


def test_demo_sets_up_on_call_and_sla(app: Tocsin, admin: Principal) -> None:
    """Every console page has something real to show: who is on call, how it escalates,
    which SLA targets apply, where alerts come in."""
    run_demo(app, incidents=5, seed=7)

    on_call = app.oncall.on_call(admin).items
    assert {o.schedule for o in on_call} >= {"service-desk-oncall", "network-oncall"}
    assert all(len(o.on_call) == 1 for o in on_call)
    desk = next(t for t in app.catalog.list_teams(admin).items if t.slug == "service-desk")
    assert desk.escalation_policy == "service-desk-escalation"
    policy = app.oncall.get_policy(admin, "service-desk-escalation")
    assert [t.type for level in policy.levels for t in level.targets] == ["schedule", "team"]
    assert sorted(p.priority for p in app.sla.policies.list(admin).items) == [1, 2, 3, 4, 5]
    assert [c.slug for c in app.sla.calendars.list(admin).items] == ["office-hours"]
    assert len(app.integrations.list_all(admin).items) == 2


def test_demo_is_idempotent(app: Tocsin) -> None:
    first = load_demo(app, incidents=INCIDENTS, seed=7)
    assert "Loaded the demo data" in first
    assert all(p.email in first for p in PEOPLE)  # every account it created
    entries = _audit_seq(app)

    second = load_demo(app, incidents=INCIDENTS, seed=8)

    # Its own record says when, with which seed and how many incidents.
    assert (
        "The demo data is already loaded: `tocsin demo` loaded it on 2026-03-02 09:00 UTC "
        f"(seed 7, {INCIDENTS} incidents). Nothing was changed." in second
    )
    assert DEMO_PASSWORD in second
    assert all(p.email in second for p in PEOPLE)  # all of them still exist
    assert app.incidents.count() == INCIDENTS
    assert _audit_seq(app) == entries
    assert len(_markers(app)) == 1


def test_demo_lists_only_the_accounts_that_still_sign_in(app: Tocsin, admin: Principal) -> None:
    load_demo(app, incidents=0, seed=7)
    app.auth.patch_user(admin, "lena.fischer@northwind.example", UserPatch(active=False))
    with app.db.unit_of_work() as uow:  # gone altogether (no incidents refer to her)
        uow.session.execute(delete(User).where(User.email == "olivia.grant@northwind.example"))

    second = load_demo(app, incidents=0, seed=7)

    assert "already loaded" in second
    assert "lena.fischer@" not in second
    assert "olivia.grant@" not in second
    assert "morgan.reyes@northwind.example" in second
    others = {p.email for p in PEOPLE} - {
        "lena.fischer@northwind.example",
        "olivia.grant@northwind.example",
    }
    assert all(email in second for email in others)

    # None left: no sign-in line at all, and a sentence that says so. (The provider keeps
    # an active administrator, so one from outside the demo takes over first.)
    app.auth.create_user(admin, UserIn(email="keeper@example.com", role=Role.ADMIN))
    for email in others:
        app.auth.patch_user(admin, email, UserPatch(active=False))
    third = load_demo(app, incidents=0, seed=7)
    assert DEMO_PASSWORD not in third
    assert "None of the demo's accounts is active any more." in third


def test_a_customer_named_acme_is_not_the_demo(app: Tocsin, admin: Principal) -> None:
    app.auth.create_customer(admin, CustomerIn(slug="acme", name="Our own Acme"))
    entries = _audit_seq(app)

    with pytest.raises(Conflict) as refused:
        run_demo(app, incidents=10, seed=7)

    assert refused.value.detail == (
        "The demo was not loaded: it would create customer acme, which already exists "
        "here. Nothing was changed; load the demo into a database of its own "
        "(TOCSIN_DATABASE_URL)."
    )
    assert [c.slug for c in app.auth.list_customers(admin).items] == ["acme", "default"]
    assert app.auth.list_users(admin, limit=100).total == 0
    assert _audit_seq(app) == entries
    assert _markers(app) == []


def test_a_load_that_fails_midway_leaves_no_marker(
    app: Tocsin, admin: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = Replay.run
    steps = 0

    def failing_run(self: Replay, step: Step) -> None:
        nonlocal steps
        steps += 1
        if steps == 20:
            raise RuntimeError("the disk is full")
        real_run(self, step)

    monkeypatch.setattr(Replay, "run", failing_run)
    with pytest.raises(RuntimeError, match="disk is full"):
        run_demo(app, incidents=10, seed=7)
    monkeypatch.undo()

    # What it wrote before failing stays (each step is its own transaction), but the
    # record of a finished load was never written: the demo is not "already loaded".
    assert app.incidents.count() > 0
    assert _markers(app) == []
    entries = _audit_seq(app)
    with pytest.raises(Conflict) as refused:
        run_demo(app, incidents=10, seed=7)
    detail = refused.value.detail
    assert detail.startswith("The demo was not loaded: it would create customers acme, ")
    assert "; users aisha.khan@northwind.example, alice.moreau@acme.example, " in detail
    assert "An earlier `tocsin demo` made them and did not finish" in detail
    assert _audit_seq(app) == entries
    assert _markers(app) == []


def _audit_seq(app: Tocsin) -> int:
    with app.db.read() as s:
        head = s.get(AuditHead, 1)
        return head.seq if head else 0


def _markers(app: Tocsin) -> list[AuditEntry]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "demo.loaded")))


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
