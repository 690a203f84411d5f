"""What the alert path writes, built in one place: a new alert's row, a repeat's update,
and the timeline entries an alert leaves on its incident."""

from __future__ import annotations

from typing import Any

from tocsin.alerts.items import Item
from tocsin.alerts.repeats import CHANGE_KIND, SUMMARY_LIMIT, change_message
from tocsin.auth.principal import Principal
from tocsin.db.raw import Columns, Raw, json_text
from tocsin.incidents.intake import timeline_row

SOURCE_MAX = 255

ALERT_COLUMNS: Columns = (
    ("integration_id", "bigint"),
    ("customer_id", "bigint"),
    ("dedup_key", "text"),
    ("summary", "text"),
    ("severity", "text"),
    ("source", "text"),
    ("group_value", "text"),
    ("labels", "json"),
    ("details", "json"),
    ("count", "int"),
    ("flap_count", "int"),
    ("first_seen_at", "timestamptz"),
    ("last_seen_at", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("incident_id", "bigint"),
    ("status", "text"),
    ("payload", "text"),
)
# A run's repeats of one alert, summed: count + n, and the last repeat's summary and
# severity (`repeated_summary`) and payload (the latest one is kept).
BUMP = (
    "UPDATE alerts SET count = count + ?, last_seen_at = ?, summary = ?, severity = ?,"
    " payload = ? WHERE id = ?"
)


def new_summary(item: Item, key: str) -> str:
    """A new alert's summary: what the sender said, or its key when it said nothing."""
    return item.alert.summary[:SUMMARY_LIMIT] or key


def alert_row(
    item: Item,
    *,
    key: str,
    group: str | None,
    stamp: Any,
    status: str,
    incident_id: int | None = None,
) -> tuple[Any, ...]:
    """A new alert's values in `ALERT_COLUMNS` order (`stamp` as `raw.at` gives it)."""
    alert, integration = item.alert, item.integration
    details = dict(alert.details)
    if alert.evidence:
        details["evidence"] = alert.evidence
    if alert.links:
        details["links"] = alert.links
    return (
        integration.id,
        integration.customer_id,
        key,
        new_summary(item, key),
        alert.severity.value,
        (alert.source or "")[:SOURCE_MAX] or None,
        group,
        json_text(alert.labels),
        json_text(details),
        1,
        0,
        stamp,
        stamp,
        None,
        incident_id,
        status,
        item.payload,
    )


def grouped_entry(
    raw: Raw, robot: Principal, incident_id: int, stamp: Any, key: str, summary: str
) -> tuple[Any, ...]:
    """An alert joined an open incident."""
    return timeline_row(
        raw,
        incident_id,
        stamp,
        robot,
        "alert_grouped",
        {"alerts": [None, key]},
        f"Alert joined: {summary}",
    )


def changed_entry(
    raw: Raw,
    robot: Principal,
    incident_id: int,
    stamp: Any,
    key: str,
    changes: dict[str, list[str]],
) -> tuple[Any, ...]:
    """A repeat changed its alert's summary or severity."""
    return timeline_row(
        raw, incident_id, stamp, robot, CHANGE_KIND, changes, change_message(key, changes)
    )
