"""The alerts of a batch leave the same rows as the same alerts sent one at a time: new
alerts, repeats (an empty summary keeps the alert's own), changes, grouping, a resolve, a
flap, maintenance; the incidents they open, their timelines, their audit entries."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.models import Alert
from tocsin.alerts.schemas import MaintenanceWindowIn
from tocsin.audit.models import AuditEntry
from tocsin.core.clock import FrozenClock
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.integrations.base import AlertAction, NormalizedAlert, Severity

from .conftest import Org
from .test_alert_pipeline import integration


def alert(key: str, summary: str = "", **fields: Any) -> NormalizedAlert:
    fields.setdefault("action", AlertAction.TRIGGER)
    return NormalizedAlert(dedup_key=key, summary=summary, **fields)


SCENARIO = [
    alert("cpu", "CPU high on web-1", severity=Severity.WARNING, source="web-1"),
    alert("cpu", ""),  # a repeat saying nothing new keeps the summary
    alert("disk", "disk 91%", labels={"cluster": "eu"}),
    alert("mem", "memory 95%", labels={"cluster": "eu"}),  # grouped with disk
    alert("cpu", "CPU very high on web-1", severity=Severity.CRITICAL),  # a change
    alert("disk", "disk 99%"),
    alert("cpu", action=AlertAction.RESOLVE),
    alert("cpu", "CPU high again"),  # flaps: the same alert, its incident reopened
    alert("cpu", ""),
    alert("net", "", details={"why": "no summary: the key stands in"}),
    alert("mem", action=AlertAction.ACKNOWLEDGE),
    alert("gone", action=AlertAction.RESOLVE),  # unknown
]


def config() -> dict[str, Any]:
    return {"group_by": ["label:cluster"], "group_window_minutes": 30, "flap_window_minutes": 10}


def rows(org: Org, ref: IntegrationRef) -> dict[str, Any]:
    """What the integration's alerts left, ids and numbers replaced by their order."""
    with org.app.db.read() as s:
        alerts = s.scalars(
            select(Alert).where(Alert.integration_id == ref.id).order_by(Alert.id)
        ).all()
        incident_ids = sorted({a.incident_id for a in alerts if a.incident_id is not None})
        rank = {incident_id: n for n, incident_id in enumerate(incident_ids)}
        numbers = {s.get(Incident, i).number: f"#{n}" for i, n in rank.items()}  # type: ignore[union-attr]
        alert_rank = {a.id: n for n, a in enumerate(alerts)}

        def plain(value: Any) -> Any:
            text = repr(value)
            for number, name in numbers.items():
                text = text.replace(number, name)
            return text.replace(ref.name, "<integration>")

        incidents = [s.get(Incident, i) for i in incident_ids]
        timeline = s.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id.in_(incident_ids))
            .order_by(TimelineEntry.incident_id, TimelineEntry.id)
        ).all()
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("alert.%")).order_by(AuditEntry.seq)
        ).all()
        return {
            "alerts": [
                (
                    a.dedup_key,
                    a.status,
                    a.summary,
                    a.severity,
                    a.source,
                    a.group_value,
                    a.labels,
                    a.details,
                    a.count,
                    a.flap_count,
                    rank.get(a.incident_id or 0),
                    a.first_seen_at,
                    a.last_seen_at,
                    a.resolved_at,
                )
                for a in alerts
            ],
            "incidents": [
                (
                    i.title,
                    i.type,
                    i.state,
                    i.impact,
                    i.urgency,
                    i.priority,
                    i.tags,
                    i.team_id,
                    i.service_id,
                    i.reopen_count,
                    i.opened_at,
                    i.acknowledged_at,
                    i.resolved_at,
                )
                for i in incidents
                if i is not None
            ],
            "timeline": Counter(
                (
                    rank[e.incident_id],
                    e.kind,
                    plain(e.changes),
                    plain(e.message),
                    plain(e.actor_label),
                )
                for e in timeline
            ),
            "audit": Counter(
                (
                    e.action,
                    alert_rank.get(int(e.object_id or 0)),
                    plain({**e.data, "incident_id": rank.get(e.data.get("incident_id") or 0)}),
                )
                for e in audit
                if e.data.get("integration") == ref.name
            ),
        }


def test_a_batch_leaves_the_rows_of_one_alert_at_a_time(org: Org) -> None:
    assert isinstance(org.app.clock, FrozenClock)
    one_by_one, batch = integration(org, **config()), integration(org, **config())
    singles = [org.app.alerts.ingest([Item(one_by_one, a)])[0] for a in SCENARIO]
    together = org.app.alerts.ingest([Item(batch, a) for a in SCENARIO])
    assert [(o.result, o.dedup_key) for o in together] == [(o.result, o.dedup_key) for o in singles]
    assert [o.result for o in singles] == [
        "created",
        "deduplicated",
        "created",
        "grouped",
        "deduplicated",
        "deduplicated",
        "resolved",
        "reopened",
        "deduplicated",
        "created",
        "acknowledged",
        "unknown",
    ]
    alone, batched = rows(org, one_by_one), rows(org, batch)
    assert batched == alone
    cpu = next(a for a in alone["alerts"] if a[0] == "cpu")
    assert cpu[2] == "CPU very high on web-1"  # the flap and the empty repeat kept it
    net = next(a for a in alone["alerts"] if a[0] == "net")
    assert net[2] == "net"


def test_maintenance_suppresses_alike(org: Org) -> None:
    now = org.app.clock.now()
    org.app.alerts.create_window(
        org.admin,
        MaintenanceWindowIn(
            service="web", start=now - timedelta(minutes=1), end=now + timedelta(hours=1)
        ),
    )
    org.app.alerts._windows = (-1e9, [])  # read the new window now
    one_by_one, batch = integration(org, **config()), integration(org, **config())
    sent = [alert("db", "db down"), alert("db", "db down"), alert("db", action=AlertAction.RESOLVE)]
    singles = [org.app.alerts.ingest([Item(one_by_one, a)])[0] for a in sent]
    together = org.app.alerts.ingest([Item(batch, a) for a in sent])
    assert [o.result for o in singles] == ["suppressed", "suppressed", "unknown"]
    assert [o.result for o in together] == [o.result for o in singles]
    assert rows(org, batch) == rows(org, one_by_one)
