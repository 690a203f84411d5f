"""The names of what a notification is about, as people subscribe to them (a channel's
`events`) and as webhook receivers see them (`type`): past tense, one per incident event.

Incident events are recorded under the action's name (`incident.acknowledge`); this is
the one place that says what each is called in a notification."""

from __future__ import annotations

# incident event kind (the part after "incident.") -> topic
TOPIC_OF_KIND: dict[str, str] = {
    "created": "incident.created",
    "paged": "incident.paged",
    "escalated": "incident.escalated",
    "acknowledge": "incident.acknowledged",
    "assign": "incident.assigned",
    "start": "incident.started",
    "hold": "incident.on_hold",
    "resume": "incident.resumed",
    "resolve": "incident.resolved",
    "close": "incident.closed",
    "reopen": "incident.reopened",
    "cancel": "incident.cancelled",
    "updated": "incident.updated",
    "comment": "incident.commented",
    "work_note": "incident.work_note",
    "sla_warning": "sla.warning",
    "sla_breached": "sla.breached",
}
TOPICS: frozenset[str] = frozenset(TOPIC_OF_KIND.values())


def topic_of(action: str) -> str:
    """The topic of an incident event recorded as `action` (e.g. incident.acknowledge)."""
    kind = action.removeprefix("incident.")
    return TOPIC_OF_KIND.get(kind, action)


def covers(event: str, topic: str) -> bool:
    """Whether a channel's `events` entry names `topic`: exactly, as its family
    ("incident.*", "sla.*"), or as everything ("*")."""
    return event in ("*", topic) or (event.endswith(".*") and topic.startswith(event[:-1]))


def subscribed(events: list[str], topic: str) -> bool:
    return any(covers(event, topic) for event in events)


def known_subscription(event: str) -> bool:
    """Whether a channel's `events` entry can ever match a topic."""
    return any(covers(event, topic) for topic in TOPICS)
