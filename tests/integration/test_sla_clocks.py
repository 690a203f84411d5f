"""SLA clocks driven by synthetic incident events, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.conftest import Org
from tocsin.bootstrap import Tocsin
from tocsin.core.clock import FrozenClock
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import IncidentFilter
from tocsin.sla.events import IncidentEventView
from tocsin.sla.models import IncidentSla
from tocsin.sla.schemas import CalendarIn, SlaPolicyIn

HOUR = timedelta(hours=1)
MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
FRI_13 = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)


@dataclass
class Case:
    app: Tocsin
    org: Org
    incident_id: int
    customer_id: int

    def view(
        self, action: str, at: datetime, changes: dict[str, Any] | None = None, **now: Any
    ) -> IncidentEventView:
        fields: dict[str, Any] = {
            "priority": 3,
            "state": "new",
            "hold_reason": None,
            "service_id": None,
        } | now
        return IncidentEventView(
            incident_id=self.incident_id,
            action=f"incident.{action}",
            at=at,
            changes=changes or {},
            customer_id=self.customer_id,
            **fields,
        )

    def apply(self, *views: IncidentEventView) -> None:
        for v in views:
            with self.app.db.unit_of_work() as uow:
                self.app.sla.apply(uow, v)

    def row(self) -> IncidentSla | None:
        with self.app.db.read() as s:
            row = s.get(IncidentSla, self.incident_id)
            if row is not None:
                s.expunge(row)
            return row

    def check(self, now: datetime) -> list[Any]:
        with self.app.db.unit_of_work() as uow:
            return self.app.sla.check(uow, now)

    def sla(self, now: datetime) -> Any:
        with self.app.db.read() as s:
            return self.app.sla.sla_of(s, [self.incident_id], now).get(self.incident_id)


@pytest.fixture
def case(org: Org) -> Case:
    app, admin = org.app, org.admin
    app.sla.calendars.create(
        admin,
        CalendarIn(
            slug="office",
            time_zone="UTC",
            hours={d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays=["2026-03-13"],
        ),
    )
    for slug, priority, response, resolution in (("p3", 3, 60, 480), ("p1", 1, 15, 120)):
        app.sla.policies.create(
            admin,
            SlaPolicyIn(
                name=slug.upper(),
                slug=slug,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                calendar="office",
                escalate_on_breach=True,
            ),
        )
    incident = org.open(customer="acme")
    with app.db.read() as s:
        row = s.get(Incident, incident.id)
        assert row is not None
        customer_id = row.customer_id
    return Case(app=app, org=org, incident_id=incident.id, customer_id=customer_id)


def created(case: Case, at: datetime, **now: Any) -> IncidentEventView:
    return case.view("created", at, {"state": [None, "new"]}, **now)


def test_a_weekend_on_hold_awaiting_the_requester_does_not_count(case: Case) -> None:
    case.apply(created(case, FRI_13))
    row = case.row()
    assert row is not None
    assert row.response_due_at == FRI_13 + HOUR
    assert row.resolution_due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 4 h Fri, 4 h Mon
    case.apply(
        case.view(
            "acknowledge",
            FRI_13 + HOUR / 2,
            {"acknowledged_at": [None, "x"], "state": ["new", "in_progress"]},
            state="in_progress",
        ),
        case.view(
            "hold",
            FRI_13 + 2 * HOUR,
            {"state": ["in_progress", "on_hold"], "hold_reason": [None, "awaiting_requester"]},
            state="on_hold",
            hold_reason="awaiting_requester",
        ),
    )
    row = case.row()
    assert row is not None
    assert row.response_met_at == FRI_13 + HOUR / 2
    assert row.paused_since == FRI_13 + 2 * HOUR
    assert row.resolution_running_since is None
    assert row.resolution_consumed_seconds == 7200
    assert row.next_check_at is None
    assert case.sla(datetime(2026, 3, 8, 12, 0, tzinfo=UTC)).state == "paused"
    monday_11 = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    case.apply(
        case.view(
            "resume",
            monday_11,
            {"state": ["on_hold", "in_progress"], "hold_reason": ["awaiting_requester", None]},
            state="in_progress",
        )
    )
    row = case.row()
    assert row is not None
    # 6 hours left from Monday 11:00: 17:00 (the hold's two Monday hours are not counted)
    assert row.resolution_due_at == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    case.apply(
        case.view(
            "resolve",
            monday_11 + 5 * HOUR,
            {"state": ["in_progress", "resolved"]},
            state="resolved",
        )
    )
    row = case.row()
    assert row is not None
    assert row.made_sla is True
    assert row.resolution_met_at == monday_11 + 5 * HOUR
    sla = case.sla(monday_11 + 10 * HOUR)
    assert sla.state == "met"
    assert sla.made_sla is True
    assert sla.resolution.remaining_seconds == 3600


def test_waiting_on_a_change_keeps_the_clocks_running(case: Case) -> None:
    case.apply(
        created(case, MON),
        case.view(
            "hold",
            MON + HOUR,
            {"state": ["new", "on_hold"]},
            state="on_hold",
            hold_reason="awaiting_change",
        ),
    )
    row = case.row()
    assert row is not None
    assert row.paused_since is None
    assert row.resolution_running_since == MON


def test_warning_then_breach_found_by_check(case: Case, clock: FrozenClock) -> None:
    case.apply(created(case, MON))
    assert case.check(MON + timedelta(minutes=44)) == []
    crossings = case.check(MON + timedelta(minutes=45))
    assert [(c.kind, c.target) for c in crossings] == [("warning", "response")]
    assert crossings[0].due_at == MON + HOUR
    assert crossings[0].policy_slug == "p3"
    assert crossings[0].escalate is False  # a warning tells; only a breach escalates
    assert crossings[0].customer_id == case.customer_id
    assert case.sla(MON + timedelta(minutes=46)).state == "warning"
    assert case.check(MON + timedelta(minutes=50)) == []  # noticed once only
    crossings = case.check(MON + HOUR)
    assert [(c.kind, c.target) for c in crossings] == [("breach", "response")]
    assert crossings[0].escalate is True
    row = case.row()
    assert row is not None
    assert row.response_breached_at == MON + HOUR
    assert row.response_warned_at == MON + timedelta(minutes=45)
    # the resolution clock's warning (75 % of 8 h) comes at 15:00
    assert row.next_check_at == MON + 6 * HOUR
    sla = case.sla(MON + 2 * HOUR)
    assert sla.state == "breached"
    assert sla.response.breached
    assert sla.response.remaining_seconds == -3600
    case.apply(
        case.view(
            "resolve",
            MON + 3 * HOUR,
            {"state": ["new", "resolved"], "acknowledged_at": [None, "x"]},
            state="resolved",
        )
    )
    row = case.row()
    assert row is not None
    assert row.made_sla is False
    assert row.next_check_at is None
    assert case.check(MON + 20 * HOUR) == []


def test_a_late_resolve_is_a_breach_even_before_any_check(case: Case) -> None:
    case.apply(
        created(case, MON),
        case.view(
            "resolve",
            MON + 9 * HOUR + timedelta(days=1),
            {"state": ["new", "resolved"], "acknowledged_at": [None, "x"]},
            state="resolved",
        ),
    )
    row = case.row()
    assert row is not None
    assert row.made_sla is False
    assert row.resolution_breached_at == MON + 8 * HOUR


def test_a_priority_change_takes_the_new_policy_and_keeps_the_time_used(case: Case) -> None:
    case.apply(created(case, MON))
    case.apply(case.view("updated", MON + HOUR, {"priority": [3, 1]}, priority=1))
    row = case.row()
    assert row is not None
    assert row.resolution_target_seconds == 7200
    assert row.resolution_consumed_seconds == 3600
    assert row.resolution_due_at == MON + 2 * HOUR
    # the response target (15 min) was already used up: breached at the next check
    crossings = case.check(MON + HOUR)
    assert ("breach", "response") in [(c.kind, c.target) for c in crossings]
    assert case.sla(MON + HOUR).policy == "p1"


def test_reopen_counts_on_from_what_resolution_had_used(case: Case) -> None:
    case.apply(
        created(case, MON),
        case.view("acknowledge", MON + HOUR / 4, {"acknowledged_at": [None, "x"]}),
        case.view("resolve", MON + 2 * HOUR, {"state": ["new", "resolved"]}, state="resolved"),
        case.view("reopen", MON + 4 * HOUR, {"state": ["resolved", "assigned"]}, state="assigned"),
    )
    row = case.row()
    assert row is not None
    assert row.made_sla is None
    assert row.resolution_met_at is None
    assert row.resolution_consumed_seconds == 7200
    # 6 h left from 13:00: four on Monday, two on Tuesday
    assert row.resolution_due_at == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    assert case.sla(MON + 5 * HOUR).state == "ok"


def test_close_and_cancel_stop_the_clocks(case: Case) -> None:
    case.apply(
        created(case, MON),
        case.view("cancel", MON + HOUR, {"state": ["new", "cancelled"]}, state="cancelled"),
    )
    row = case.row()
    assert row is not None
    assert row.stopped_at == MON + HOUR
    assert row.next_check_at is None
    assert row.resolution_running_since is None
    assert row.made_sla is None
    assert case.check(MON + 30 * HOUR) == []


def test_replayed_events_change_nothing(case: Case) -> None:
    events = [
        created(case, MON),
        case.view(
            "hold",
            MON + HOUR,
            {"state": ["new", "on_hold"]},
            state="on_hold",
            hold_reason="awaiting_vendor",
        ),
        case.view("resume", MON + HOUR, {"state": ["on_hold", "assigned"]}, state="assigned"),
        case.view(
            "hold",
            MON + 2 * HOUR,
            {"state": ["assigned", "on_hold"]},
            state="on_hold",
            hold_reason="awaiting_vendor",
        ),
    ]
    case.apply(*events)
    first = _columns(case.row())
    case.apply(*events)  # redelivered in order
    case.apply(events[2], events[0])  # and out of order
    assert _columns(case.row()) == first
    assert first["paused_since"] == MON + 2 * HOUR
    assert first["resolution_consumed_seconds"] == 7200


def test_no_policy_no_clocks_and_the_incident_says_so(case: Case) -> None:
    case.apply(created(case, MON, priority=5))
    assert case.row() is None
    incident = case.app.incidents.get(case.org.admin, str(case.incident_id))
    assert incident.sla is None
    # a later priority that has a policy starts the clocks then
    case.apply(case.view("updated", MON + HOUR, {"priority": [5, 3]}, priority=3))
    row = case.row()
    assert row is not None
    assert row.resolution_running_since == MON + HOUR


def test_incident_reads_carry_the_sla(case: Case, clock: FrozenClock) -> None:
    case.apply(created(case, MON))
    clock.set(MON + timedelta(minutes=50))
    incident = case.app.incidents.get(case.org.admin, str(case.incident_id))
    assert incident.sla is not None
    assert incident.sla.policy == "p3"
    assert incident.sla.state == "warning"
    assert incident.sla.response.due_at == MON + HOUR
    page = case.app.incidents.list(case.org.admin, IncidentFilter())
    assert [i.sla.policy if i.sla else None for i in page.items] == ["p3"]


def _columns(row: IncidentSla | None) -> dict[str, Any]:
    assert row is not None
    names = [c.name for c in IncidentSla.__table__.columns if c.name != "applied_keys"]
    return {name: getattr(row, name) for name in names}


def test_the_check_reads_only_due_rows(case: Case) -> None:
    case.apply(created(case, MON))
    with case.app.db.read() as s:
        due = s.scalars(
            select(IncidentSla.incident_id).where(
                IncidentSla.next_check_at <= MON + timedelta(minutes=10)
            )
        ).all()
    assert due == []
