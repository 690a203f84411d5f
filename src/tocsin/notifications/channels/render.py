"""What every channel says the same way: the headline, the facts, the action links."""

from __future__ import annotations

from typing import Any

from tocsin.notifications.channels.base import Message

# Link names in the order they are offered, with the words on their buttons.
LINK_LABELS = (("view", "View incident"), ("acknowledge", "Acknowledge"), ("resolve", "Resolve"))


def incident_number(message: Message) -> str:
    """The incident's number as people write it (INC0001234), or "" without an incident."""
    number = (message.incident or {}).get("number")
    if number is None or number == "":
        return ""
    if isinstance(number, int):
        return f"INC{number:07d}"
    return str(number)


def priority(message: Message) -> int | None:
    value = (message.incident or {}).get("priority")
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    return None


def headline(message: Message) -> str:
    """`[INC0001234] P1 Database down`: the number and priority before the subject,
    each left out when missing or already in the subject."""
    parts: list[str] = []
    number = incident_number(message)
    if number and number not in message.subject:
        parts.append(f"[{number}]")
    level = priority(message)
    if level is not None and f"P{level}" not in message.subject.split():
        parts.append(f"P{level}")
    parts.append(message.subject)
    return " ".join(p for p in parts if p)


def facts(message: Message) -> list[tuple[str, str]]:
    """The incident's facts worth a line each, in a fixed order, empty ones left out."""
    incident: dict[str, Any] = message.incident or {}
    names = (
        ("state", "State"),
        ("service", "Service"),
        ("customer", "Customer"),
        ("team", "Team"),
        ("assignee", "Assignee"),
        ("opened_at", "Opened"),
    )
    found = [(label, str(incident[key])) for key, label in names if incident.get(key)]
    level = priority(message)
    if level is not None:
        found.insert(0, ("Priority", f"P{level}"))
    return [(label, value.replace("_", " ") if label == "State" else value)
            for label, value in found]  # fmt: skip


def actions(message: Message) -> list[tuple[str, str]]:
    """(button label, URL) for each link the message carries, view first."""
    return [(label, message.links[name]) for name, label in LINK_LABELS if message.links.get(name)]


def footer(message: Message) -> str:
    """The line that lets a person (or a filter) recognise a duplicate."""
    return f"Tocsin delivery {message.delivery_id}"
