"""Shared channels hear the topics and incidents they subscribe to; several senders on one
database never send a delivery twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.delivery_sink import Sink, running_sink
from tests.integration.conftest import Org
from tocsin.auth.models import Customer, User
from tocsin.bootstrap import build
from tocsin.catalog.models import Service, Team
from tocsin.core.clock import FrozenClock
from tocsin.notifications.models import Delivery
from tocsin.notifications.schemas import ChannelIn, ContactMethodIn
from tocsin.settings import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        engine_enabled=False,
        log_format="text",
        outbound_allow="127.0.0.1",
    )


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as receiver:
        yield receiver


def ids_of(org: Org) -> dict[str, int]:
    with org.app.db.read() as s:
        return {
            "acme": s.scalar(select(Customer.id).where(Customer.slug == "acme")) or 0,
            "ops": s.scalar(select(Team.id).where(Team.slug == "ops")) or 0,
            "net": s.scalar(select(Team.id).where(Team.slug == "net")) or 0,
            "web": s.scalar(select(Service.id).where(Service.slug == "web")) or 0,
        }


def test_channels_hear_their_topics_teams_and_services(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    add = app.notification_channels.create
    add(org.admin, ChannelIn(name="All", slug="all", type="webhook", address=sink.url("/all")))  # type: ignore[arg-type]
    add(
        org.admin,
        ChannelIn(
            name="Ops", slug="ops-chat", type="webhook", address=sink.url("/ops"), team="ops"
        ),  # type: ignore[arg-type]
    )
    add(
        org.admin,
        ChannelIn(
            name="Net", slug="net-chat", type="webhook", address=sink.url("/net"), team="net"
        ),  # type: ignore[arg-type]
    )
    add(
        org.admin,
        ChannelIn(
            name="Web",
            slug="web-hook",
            type="webhook",
            address=sink.url("/web"),  # type: ignore[arg-type]
            service="web",
            customer="acme",
            events=["incident.*"],
        ),
    )
    add(
        org.admin,
        ChannelIn(
            name="Resolved only",
            slug="resolved",
            type="webhook",
            address=sink.url("/res"),  # type: ignore[arg-type]
            customer="acme",
            events=["incident.resolved"],
        ),
    )
    ids = ids_of(org)
    with app.db.unit_of_work() as uow:
        sent = app.deliveries.notify_channels(
            uow,
            customer_id=ids["acme"],
            team_id=ids["ops"],
            service_id=ids["web"],
            topic="incident.created",
            message={"topic": "incident.created", "subject": "INC0000001 Disk full"},
            incident_id=None,
            dedupe_prefix="inc1:created",
            at=clock.now(),
        )
    assert app.deliveries.send_due() == 3
    heard = {r.path: r.headers["webhook-id"] for r in sink.received}
    assert sorted(heard) == ["/all", "/ops", "/web"]
    assert sorted(heard.values()) == sorted(sent)


def test_two_senders_never_send_one_delivery_twice(
    org: Org, sink: Sink, clock: FrozenClock, settings: Settings
) -> None:
    app = org.app
    app.contacts.create_method(
        org.admin,
        "agent@example.com",
        ContactMethodIn(type="webhook", address=sink.url("/hook")),  # type: ignore[arg-type]
    )
    with app.db.read() as s:
        agent_id = s.scalar(select(User.id).where(User.email == "agent@example.com"))
    assert agent_id is not None
    with app.db.unit_of_work() as uow:
        for n in range(300):
            app.deliveries.page_user(
                uow,
                user_id=agent_id,
                message={"topic": "incident.created", "subject": f"page {n}"},
                incident_id=None,
                priority=1,
                dedupe_prefix=f"page{n}",
                at=clock.now(),
            )
    other = build(settings, clock=clock)
    attempted = Counter[int]()
    start = threading.Barrier(2)

    def drain(service_index: int) -> None:
        service = (app, other)[service_index].deliveries
        start.wait()
        while True:
            done = service.send_due(limit=25)
            attempted[service_index] += done
            if not done:
                return

    try:
        threads = [threading.Thread(target=drain, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        other.dispose()
    # an attempt that failed on a busy machine (a refused connection) is retried later
    for _ in range(10):
        clock.advance(hours=2)
        if not app.deliveries.send_due():
            break
    received = Counter(r.headers["webhook-id"] for r in sink.at("/hook"))
    with app.db.read() as s:
        attempts = {row[0]: row[1] for row in s.execute(select(Delivery.id, Delivery.attempts))}
        statuses = set(s.scalars(select(Delivery.status)))
    assert set(received) == set(attempts)
    assert statuses == {"delivered"}
    # both senders sending one claimed delivery would show as more arrivals than attempts
    # (the second outcome finds it delivered already and is not counted)
    twice = [i for i, n in received.items() if n > attempts[i]]
    assert not twice, f"sent more often than attempted: {twice[:3]}"
    assert sum(attempted.values()) >= 300
