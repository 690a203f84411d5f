"""The outbox on SQLite and PostgreSQL: one message per incident event, written in the
transaction that caused it, none for alert repeats, none when the transaction fails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tocsin.alerts.items import Item
from tocsin.audit.models import AuditEntry
from tocsin.core.events import Actor
from tocsin.integrations.base import AlertAction, NormalizedAlert
from tocsin.notifications.models import OutboxMessage

from .conftest import Org
from .test_alert_pipeline import fire, integration


def messages(org: Org) -> list[OutboxMessage]:
    with org.app.db.read() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def event_of(org: Org, message: OutboxMessage) -> AuditEntry:
    """What a sender delivers: the message's audit entry."""
    with org.app.db.read() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.seq == message.audit_seq)).one()


def topics(org: Org) -> list[str]:
    return [m.topic for m in messages(org)]


def test_an_alert_that_opens_an_incident_writes_one_message(org: Org) -> None:
    ref = integration(org)
    first = fire(org, ref, "disk-full")
    [message] = messages(org)
    number = first.incident_number  # type: ignore[attr-defined]
    incident = org.app.incidents.get(org.admin, number)
    assert (message.topic, message.object_type, message.object_id) == (
        "incident.created",
        "incident",
        str(incident.id),
    )
    assert message.customer_id is not None
    event = event_of(org, message)
    assert (event.action, event.object_id, event.data["number"]) == (
        "incident.created",
        message.object_id,
        number,
    )
    assert event.actor.startswith("system:integration:")
    assert (message.attempts, message.delivered_at) == (0, None)
    assert message.available_at == message.created_at == org.app.clock.now()


def test_repeats_and_grouped_alerts_page_nobody_again(org: Org) -> None:
    ref = integration(org, group_by=["label:cluster"])
    fire(org, ref, "a", labels={"cluster": "x"})
    fire(org, ref, "a", labels={"cluster": "x"})  # a repeat
    fire(org, ref, "b", labels={"cluster": "x"})  # joins the incident
    assert topics(org) == ["incident.created"]


def test_a_batch_writes_a_message_per_incident_it_opens(org: Org) -> None:
    ref = integration(org)
    alerts = [
        NormalizedAlert(action=AlertAction.TRIGGER, dedup_key=key, summary="x")
        for key in [*(f"k{n}" for n in range(20)), "k1"]  # the last one a repeat
    ]
    org.app.alerts.ingest([Item(ref, a) for a in alerts])
    found = messages(org)
    assert [m.topic for m in found] == ["incident.created"] * 20
    assert len({m.object_id for m in found}) == 20


def test_every_incident_change_is_a_message(org: Org) -> None:
    ref = integration(org)
    number = fire(org, ref, "a").incident_number  # type: ignore[attr-defined]
    fire(org, ref, "a", AlertAction.ACKNOWLEDGE)
    fire(org, ref, "a", AlertAction.RESOLVE)
    assert topics(org) == ["incident.created", "incident.acknowledge", "incident.resolve"]
    resolved = messages(org)[-1]
    event = event_of(org, resolved)
    assert event.data["changes"]["state"] == ["in_progress", "resolved"]
    assert event.data["number"] == number


def test_incidents_opened_by_people_write_messages_too(org: Org) -> None:
    created = org.open(title="Mail is down")
    [message] = messages(org)
    assert message.topic == "incident.created"
    event = event_of(org, message)
    assert event.data["number"] == created.number
    assert event.actor == org.admin.actor.describe()


def test_other_events_write_no_message(org: Org) -> None:
    with org.app.db.unit_of_work() as uow:
        uow.record("user.login", "user", 1, actor=Actor.system("test"), customer_id=None)
    assert messages(org) == []


def commit_then_fail(org: Org) -> None:
    with org.app.db.unit_of_work() as uow:
        uow.record("incident.created", "incident", 1, actor=Actor.system("t"), customer_id=None)
        uow.commit()
        raise RuntimeError("after the commit nothing is undone")


def fail_before_commit(org: Org) -> None:
    with org.app.db.unit_of_work() as uow:
        uow.record("incident.updated", "incident", 1, actor=Actor.system("t"), customer_id=None)
        raise RuntimeError("rolled back: the audit entry and the message alike")


def test_no_message_survives_a_failed_transaction(org: Org) -> None:
    with pytest.raises(RuntimeError):
        commit_then_fail(org)
    assert topics(org) == ["incident.created"]
    with pytest.raises(RuntimeError):
        fail_before_commit(org)
    assert topics(org) == ["incident.created"]
