"""What the SLA clocks need to know of one incident event (the dispatcher builds it from
the outbox message and the incident as it stands)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class IncidentEventView:
    """`action` is "incident.<kind>" (created, acknowledge, hold, resolve, updated, ...);
    `changes` maps a field to [before, after]; the other fields are the incident after
    the event."""

    incident_id: int
    action: str
    at: datetime
    changes: dict[str, Any]
    customer_id: int
    service_id: int | None
    priority: int
    state: str
    hold_reason: str | None


@dataclass(frozen=True)
class Crossing:
    """A clock that passed its warning share or its due instant, noticed by `check`."""

    incident_id: int
    customer_id: int
    kind: Literal["warning", "breach"]
    target: Literal["response", "resolution"]
    due_at: datetime
    policy_slug: str
    escalate: bool
