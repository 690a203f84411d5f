"""What a page says: subject and text per event, from the incident and the event."""

from __future__ import annotations

from typing import Any

from tocsin.notifications.notice import Notice
from tocsin.notifications.topics import topic_of
from tocsin.paging.snapshot import IncidentSnapshot

# Event kinds (incident.<kind>) and how a message names them.
_HEADLINES = {
    "created": "New incident",
    "paged": "Paged",
    "escalated": "Escalated",
    "acknowledge": "Acknowledged",
    "assign": "Assigned",
    "start": "Work started",
    "hold": "On hold",
    "resume": "Resumed",
    "resolve": "Resolved",
    "close": "Closed",
    "reopen": "Reopened",
    "cancel": "Cancelled",
    "updated": "Updated",
    "comment": "New comment",
    "sla_warning": "SLA warning",
    "sla_breached": "SLA breached",
}


def incident_url(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}/incidents/{number}"


def draft(
    snapshot: IncidentSnapshot,
    *,
    kind: str,
    base_url: str,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> Notice:
    """The message about `snapshot` for an event of `kind` (incident.<kind>); `text` is
    the event's own sentence (its timeline message). The subject is the title alone (or
    "Escalated: <title>"): each channel puts the number and priority before it."""
    headline = _HEADLINES.get(kind, kind.replace("_", " ").capitalize())
    subject = snapshot.title if kind in ("created", "paged") else f"{headline}: {snapshot.title}"
    lines = [f"{headline}: {snapshot.number} (P{snapshot.priority}) {snapshot.title}"]
    if text:
        lines.append(text)
    where = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("customer", snapshot.customer),
            ("service", snapshot.service),
            ("team", snapshot.team),
            ("assignee", snapshot.assignee),
        )
        if value
    )
    lines.append(f"State {snapshot.state.replace('_', ' ')}; {where}.")
    topic = topic_of(kind)
    return Notice(
        topic=topic,
        subject=subject,
        body="\n".join(lines),
        incident=snapshot.as_message(incident_url(base_url, snapshot.number)),
        data={"event": topic, **(data or {})},
    )
