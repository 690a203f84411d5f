"""Heartbeats through the services: the schedule stored beside the integration, pings, and
the engine opening one incident per missed ping and the next ping resolving it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from tocsin.alerts.schemas import (
    IntegrationConfig,
    IntegrationCreated,
    IntegrationIn,
    IntegrationPatch,
)
from tocsin.audit.models import AuditEntry
from tocsin.bootstrap import build
from tocsin.core.clock import FrozenClock
from tocsin.core.errors import NotFound, PermissionDenied, ValidationFailed
from tocsin.heartbeats.models import Heartbeat
from tocsin.incidents.models import Incident
from tocsin.settings import Settings
from tocsin.workers.engine import Engine, Module

from .conftest import Org


def heartbeat(org: Org, interval: int = 5, grace: int | None = None) -> IntegrationCreated:
    return org.app.integrations.create(
        org.admin,
        IntegrationIn(
            type="heartbeat",
            name="nightly-backup",
            service="web",
            config=IntegrationConfig(interval_minutes=interval, grace_minutes=grace),
        ),
    )


def clock_of(org: Org) -> FrozenClock:
    clock = org.app.clock
    assert isinstance(clock, FrozenClock)
    return clock


def incidents(org: Org) -> list[Incident]:
    with org.app.db.read() as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def state(org: Org, integration_id: int) -> str:
    with org.app.db.read() as s:
        beat = s.get(Heartbeat, integration_id)
        assert beat is not None
        return beat.state


def engine_module(org: Org) -> Engine:
    (module,) = [m for m in Engine(org.app).modules if m.name == "heartbeats"]
    return Engine(org.app, [module], holder="one", paging=[])


def test_a_heartbeat_is_created_with_its_schedule_and_ping_url(org: Org) -> None:
    created = heartbeat(org, interval=60)
    assert created.config.interval_minutes == 60
    assert created.config.grace_minutes == 6  # a tenth of the interval
    assert created.ping_url == f"http://127.0.0.1:8000/api/v1/heartbeats/{created.key}"
    assert created.heartbeat is not None
    assert created.heartbeat.state == "waiting"
    assert created.heartbeat.last_ping_at is None
    start = clock_of(org).now()
    assert created.heartbeat.next_due_at == start + timedelta(minutes=60)
    assert created.heartbeat.late_at == start + timedelta(minutes=66)
    shown = org.app.integrations.get(org.admin, str(created.id))
    assert shown.ping_url == "http://127.0.0.1:8000/api/v1/heartbeats/<key>"  # shown once
    with org.app.db.read() as s:
        beat = s.get(Heartbeat, created.id)
        assert beat is not None
        assert (beat.interval_seconds, beat.grace_seconds) == (3600, 360)


@pytest.mark.parametrize(("interval", "grace"), [(1, 1), (5, 1), (15, 2), (10080, 1008)])
def test_the_default_grace_is_a_tenth_rounded_up_and_at_least_a_minute(
    org: Org, interval: int, grace: int
) -> None:
    assert heartbeat(org, interval=interval).config.grace_minutes == grace


def test_the_schedule_is_validated(org: Org) -> None:
    with pytest.raises(ValidationFailed, match=r"needs config\.interval_minutes"):
        org.app.integrations.create(
            org.admin, IntegrationIn(type="heartbeat", name="hb", service="web")
        )
    for bad in (0, 7 * 24 * 60 + 1):
        with pytest.raises(ValidationError, match="interval_minutes"):
            IntegrationConfig(interval_minutes=bad)
    with pytest.raises(ValidationError, match="grace_minutes"):
        IntegrationConfig(interval_minutes=5, grace_minutes=0)
    with pytest.raises(ValidationFailed, match="heartbeat integrations only"):
        org.app.integrations.create(
            org.admin,
            IntegrationIn(type="generic", name="g", config=IntegrationConfig(interval_minutes=5)),
        )
    assert heartbeat(org, interval=5, grace=30).config.grace_minutes == 30


def test_a_missed_ping_opens_one_incident_and_the_next_ping_resolves_it(org: Org) -> None:
    created = heartbeat(org, interval=5)  # grace 1 minute
    engine = engine_module(org)
    clock = clock_of(org)
    clock.advance(minutes=6)  # exactly at the deadline: not yet late
    assert engine.tick() == {"heartbeats": 0}
    assert incidents(org) == []
    clock.advance(seconds=1)
    assert engine.tick() == {"heartbeats": 1}
    (incident,) = incidents(org)
    assert incident.title == "Heartbeat nightly-backup missed: never pinged"
    assert incident.priority == 1  # critical
    assert state(org, created.id) == "down"
    # Later ticks, and the module run outside the engine, open nothing more.
    clock.advance(minutes=30)
    assert engine.tick() == {"heartbeats": 0}
    assert org.app.heartbeats.check() == 0
    assert len(incidents(org)) == 1

    answer = org.app.heartbeats.ping(created.key)
    assert answer.next_due_at == clock.now() + timedelta(minutes=5)
    (incident,) = incidents(org)
    assert incident.state == "resolved"
    assert state(org, created.id) == "up"

    # Missed again soon after: the pipeline's flap rule reopens the same incident.
    clock.advance(minutes=7)
    assert engine.tick() == {"heartbeats": 1}
    (incident,) = incidents(org)
    assert incident.state != "resolved"
    assert incident.reopen_count == 1


def test_a_miss_long_after_the_last_one_opens_a_new_incident(org: Org) -> None:
    created = heartbeat(org, interval=60)  # grace 6 minutes
    clock = clock_of(org)
    clock.advance(minutes=67)
    assert org.app.heartbeats.check() == 1
    org.app.heartbeats.ping(created.key)
    last_ping = clock.now()
    clock.advance(minutes=67)  # past the flap window
    assert org.app.heartbeats.check() == 1
    first, second = incidents(org)
    assert first.state == "resolved"
    assert second.state == "assigned"  # to the service's team
    assert second.title == (
        "Heartbeat nightly-backup missed: no ping since "
        f"{last_ping.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    )
    assert second.service_id == first.service_id is not None


def test_pings_on_time_keep_it_up_and_open_nothing(org: Org) -> None:
    created = heartbeat(org, interval=5)
    clock = clock_of(org)
    for _ in range(5):
        clock.advance(minutes=5)
        org.app.heartbeats.ping(created.key)
        assert org.app.heartbeats.check() == 0
    assert incidents(org) == []
    shown = org.app.integrations.get(org.admin, str(created.id)).heartbeat
    assert shown is not None
    assert shown.state == "up"
    assert shown.last_ping_at == clock.now()
    with org.app.db.read() as s:
        ups = s.scalar(
            select(func.count()).where(AuditEntry.action == "heartbeat.up")  # type: ignore[arg-type]
        )
    assert ups == 1  # the change of state, not every ping


def test_keys_that_are_not_a_heartbeats_are_refused(org: Org) -> None:
    with pytest.raises(NotFound, match="no heartbeat with this key"):
        org.app.heartbeats.ping("0" * 32)
    with pytest.raises(NotFound):
        org.app.heartbeats.ping("x" * 10_000)
    generic = org.app.integrations.create(org.admin, IntegrationIn(type="generic", name="g"))
    with pytest.raises(ValidationFailed, match="belongs to a generic integration"):
        org.app.heartbeats.ping(generic.key)


def test_a_disabled_heartbeat_refuses_pings_and_is_not_checked(org: Org) -> None:
    created = heartbeat(org, interval=5)
    org.app.integrations.patch(org.admin, str(created.id), IntegrationPatch(enabled=False))
    with pytest.raises(PermissionDenied, match="is disabled"):
        org.app.heartbeats.ping(created.key)
    clock_of(org).advance(hours=1)
    assert org.app.heartbeats.check() == 0
    assert incidents(org) == []


def test_a_new_interval_applies_to_the_next_deadline(org: Org) -> None:
    created = heartbeat(org, interval=5)
    org.app.integrations.patch(
        org.admin,
        str(created.id),
        IntegrationPatch(config=IntegrationConfig(interval_minutes=60, grace_minutes=10)),
    )
    clock_of(org).advance(minutes=69)
    assert org.app.heartbeats.check() == 0
    clock_of(org).advance(minutes=2)
    assert org.app.heartbeats.check() == 1
    with pytest.raises(ValidationFailed, match=r"needs config\.interval_minutes"):
        org.app.integrations.patch(
            org.admin, str(created.id), IntegrationPatch(config=IntegrationConfig())
        )


def test_two_engines_open_one_incident(org: Org) -> None:
    heartbeat(org, interval=5)
    clock_of(org).advance(minutes=10)
    modules = [Module("heartbeats", org.app.heartbeats.check)]
    one = Engine(org.app, modules, holder="one", paging=[])
    two = Engine(org.app, modules, holder="two", paging=[])
    assert one.tick() == {"heartbeats": 1}
    assert two.tick() == {}  # the lease is one's
    assert len(incidents(org)) == 1


def test_two_processes_checking_at_once_open_one_incident(
    org: Org, settings: Settings, clock: FrozenClock
) -> None:
    """Without the engine's lease (another process's engine whose lease expired, say), the
    heartbeat's own state still lets one check act."""
    heartbeat(org, interval=5)
    clock.advance(minutes=10)
    other = build(settings, clock=clock)
    try:
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def check(app: object) -> None:
            barrier.wait()
            counts.append(app.heartbeats.check())  # type: ignore[attr-defined]

        threads = [threading.Thread(target=check, args=(a,)) for a in (org.app, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        other.dispose()
    assert sorted(counts) == [0, 1]
    assert len(incidents(org)) == 1
