"""Incidents through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.core.errors import (
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from tocsin.incidents.lifecycle import Action, ResolutionCode
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch

from .conftest import Org


def act(org: Org, ref: str, action: Action, who: str = "agent", **body: object) -> object:
    principal = getattr(org, who)
    return org.app.actions.perform(principal, ref, action, ActionIn(**body))  # type: ignore[arg-type]


def test_numbers_are_sequential_per_installation(org: Org) -> None:
    numbers = [org.open().number for _ in range(3)]
    assert numbers == ["INC0001001", "INC0001002", "INC0001003"]


def test_priority_from_matrix_and_override_with_reason(org: Org) -> None:
    inc = org.open(impact=2, urgency=2)
    assert inc.priority == 3
    assert not inc.priority_overridden
    with pytest.raises(ValidationFailed, match="needs a priority_reason"):
        org.app.incidents.patch(org.agent, inc.number, IncidentPatch(priority=1))
    inc = org.app.incidents.patch(
        org.agent, inc.number, IncidentPatch(priority=1, priority_reason="CEO affected")
    )
    assert inc.priority == 1
    assert inc.priority_overridden
    assert inc.priority_reason == "CEO affected"
    # An override stands while impact / urgency change ...
    inc = org.app.incidents.patch(org.agent, inc.number, IncidentPatch(urgency=3))
    assert inc.priority == 1
    # ... until someone returns to the matrix.
    inc = org.app.incidents.patch(
        org.agent, inc.number, IncidentPatch.model_validate({"priority": None})
    )
    assert inc.priority == 4
    assert not inc.priority_overridden
    timeline = org.app.incidents.timeline(org.admin, inc.number).items
    override = next(e for e in timeline if "priority_reason" in e.changes)
    assert override.changes["priority"] == [3, 1]
    assert override.changes["priority_reason"] == [None, "CEO affected"]
    assert override.actor == "agent@example.com"


def test_full_lifecycle_with_timestamps_and_counters(org: Org, clock: FrozenClock) -> None:
    inc = org.open(team="ops")
    assert inc.state == "assigned"
    clock.advance(minutes=5)
    inc = act(org, inc.number, Action.ACKNOWLEDGE)  # type: ignore[assignment]
    assert inc.state == "in_progress"
    assert inc.acknowledged_at == clock.now()
    assert inc.assignee == "agent@example.com"
    clock.advance(minutes=10)
    inc = act(org, inc.number, Action.HOLD, reason="awaiting_vendor")  # type: ignore[assignment]
    assert (inc.state, inc.hold_reason) == ("on_hold", "awaiting_vendor")
    inc = act(org, inc.number, Action.RESUME)  # type: ignore[assignment]
    assert (inc.state, inc.hold_reason) == ("in_progress", None)
    clock.advance(hours=2)
    inc = act(
        org,
        inc.number,
        Action.RESOLVE,
        resolution_code=ResolutionCode.SOLVED_WORKAROUND,
        resolution_notes="Failed over to the standby",
    )  # type: ignore[assignment]
    assert inc.state == "resolved"
    assert inc.resolved_at == clock.now()
    inc = act(org, inc.number, Action.REOPEN, reason="It broke again")  # type: ignore[assignment]
    assert (inc.state, inc.reopen_count, inc.resolved_at) == ("in_progress", 1, None)
    assert inc.resolution_code is None
    inc = act(
        org,
        inc.number,
        Action.RESOLVE,
        resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
        resolution_notes="Replaced the disk",
    )  # type: ignore[assignment]
    clock.advance(days=1)
    inc = act(org, inc.number, Action.CLOSE)  # type: ignore[assignment]
    assert inc.state == "closed"
    assert inc.closed_at == clock.now()
    assert inc.allowed_actions == []
    assert inc.acknowledged_at is not None
    kinds = [e.kind for e in org.app.incidents.timeline(org.admin, inc.number).items]
    assert kinds == [
        "created",
        "acknowledge",
        "hold",
        "resume",
        "resolve",
        "reopen",
        "resolve",
        "close",
    ]


def test_invalid_transition_names_the_allowed_ones(org: Org) -> None:
    inc = org.open()
    with pytest.raises(InvalidTransition) as info:
        act(org, inc.number, Action.CLOSE)
    assert info.value.status == 409
    assert "acknowledge, assign, start, resolve, cancel" in info.value.detail


def test_resolve_requires_code_and_notes(org: Org) -> None:
    inc = org.open()
    with pytest.raises(ValidationFailed, match="resolution_code and resolution_notes"):
        act(org, inc.number, Action.RESOLVE)
    with pytest.raises(ValidationFailed, match="hold needs a reason"):
        act(org, inc.number, Action.HOLD, reason="lunch")
    with pytest.raises(ValidationFailed, match="cancel needs a reason"):
        act(org, inc.number, Action.CANCEL)


def test_reassignments_are_counted(org: Org) -> None:
    inc = org.open()
    inc = act(org, inc.number, Action.ASSIGN, team="ops", assignee="agent@example.com")  # type: ignore[assignment]
    assert inc.reassignment_count == 0
    inc = act(org, inc.number, Action.ASSIGN, assignee="agent2@example.com")  # type: ignore[assignment]
    assert inc.reassignment_count == 1
    # Moving to a team the assignee is not in clears the assignee.
    inc = act(org, inc.number, Action.ASSIGN, team="net")  # type: ignore[assignment]
    assert (inc.team, inc.assignee, inc.reassignment_count) == ("net", "agent2@example.com", 2)
    with pytest.raises(ValidationFailed, match="not a member of team net"):
        act(org, inc.number, Action.ASSIGN, assignee="agent@example.com")
    with pytest.raises(ValidationFailed, match="cannot be assigned"):
        act(org, inc.number, Action.ASSIGN, team="ops", assignee="alice@acme.test")


def test_service_routes_to_its_team(org: Org) -> None:
    inc = org.open(service="web")
    assert (inc.customer, inc.team, inc.state) == ("acme", "ops", "assigned")
    # also when the reporter is a requester, who cannot see the provider's teams
    inc = org.app.incidents.create(org.requester, IncidentIn(title="Shop down", service="web"))
    assert (inc.customer, inc.team, inc.state) == ("acme", "ops", "assigned")


def test_stale_version_is_refused(org: Org) -> None:
    inc = org.open()
    org.app.incidents.patch(org.agent, inc.number, IncidentPatch(title="A"), if_match=1)
    with pytest.raises(StaleVersion, match="now at version 2"):
        org.app.incidents.patch(org.agent2, inc.number, IncidentPatch(title="B"), if_match=1)
    assert org.app.incidents.get(org.admin, inc.number).title == "A"


def test_requester_limits(org: Org) -> None:
    inc = org.app.incidents.create(org.requester, IncidentIn(title="Printer jam", urgency=2))
    assert inc.requester == "alice@acme.test"
    assert inc.customer == "acme"
    with pytest.raises(PermissionDenied, match="Requesters cannot set impact"):
        org.app.incidents.create(org.requester, IncidentIn(title="x", impact=1))
    with pytest.raises(PermissionDenied):
        act(org, inc.number, Action.ACKNOWLEDGE, who="requester")


def test_a_failed_operation_leaves_nothing_behind(org: Org) -> None:
    before = org.app.incidents.count()
    with pytest.raises(ValidationFailed):
        org.open(shared_with=["nobody@acme.test"])
    assert org.app.incidents.count() == before
    assert org.open().number == "INC0001001"  # the number was not consumed either


def test_auto_close_after_configured_days(org: Org, clock: FrozenClock) -> None:
    from tocsin.workers.engine import Engine

    inc = org.open()
    act(
        org,
        inc.number,
        Action.RESOLVE,
        resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
        resolution_notes="fixed",
    )
    engine = Engine(org.app, holder="one")
    clock.advance(days=6, hours=23)
    assert engine.tick()["auto_close"] == 0
    clock.advance(hours=2)
    assert engine.tick()["auto_close"] == 1
    closed = org.app.incidents.get(org.admin, inc.number)
    assert closed.state == "closed"
    last = org.app.incidents.timeline(org.admin, inc.number).items[-1]
    assert last.actor == "system:auto-close"
    assert "7 days after resolution" in last.message


def test_only_one_engine_holds_a_lease(org: Org, clock: FrozenClock) -> None:
    from tocsin.workers.engine import Engine

    first, second = Engine(org.app, holder="a"), Engine(org.app, holder="b")
    assert "auto_close" in first.tick()
    assert second.tick() == {}
    clock.advance(first.lease_ttl + timedelta(seconds=1))
    assert "auto_close" in second.tick()
    assert first.tick() == {}
