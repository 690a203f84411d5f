"""What a producer asks to send (a message before it has a delivery id), and stable ids."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tocsin.notifications.channels.base import Message

# Crockford's base32 in lower case: no i, l, o, u to misread in a log line.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PREFIX = "dlv_"
ID_LENGTH = len(ID_PREFIX) + 26

# Links that depend on the delivery (signed acknowledge / resolve links name it).
LinksFor = Callable[[str], dict[str, str]]


def new_delivery_id() -> str:
    """A delivery's stable id: "dlv_" and 26 random characters (130 bits)."""
    return ID_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(26))


@dataclass(frozen=True, slots=True)
class Notice:
    """A `Message` without its delivery id: each delivery of it gets its own."""

    topic: str
    subject: str
    body: str = ""
    incident: dict[str, Any] | None = None
    links: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Notice | Mapping[str, Any]) -> Notice:
        if isinstance(value, Notice):
            return value
        known = {"topic", "subject", "body", "incident", "links", "data"}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"a notice has no field {', '.join(sorted(unknown))}")
        return cls(**dict(value))

    def stored(self, links: Mapping[str, str]) -> dict[str, Any]:
        """As the delivery row keeps it (JSON)."""
        return {
            "topic": self.topic,
            "subject": self.subject,
            "body": self.body,
            "incident": self.incident,
            "links": {**self.links, **links},
            "data": self.data,
        }


def message_of(delivery_id: str, stored: Mapping[str, Any]) -> Message:
    """The message a delivery row sends, carrying its stable id on every attempt."""
    return Message(
        delivery_id=delivery_id,
        topic=str(stored.get("topic", "")),
        subject=str(stored.get("subject", "")),
        body=str(stored.get("body", "")),
        incident=stored.get("incident"),
        links=dict(stored.get("links") or {}),
        data=dict(stored.get("data") or {}),
    )
