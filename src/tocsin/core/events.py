"""Domain events: what happened, emitted inside the transaction that made it happen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
        return self.label if self.kind == "user" else f"{self.kind}:{self.label}"


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
