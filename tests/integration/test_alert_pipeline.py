"""The alert pipeline on SQLite and PostgreSQL: dedup, grouping, auto-resolve, flapping,
maintenance, acknowledge — with a frozen clock."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import run_on_own_loop
from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.models import Alert
from tocsin.alerts.schemas import IntegrationConfig, IntegrationIn, MaintenanceWindowIn
from tocsin.audit import verify as audit
from tocsin.core.clock import FrozenClock
from tocsin.incidents.models import Incident
from tocsin.integrations.base import AlertAction, NormalizedAlert, Severity

from .conftest import Org


def integration(org: Org, **config: object) -> IntegrationRef:
    created = org.app.integrations.create(
        org.admin,
        IntegrationIn(
            type="generic",
            name=f"mon-{len(config)}-{id(config)}",
            service="web",
            config=IntegrationConfig(**config),
        ),
    )  # type: ignore[arg-type]
    ref = org.app.integrations.by_key(created.key)
    assert ref is not None
    return ref


def fire(
    org: Org,
    ref: IntegrationRef,
    key: str | None,
    action: AlertAction = AlertAction.TRIGGER,
    **fields: object,
) -> object:
    alert = NormalizedAlert(action=action, dedup_key=key, summary=f"alert {key}", **fields)  # type: ignore[arg-type]
    return org.app.alerts.ingest([Item(ref, alert)])[0]


def counts(org: Org) -> tuple[int, int]:
    with org.app.db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Alert)) or 0),
            int(s.scalar(select(func.count()).select_from(Incident)) or 0),
        )


def test_a_new_key_opens_an_incident_and_repeats_are_deduplicated(org: Org) -> None:
    ref = integration(org)
    first = fire(org, ref, "disk-full", severity=Severity.CRITICAL)
    assert first.result == "created"  # type: ignore[attr-defined]
    incident = org.app.incidents.get(org.admin, first.incident_number)  # type: ignore[attr-defined]
    assert (incident.priority, incident.customer, incident.team, incident.state) == (
        1,
        "acme",
        "ops",
        "assigned",
    )
    again = fire(org, ref, "disk-full")
    assert again.result == "deduplicated"  # type: ignore[attr-defined]
    assert again.incident_number == first.incident_number  # type: ignore[attr-defined]
    assert counts(org) == (1, 1)
    alerts = org.app.alerts.list(org.admin, dedup_key="disk-full").items
    assert alerts[0].count == 2
    assert audit.verify(org.app.db, key=org.app.audit_key).problem is None


def test_fifty_simultaneous_triggers_open_one_alert_and_one_incident(org: Org) -> None:
    ref = integration(org)
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda _: fire(org, ref, "same-key"), range(50)))
    results = sorted(o.result for o in outcomes)  # type: ignore[attr-defined]
    assert results.count("created") == 1
    assert results.count("deduplicated") == 49
    assert counts(org) == (1, 1)
    assert org.app.alerts.list(org.admin, dedup_key="same-key").items[0].count == 50


def test_a_trigger_without_key_gets_one(org: Org) -> None:
    ref = integration(org)
    out = fire(org, ref, None)
    assert out.dedup_key  # type: ignore[attr-defined]
    assert fire(org, ref, None).dedup_key != out.dedup_key  # type: ignore[attr-defined]


def test_grouping_within_the_window(org: Org, clock: FrozenClock) -> None:
    ref = integration(org, group_by=["label:cluster"], group_window_minutes=30)
    a = fire(org, ref, "a", labels={"cluster": "eu-1"})
    b = fire(org, ref, "b", labels={"cluster": "eu-1"})
    c = fire(org, ref, "c", labels={"cluster": "us-1"})
    assert (a.result, b.result, c.result) == ("created", "grouped", "created")  # type: ignore[attr-defined]
    assert b.incident_number == a.incident_number  # type: ignore[attr-defined]
    clock.advance(minutes=31)
    d = fire(org, ref, "d", labels={"cluster": "eu-1"})
    assert d.result == "created"  # type: ignore[attr-defined]
    kinds = [e.kind for e in org.app.incidents.timeline(org.admin, a.incident_number).items]  # type: ignore[attr-defined]
    assert kinds == ["created", "alert_grouped"]


def test_auto_resolve_when_every_alert_resolved(org: Org) -> None:
    ref = integration(org, group_by=["label:cluster"])
    a = fire(org, ref, "a", labels={"cluster": "x"})
    fire(org, ref, "b", labels={"cluster": "x"})
    fire(org, ref, "a", AlertAction.RESOLVE)
    number = a.incident_number  # type: ignore[attr-defined]
    assert org.app.incidents.get(org.admin, number).state == "assigned"
    fire(org, ref, "b", AlertAction.RESOLVE)
    incident = org.app.incidents.get(org.admin, number)
    assert incident.state == "resolved"
    assert incident.resolution_code == "auto_resolved"
    last = org.app.incidents.timeline(org.admin, number).items[-1]
    assert "resolved every alert" in last.message
    assert last.actor.startswith("system:integration:")
    # PagerDuty semantics: a trigger after resolve is a new alert ...
    assert fire(org, ref, "unrelated", AlertAction.RESOLVE).result == "unknown"  # type: ignore[attr-defined]


def test_no_auto_resolve_when_disabled(org: Org) -> None:
    ref = integration(org, auto_resolve=False)
    a = fire(org, ref, "a")
    fire(org, ref, "a", AlertAction.RESOLVE)
    assert org.app.incidents.get(org.admin, a.incident_number).state == "assigned"  # type: ignore[attr-defined]


def test_flapping_reopens_the_same_incident(org: Org, clock: FrozenClock) -> None:
    ref = integration(org, flap_window_minutes=15)
    a = fire(org, ref, "flappy")
    fire(org, ref, "flappy", AlertAction.RESOLVE)
    clock.advance(minutes=5)
    again = fire(org, ref, "flappy")
    assert again.result == "reopened"  # type: ignore[attr-defined]
    incident = org.app.incidents.get(org.admin, a.incident_number)  # type: ignore[attr-defined]
    assert (incident.state, incident.reopen_count) == ("in_progress", 1)
    assert "flapping" in org.app.incidents.timeline(org.admin, incident.number).items[-1].message
    fire(org, ref, "flappy", AlertAction.RESOLVE)
    clock.advance(minutes=16)
    # ... and outside the flap window, a trigger after resolve opens a new incident.
    later = fire(org, ref, "flappy")
    assert later.result == "created"  # type: ignore[attr-defined]
    assert later.incident_number != a.incident_number  # type: ignore[attr-defined]


def test_maintenance_suppresses(org: Org, clock: FrozenClock) -> None:
    ref = integration(org)
    org.app.alerts.create_window(
        org.admin,
        MaintenanceWindowIn(
            service="web",
            start=clock.now(),
            end=clock.now() + timedelta(hours=1),
            reason="kernel upgrade",
        ),
    )
    out = fire(org, ref, "during")
    assert out.result == "suppressed"  # type: ignore[attr-defined]
    assert out.incident_number is None  # type: ignore[attr-defined]
    assert counts(org) == (1, 0)
    clock.advance(hours=2)
    org.app.alerts._windows = (-1e9, [])  # the cache is time-based; the test clock is frozen
    assert fire(org, ref, "after").result == "created"  # type: ignore[attr-defined]


@pytest.mark.parametrize("recurrence", ["daily", "weekly"])
def test_recurring_maintenance(org: Org, clock: FrozenClock, recurrence: str) -> None:
    ref = integration(org)
    start = clock.now() - timedelta(days=14, minutes=10)
    org.app.alerts.create_window(
        org.admin,
        MaintenanceWindowIn(
            customer="acme", start=start, end=start + timedelta(hours=1), recurrence=recurrence
        ),
    )
    assert fire(org, ref, "x").result == "suppressed"  # type: ignore[attr-defined]


def test_acknowledge_from_the_sender(org: Org) -> None:
    ref = integration(org)
    a = fire(org, ref, "k")
    ack = fire(org, ref, "k", AlertAction.ACKNOWLEDGE)
    assert ack.result == "acknowledged"  # type: ignore[attr-defined]
    incident = org.app.incidents.get(org.admin, a.incident_number)  # type: ignore[attr-defined]
    assert incident.state == "in_progress"
    assert incident.acknowledged_at is not None


def test_security_alerts_open_security_incidents(org: Org) -> None:
    ref = integration(org)
    out = fire(
        org,
        ref,
        "ids-1",
        incident_type="security_incident",
        evidence={"src_ip": "10.0.0.5", "signature_id": 2100498},
    )
    incident = org.app.incidents.get(org.admin, out.incident_number)  # type: ignore[attr-defined]
    assert incident.type == "security_incident"
    alert = org.app.alerts.list(org.admin, dedup_key="ids-1").items[0]
    assert alert.details["evidence"]["signature_id"] == 2100498


def test_batch_writer_answers_each_request_after_commit(org: Org) -> None:
    ref = integration(org)
    futures = [
        org.app.alerts.submit(
            [
                Item(
                    ref,
                    NormalizedAlert(
                        action=AlertAction.TRIGGER, dedup_key=f"k{i % 10}", summary="x"
                    ),
                )
            ]
        )
        for i in range(40)
    ]
    outcomes = [f.result(timeout=30)[0] for f in futures]
    assert sum(o.result == "created" for o in outcomes) == 10
    assert counts(org) == (10, 10)
    org.app.alerts.stop()


def test_mail_reply_comments_and_known_sender_is_requester(org: Org) -> None:
    ref = integration(org)
    opened = fire(
        org,
        ref,
        "email:<1@mail>",
        reporter="alice@acme.test",
        description="The printer on floor 2 is on fire",
    )
    incident = org.app.incidents.get(org.admin, opened.incident_number)  # type: ignore[attr-defined]
    assert incident.requester == "alice@acme.test"
    reply = fire(
        org,
        ref,
        "email:<2@mail>",
        reporter="alice@acme.test",
        reply_to=incident.number,
        description="It is out now, thanks.",
    )
    assert reply.result == "commented"  # type: ignore[attr-defined]
    assert reply.incident_number == incident.number  # type: ignore[attr-defined]
    notes = org.app.incidents.notes(org.requester, incident.number).items
    assert [(n.author, n.body, n.internal) for n in notes] == [
        ("alice@acme.test", "It is out now, thanks.", False)
    ]
    stranger = fire(org, ref, "email:<3@mail>", reporter="mallory@evil.test", reply_to="INC9999999")
    assert stranger.result == "created"  # type: ignore[attr-defined]
    assert org.app.incidents.get(org.admin, stranger.incident_number).requester is None  # type: ignore[attr-defined]


def test_loop_batcher_commits_what_arrives_together_in_one_transaction(org: Org) -> None:
    ref = integration(org)

    def item(key: str) -> Item:
        return Item(ref, NormalizedAlert(action=AlertAction.TRIGGER, dedup_key=key, summary=key))

    async def senders() -> list[object]:
        return list(
            await asyncio.gather(
                *(org.app.alerts.loop_writer.store([item(f"loop-{i % 6}")]) for i in range(12))
            )
        )

    batches = org.app.alerts.batches
    answers = run_on_own_loop(senders)
    assert org.app.alerts.batches == batches + 1  # twelve requests, one transaction
    results = [a[0].result for a in answers]  # type: ignore[index]
    assert results.count("created") == 6
    assert results.count("deduplicated") == 6
    assert counts(org) == (6, 6)
    # each request gets its own answer: the same key, the same incident
    by_key: dict[str, set[object]] = {}
    for a in answers:
        by_key.setdefault(a[0].dedup_key, set()).add(a[0].incident_number)  # type: ignore[index]
    assert all(len(numbers) == 1 for numbers in by_key.values())


def test_loop_batcher_a_sender_hanging_up_does_not_stop_its_neighbours(org: Org) -> None:
    ref = integration(org)

    def item(key: str) -> Item:
        return Item(ref, NormalizedAlert(action=AlertAction.TRIGGER, dedup_key=key, summary=key))

    async def senders() -> list[object]:
        tasks = [
            asyncio.ensure_future(org.app.alerts.loop_writer.store([item(f"hang-{i}")]))
            for i in range(3)
        ]
        await asyncio.sleep(0)  # all three are queued for the same batch
        tasks[1].cancel()  # its sender hung up
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    first, hung_up, third = run_on_own_loop(senders)
    assert isinstance(hung_up, asyncio.CancelledError)
    assert first[0].result == third[0].result == "created"  # type: ignore[index]
    # the batch was written whole: the hung-up sender's retry finds its alert live
    assert counts(org) == (3, 3)


def test_loop_batcher_isolates_a_failing_request(org: Org) -> None:
    ref = integration(org)
    real = org.app.alerts.ingest

    def ingest(items: list[Item]) -> list[object]:
        if any(i.alert.dedup_key == "poison" for i in items):
            raise RuntimeError("this alert cannot be stored")
        return real(items)  # type: ignore[return-value]

    org.app.alerts.ingest = ingest  # type: ignore[method-assign,assignment]

    async def senders() -> list[object]:
        keys = ["good-1", "poison", "good-2"]
        return list(
            await asyncio.gather(
                *(
                    org.app.alerts.loop_writer.store(
                        [Item(ref, NormalizedAlert(action=AlertAction.TRIGGER, dedup_key=k))]
                    )
                    for k in keys
                ),
                return_exceptions=True,
            )
        )

    good_1, poison, good_2 = run_on_own_loop(senders)
    assert isinstance(poison, RuntimeError)
    assert good_1[0].result == good_2[0].result == "created"  # type: ignore[index]
    assert counts(org) == (2, 2)
