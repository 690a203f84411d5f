"""Domain events: what happened, emitted inside the transaction that made it happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.core.bounded import clip

# The audit log's actor column holds this many characters.
ACTOR_LIMIT = 254


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: a user, or a named system component (cli, engine, demo)."""

    kind: str  # "user" | "system" | "anonymous"
    label: str  # e-mail for users, component name for the system
    user_id: int | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind="system", label=name)

    def describe(self) -> str:
        """As the audit log stores it. An anonymous caller's label (what they typed as
        their e-mail) is whatever they sent, so it is clipped to fit; the others are
        Tocsin's own, and not clipped on every alert's way in."""
        if self.kind == "user":
            return self.label
        text = f"{self.kind}:{self.label}"
        return clip(text, ACTOR_LIMIT).text if self.kind == "anonymous" else text


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One change of state. `data` is JSON-ready and says what changed (before -> after)."""

    action: str  # e.g. "incident.created", "user.login_failed"
    object_type: str
    object_id: str | None
    actor: Actor
    at: datetime
    customer_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
