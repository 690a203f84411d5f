"""The live bus on SQLite and PostgreSQL: a committed change reaches the subscribers of
this process and of another one, each within its tenant, and stopping ends every stream."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.conftest import make_user, run_on_own_loop
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import build
from tocsin.incidents.schemas import IncidentIn
from tocsin.integrations.base import AlertAction
from tocsin.live.bus import Subscription
from tocsin.live.changes import Batch, Change
from tocsin.live.sources import OutboxTail, latest_outbox_id
from tocsin.notifications.models import OutboxMessage

from .conftest import Org
from .test_alert_pipeline import fire, integration

WITHIN = 2.0  # seconds: the promise for the console


async def next_batch(subscription: Subscription) -> Batch:
    batch = await asyncio.wait_for(subscription.next(), WITHIN)
    assert batch is not None
    return batch


def customer_id(org: Org, slug: str) -> int:
    return next(c.id for c in org.app.auth.list_customers(org.admin).items if c.slug == slug)


def test_a_committed_incident_change_reaches_a_subscriber(org: Org) -> None:
    async def main() -> tuple[str, Batch]:
        subscription = org.app.live.subscribe(org.admin)
        created = await asyncio.to_thread(org.open, customer="acme")
        return created.number, await next_batch(subscription)

    number, batch = run_on_own_loop(main)
    assert batch == Batch(
        resync=False,
        changes=[Change("incident", number, "incident.created", customer_id(org, "acme"))],
    )


def test_a_tenant_s_staff_hear_of_their_tenant_only(org: Org) -> None:
    org.app.auth.create_customer(org.admin, CustomerIn(slug="globex", name="Globex"))
    acme_agent, _ = make_user(org.app, org.admin, "agent@acme.test", Role.AGENT, "acme")

    async def main() -> tuple[Batch, Batch]:
        tenant = org.app.live.subscribe(acme_agent)
        provider = org.app.live.subscribe(org.admin)
        await asyncio.to_thread(org.open, customer="globex", title="Globex only")
        first = await next_batch(provider)
        await asyncio.to_thread(org.open, customer="acme", title="Acme's")
        return await next_batch(tenant), first

    tenant_batch, provider_batch = run_on_own_loop(main)
    acme = customer_id(org, "acme")
    assert [c.customer_id for c in tenant_batch.changes] == [acme]
    assert [c.customer_id for c in provider_batch.changes] != [acme]


def test_new_repeated_and_resolved_alerts_are_changes_of_the_alerts(org: Org) -> None:
    ref = integration(org)
    acme = customer_id(org, "acme")

    async def main() -> list[Batch]:
        subscription = org.app.live.subscribe(org.admin)
        batches = []
        for action in (AlertAction.TRIGGER, AlertAction.TRIGGER, AlertAction.RESOLVE):
            org.app.clock.advance(seconds=5)  # type: ignore[attr-defined]
            await asyncio.to_thread(fire, org, ref, "disk-full", action)
            batch = await next_batch(subscription)
            while not any(c.kind == "alerts" for c in batch.changes):
                batch = await next_batch(subscription)
            batches.append(batch)
        return batches

    opened, repeated, resolved = run_on_own_loop(main)
    alerts = Change("alerts", None, "alert.changed", acme)
    assert alerts in opened.changes
    assert [c.topic for c in opened.changes if c.kind == "incident"] == ["incident.created"]
    assert repeated.changes == [alerts]  # a repeat records no event, but it shows
    assert alerts in resolved.changes


def test_a_change_another_process_commits_arrives(org: Org) -> None:
    """On PostgreSQL through NOTIFY (polling is set far too slow to be what delivers it);
    on SQLite by polling."""
    postgres = org.app.db.dialect == "postgresql"
    org.app.live.poll_seconds = 60 if postgres else 0.1
    other = build(org.app.settings, clock=org.app.clock)
    try:

        async def main() -> tuple[str, Batch]:
            subscription = org.app.live.subscribe(org.admin)
            listener = org.app.live.listener
            if postgres:
                assert listener is not None
                assert await asyncio.to_thread(listener.listening.wait, 10)
            created = await asyncio.to_thread(
                other.incidents.create,
                org.admin,
                IncidentIn(title="From another process", customer="acme"),
            )
            return created.number, await next_batch(subscription)

        number, batch = run_on_own_loop(main)
    finally:
        other.dispose()
    assert [(c.ref, c.topic) for c in batch.changes] == [(number, "incident.created")]


def test_stopping_the_bus_ends_every_stream(org: Org) -> None:
    async def main() -> list[Batch | None]:
        subscriptions = [org.app.live.subscribe(org.admin) for _ in range(3)]
        await asyncio.to_thread(org.app.live.stop)
        return [await asyncio.wait_for(s.next(), WITHIN) for s in subscriptions]

    assert run_on_own_loop(main) == [None, None, None]
    assert not org.app.live.running


def test_a_slow_subscriber_is_told_to_resync_and_holds_nobody_up(org: Org) -> None:
    org.app.live.mailbox_limit = 2

    async def main() -> tuple[Batch, Batch]:
        slow = org.app.live.subscribe(org.admin)
        quick = org.app.live.subscribe(org.admin)
        seen: list[Change] = []
        for n in range(4):
            org.app.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
            await asyncio.to_thread(org.open, customer="acme", title=f"Burst {n}")
            seen.extend((await next_batch(quick)).changes)
        return await next_batch(slow), Batch(resync=False, changes=seen)

    slow_batch, quick_batch = run_on_own_loop(main)
    assert slow_batch.resync
    assert len(quick_batch.changes) == 4


def _outbox_row(org: Org, row_id: int, incident_id: int) -> None:
    now = org.app.clock.now()
    with org.app.db.unit_of_work() as uow:
        uow.session.add(
            OutboxMessage(
                id=row_id,
                created_at=now,
                topic="incident.commented",
                object_type="incident",
                object_id=str(incident_id),
                customer_id=None,
                audit_seq=0,
                attempts=0,
                available_at=now,
                delivered_at=now,
            )
        )


def test_a_lower_outbox_id_committed_late_is_still_read(org: Org) -> None:
    """PostgreSQL hands out ids before commit: id 101 may commit after 102 was read."""
    incident = org.open(customer="acme")
    with org.app.db.read() as session:
        tail = OutboxTail(latest_outbox_id(session))
    start = tail.last
    _outbox_row(org, start + 2, incident.id)
    with org.app.db.read() as session:
        first, _ = tail.read(session)
    _outbox_row(org, start + 1, incident.id)  # the slower transaction commits
    with org.app.db.read() as session:
        late, _ = tail.read(session)
    with org.app.db.read() as session:
        again, _ = tail.read(session)
    assert [c.ref for c in first] == [incident.number]
    assert [(c.ref, c.topic) for c in late] == [(incident.number, "incident.commented")]
    assert again == []  # read once only
