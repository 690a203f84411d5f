"""The shape of a demo incident template: what goes wrong, how it is reported and fixed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tocsin.incidents.schemas import IncidentType

INCIDENT = IncidentType.INCIDENT
SECURITY = IncidentType.SECURITY_INCIDENT
REQUEST = IncidentType.SERVICE_REQUEST


class Source(StrEnum):
    MONITORING = "monitoring"  # opened by an alert (system actor)
    PORTAL = "portal"  # reported by the requester in the portal
    DESK = "desk"  # logged by the service desk from a call or an e-mail


M, P, D = Source.MONITORING, Source.PORTAL, Source.DESK


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    description: str
    category: str
    subcategory: str | None
    priorities: tuple[int, ...]
    sources: tuple[Source, ...]
    kind: IncidentType = INCIDENT
    fixes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    escalate_to: str | None = None  # the team it tends to be handed over to
    weight: float = 1.0
