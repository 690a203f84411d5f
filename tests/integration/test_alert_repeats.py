"""A repeat of a live alert that says something new (summary, severity) changes the alert
and is recorded on its history and its incident's timeline, the same whether it arrives
in a batch with others or on its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.models import Alert
from tocsin.audit.models import AuditEntry
from tocsin.audit.verify import verify
from tocsin.integrations.base import AlertAction, NormalizedAlert, Severity

from .conftest import Org
from .test_alert_pipeline import integration


def trigger(key: str, summary: str, severity: Severity) -> NormalizedAlert:
    return NormalizedAlert(
        action=AlertAction.TRIGGER, dedup_key=key, summary=summary, severity=severity
    )


def ingest_batch(org: Org, ref: IntegrationRef, *alerts: NormalizedAlert) -> None:
    org.app.alerts.ingest([Item(ref, alert) for alert in alerts])


def ingest_one_by_one(org: Org, ref: IntegrationRef, *alerts: NormalizedAlert) -> None:
    """Each alert in a transaction of its own."""
    for alert in alerts:
        org.app.alerts.ingest([Item(ref, alert)])


PATHS = [
    pytest.param(ingest_batch, id="batch"),
    pytest.param(ingest_one_by_one, id="one-by-one"),
]


def stored(org: Org, key: str) -> Alert:
    with org.app.db.read() as session:
        alert = session.scalar(select(Alert).where(Alert.dedup_key == key))
        assert alert is not None
        session.expunge(alert)
        return alert


def history(org: Org, alert_id: int) -> list[dict[str, Any]]:
    with org.app.db.read() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "alert", AuditEntry.object_id == str(alert_id))
            .order_by(AuditEntry.seq)
        ).all()
        return [{"action": r.action, **r.data} for r in rows]


def timeline_kinds(org: Org, number: str) -> list[tuple[str, str]]:
    entries = org.app.incidents.timeline(org.admin, number).items
    return [(e.kind, e.message) for e in entries]


@pytest.mark.parametrize("send", PATHS)
def test_a_repeat_that_escalates_is_recorded(org: Org, send: Any) -> None:
    ref = integration(org)
    ingest_batch(org, ref, trigger("disk", "disk 91% full", Severity.WARNING))
    send(org, ref, trigger("disk", "disk 99% full", Severity.CRITICAL))
    alert = stored(org, "disk")
    assert (alert.summary, alert.severity, alert.count) == ("disk 99% full", "critical", 2)
    updates = [h for h in history(org, alert.id) if h["action"] == "alert.updated"]
    assert [u["changes"] for u in updates] == [
        {"summary": ["disk 91% full", "disk 99% full"], "severity": ["warning", "critical"]}
    ]
    assert updates[0]["incident_id"] == alert.incident_id
    with org.app.db.read() as session:
        from tocsin.incidents.models import Incident

        number = session.get(Incident, alert.incident_id).number  # type: ignore[union-attr]
    assert (
        "alert_updated",
        "Alert disk changed: severity warning → critical; summary now: disk 99% full",
    ) in timeline_kinds(org, number)
    assert verify(org.app.db, key=org.app.audit_key).problem is None


@pytest.mark.parametrize("send", PATHS)
def test_a_plain_repeat_records_nothing(org: Org, send: Any) -> None:
    ref = integration(org)
    ingest_batch(org, ref, trigger("cpu", "cpu hot", Severity.ERROR))
    send(org, ref, trigger("cpu", "cpu hot", Severity.ERROR))
    alert = stored(org, "cpu")
    assert alert.count == 2
    assert [h["action"] for h in history(org, alert.id)] == ["alert.triggered"]


@pytest.mark.parametrize("send", PATHS)
def test_a_repeat_without_summary_keeps_the_summary(org: Org, send: Any) -> None:
    ref = integration(org)
    ingest_batch(org, ref, trigger("mem", "memory low", Severity.ERROR))
    send(org, ref, trigger("mem", "", Severity.ERROR))
    alert = stored(org, "mem")
    assert (alert.summary, alert.count) == ("memory low", 2)
    assert [h["action"] for h in history(org, alert.id)] == ["alert.triggered"]


def test_repeats_in_the_same_batch_as_the_first_copy_are_recorded(org: Org) -> None:
    ref = integration(org)
    ingest_batch(
        org,
        ref,
        trigger("net", "link flapping", Severity.WARNING),
        trigger("net", "link flapping", Severity.WARNING),
        trigger("net", "link down", Severity.CRITICAL),
    )
    alert = stored(org, "net")
    assert (alert.summary, alert.severity, alert.count) == ("link down", "critical", 3)
    updates = [h["changes"] for h in history(org, alert.id) if h["action"] == "alert.updated"]
    assert updates == [
        {"summary": ["link flapping", "link down"], "severity": ["warning", "critical"]}
    ]
