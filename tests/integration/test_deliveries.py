"""The delivery queue against real channels and a real HTTP receiver on 127.0.0.1: rules
and delays, quiet hours, pages skipped once acknowledged, retries with backoff, a gone
target disabled and its administrators told, idempotent enqueueing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tests.delivery_sink import Sink, running_sink
from tests.integration.conftest import Org
from tocsin.audit.models import AuditEntry
from tocsin.auth.models import User
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import Tocsin
from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn
from tocsin.notifications.models import ContactMethod, Delivery
from tocsin.notifications.schemas import ContactMethodIn, RuleIn, SettingsIn
from tocsin.notifications.signing import sign
from tocsin.settings import Settings

SECRET = "whsec_c2lnbmluZy1rZXktZm9yLXRlc3Rz"
PAGE = {"topic": "incident.created", "subject": "INC0000001 Disk full", "body": "db-1"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # the receiver listens on 127.0.0.1, which outbound requests refuse unless allowed
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


def method(org: Org, email: str, kind: str, address: str, secret: str | None = None) -> int:
    data = ContactMethodIn(type=kind, address=address, secret=secret)  # type: ignore[arg-type]
    return org.app.contacts.create_method(org.admin, email, data).id


def user_id(app: Tocsin, email: str) -> int:
    with app.db.read() as s:
        found = s.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def page(
    app: Tocsin,
    email: str,
    *,
    at: datetime,
    incident_id: int | None = None,
    priority: int = 1,
    prefix: str = "inc1:open",
) -> list[str]:
    with app.db.unit_of_work() as uow:
        return app.deliveries.page_user(
            uow,
            user_id=user_id(app, email),
            message=PAGE,
            incident_id=incident_id,
            priority=priority,
            dedupe_prefix=prefix,
            at=at,
            links_for=lambda d: {"acknowledge": f"https://tocsin.example/a/{d}"},
        )


def rows(app: Tocsin, ids: list[str]) -> list[Delivery]:
    with app.db.read() as s:
        by_id = {r.id: r for r in s.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
        return [by_id[i] for i in ids]


def test_rules_page_each_contact_method_after_its_delay(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    now_m = method(org, "agent@example.com", "webhook", sink.url("/now"), secret=SECRET)
    later_m = method(org, "agent@example.com", "webhook", sink.url("/later"))
    app.contacts.create_rule(
        org.admin, "agent@example.com", RuleIn(contact_method=now_m, delay_minutes=0)
    )
    app.contacts.create_rule(
        org.admin, "agent@example.com", RuleIn(contact_method=later_m, delay_minutes=5)
    )
    incident = org.open(team="ops")
    ids = page(app, "agent@example.com", at=clock.now(), incident_id=incident.id)
    assert len(ids) == 2
    assert all(i.startswith("dlv_") and len(i) == 30 for i in ids)
    first, second = rows(app, ids)
    assert (first.available_at, first.unless_acknowledged) == (clock.now(), False)
    assert (second.available_at, second.unless_acknowledged) == (
        clock.now() + timedelta(minutes=5),
        True,
    )
    assert first.message["links"]["acknowledge"].endswith(first.id)

    assert app.deliveries.send_due() == 1
    (signed,) = sink.at("/now")
    assert signed.headers["webhook-id"] == ids[0]
    # the secret is read from the contact method when sending, never copied into the queue
    stamp = int(signed.headers["webhook-timestamp"])
    assert signed.headers["webhook-signature"] == sign(SECRET, ids[0], stamp, signed.body)
    assert SECRET not in str(first.message)
    assert sink.at("/later") == []
    clock.advance(minutes=4)
    assert app.deliveries.send_due() == 0
    clock.advance(minutes=1)
    assert app.deliveries.send_due() == 1
    (unsigned,) = sink.at("/later")
    assert unsigned.headers["webhook-id"] == ids[1]
    assert "webhook-signature" not in unsigned.headers
    assert [r.status for r in rows(app, ids)] == ["delivered", "delivered"]


def test_without_rules_every_enabled_method_at_once_else_the_account_email(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    on = method(org, "agent@example.com", "webhook", sink.url("/a"))
    off = method(org, "agent@example.com", "webhook", sink.url("/b"))
    with app.db.unit_of_work() as uow:
        row = uow.session.get(ContactMethod, off)
        assert row is not None
        row.disabled_at, row.disabled_reason = clock.now(), "gone"
    sent = rows(app, page(app, "agent@example.com", at=clock.now()))
    assert [(r.contact_method_id, r.available_at) for r in sent] == [(on, clock.now())]
    # nobody goes unpaged: no contact method at all -> the account's e-mail address
    (fallback,) = rows(app, page(app, "agent2@example.com", at=clock.now()))
    assert (fallback.kind, fallback.address, fallback.contact_method_id) == (
        "email",
        "agent2@example.com",
        None,
    )


def test_paging_twice_with_one_prefix_enqueues_once(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    method(org, "agent@example.com", "webhook", sink.url("/a"))
    first = page(app, "agent@example.com", at=clock.now())
    again = page(app, "agent@example.com", at=clock.now())
    assert first == again
    with app.db.read() as s:
        assert len(s.scalars(select(Delivery)).all()) == 1
    assert page(app, "agent@example.com", at=clock.now(), prefix="inc1:escalated") != first


def test_quiet_hours_hold_back_low_priorities_until_morning(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    method(org, "agent@example.com", "webhook", sink.url("/a"))
    app.contacts.put_settings(
        org.admin,
        "agent@example.com",
        SettingsIn(time_zone="Europe/Berlin", quiet_start="22:00", quiet_end="07:00"),
    )
    night = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    clock.set(night)
    (low,) = rows(app, page(app, "agent@example.com", at=night, priority=4, prefix="p4"))
    (urgent,) = rows(app, page(app, "agent@example.com", at=night, priority=1, prefix="p1"))
    assert low.available_at == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert urgent.available_at == night
    assert app.deliveries.send_due() == 1
    clock.set(datetime(2026, 3, 3, 6, 0, tzinfo=UTC))
    assert app.deliveries.send_due() == 1
    assert [r.headers["webhook-id"] for r in sink.at("/a")] == [urgent.id, low.id]


def test_a_delayed_page_is_skipped_once_the_incident_is_acknowledged(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    later_m = method(org, "agent@example.com", "webhook", sink.url("/later"))
    app.contacts.create_rule(
        org.admin, "agent@example.com", RuleIn(contact_method=later_m, delay_minutes=5)
    )
    acked = org.open(team="ops", title="acknowledged")
    ignored = org.open(team="ops", title="ignored")
    (skip,) = page(app, "agent@example.com", at=clock.now(), incident_id=acked.id, prefix="a")
    (send,) = page(app, "agent@example.com", at=clock.now(), incident_id=ignored.id, prefix="b")
    app.actions.perform(org.agent, acked.number, Action.ACKNOWLEDGE, ActionIn())
    clock.advance(minutes=5)
    assert app.deliveries.send_due() == 1
    assert [r.headers["webhook-id"] for r in sink.at("/later")] == [send]
    skipped, delivered = rows(app, [skip, send])
    assert (skipped.status, delivered.status) == ("skipped", "delivered")


def test_cancel_for_incident_cancels_only_the_pages_sent_unless_acknowledged(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    now_m = method(org, "agent@example.com", "webhook", sink.url("/now"))
    later_m = method(org, "agent@example.com", "webhook", sink.url("/later"))
    for cm, delay in ((now_m, 0), (later_m, 5)):
        app.contacts.create_rule(
            org.admin, "agent@example.com", RuleIn(contact_method=cm, delay_minutes=delay)
        )
    incident = org.open(team="ops")
    ids = page(app, "agent@example.com", at=clock.now(), incident_id=incident.id)
    with app.db.unit_of_work() as uow:
        assert app.deliveries.cancel_for_incident(uow, incident.id) == 1
    assert [r.status for r in rows(app, ids)] == ["pending", "cancelled"]


def test_a_retry_backs_off_then_succeeds_with_the_same_id(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    method(org, "agent@example.com", "webhook", sink.url("/flaky"))
    sink.script("/flaky", 503, 500)
    (delivery_id,) = page(app, "agent@example.com", at=clock.now())
    assert app.deliveries.send_due() == 1
    (row,) = rows(app, [delivery_id])
    assert (row.status, row.attempts) == ("pending", 1)
    # the receiver's Retry-After (30 s) is a floor under the backoff
    assert row.available_at >= clock.now() + timedelta(seconds=30)
    assert app.deliveries.send_due() == 0  # not due yet
    clock.advance(hours=1)
    assert app.deliveries.send_due() == 1
    (row,) = rows(app, [delivery_id])
    assert (row.status, row.attempts) == ("pending", 2)
    clock.advance(hours=1)
    assert app.deliveries.send_due() == 1
    (row,) = rows(app, [delivery_id])
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 3, clock.now())
    assert {r.headers["webhook-id"] for r in sink.at("/flaky")} == {delivery_id}
    assert len(sink.at("/flaky")) == 3


def test_a_refused_message_fails_and_can_be_retried_by_hand(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    method(org, "agent@example.com", "webhook", sink.url("/strict"))
    sink.script("/strict", 400)
    (delivery_id,) = page(app, "agent@example.com", at=clock.now())
    app.deliveries.send_due()
    (row,) = rows(app, [delivery_id])
    assert row.status == "failed"
    assert row.last_error
    failed = app.deliveries.list(org.admin, status="failed")
    assert [d.id for d in failed.items] == [delivery_id]
    assert app.deliveries.retry(org.admin, delivery_id).status == "pending"
    assert app.deliveries.send_due() == 1
    assert rows(app, [delivery_id])[0].status == "delivered"
    assert [r.headers["webhook-id"] for r in sink.at("/strict")] == [delivery_id] * 2


def test_gone_disables_the_target_and_tells_the_administrators(
    org: Org, sink: Sink, clock: FrozenClock
) -> None:
    app = org.app
    make_user(app, org.admin, "boss@example.com", Role.ADMIN)
    make_user(app, org.admin, "admin@acme.test", Role.ADMIN, "acme")
    make_user(app, org.admin, "agent@acme.test", Role.AGENT, "acme")
    app.auth.create_customer(org.admin, CustomerIn(slug="globex", name="Globex"))
    make_user(app, org.admin, "admin@globex.test", Role.ADMIN, "globex")
    gone = method(org, "agent@acme.test", "webhook", sink.url("/gone"))
    other = method(org, "agent@acme.test", "webhook", sink.url("/other"))
    app.contacts.create_rule(
        org.admin, "agent@acme.test", RuleIn(contact_method=gone, delay_minutes=0)
    )
    app.contacts.create_rule(
        org.admin, "agent@acme.test", RuleIn(contact_method=gone, delay_minutes=10)
    )
    sink.script("/gone", 410)
    first, later = page(app, "agent@acme.test", at=clock.now())
    assert app.deliveries.send_due(limit=1) == 1
    assert len(sink.at("/gone")) == 1
    with app.db.read() as s:
        cm = s.get(ContactMethod, gone)
        assert cm is not None
        assert cm.disabled_at == clock.now()
        assert cm.disabled_reason
        assert s.get(ContactMethod, other).disabled_at is None  # type: ignore[union-attr]
        notices = s.scalars(select(Delivery).where(Delivery.topic == "admin.target_disabled")).all()
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "notification.target_disabled")
        ).all()
    assert sorted(n.address for n in notices) == ["admin@acme.test", "boss@example.com"]
    assert all("agent@acme.test" in n.message["subject"] for n in notices)
    assert [(a.object_type, a.object_id) for a in audit] == [("contact_method", str(gone))]
    assert [r.status for r in rows(app, [first, later])] == ["failed", "cancelled"]
    # the next page skips the disabled method
    (again,) = rows(app, page(app, "agent@acme.test", at=clock.now(), prefix="inc2"))
    assert again.contact_method_id == other
