"""Opening incidents from machine input (alerts) on the hot path: one statement per table
on the driver cursor, in the caller's transaction, with the same numbers, timeline entries
and audit events as the API gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.auth.principal import Principal
from tocsin.core.events import DomainEvent
from tocsin.db import counters
from tocsin.db.raw import Columns, json_text
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.priority import derive_priority
from tocsin.incidents.service import format_number

# On the driver cursor (tocsin.db.raw): this is the hot path of alert ingestion.
_INCIDENT_COLUMNS: Columns = (
    ("number", "text"),
    ("customer_id", "bigint"),
    ("type", "text"),
    ("title", "text"),
    ("description", "text"),
    ("service_id", "bigint"),
    ("requester_id", "bigint"),
    ("team_id", "bigint"),
    ("impact", "int"),
    ("urgency", "int"),
    ("priority", "int"),
    ("priority_overridden", "bool"),
    ("tags", "json"),
    ("major", "bool"),
    ("state", "text"),
    ("reopen_count", "int"),
    ("reassignment_count", "int"),
    ("version", "int"),
    ("opened_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
TIMELINE_COLUMNS: Columns = (
    ("incident_id", "bigint"),
    ("at", "timestamptz"),
    ("actor_id", "bigint"),
    ("actor_label", "text"),
    ("kind", "text"),
    ("changes", "json"),
    ("message", "text"),
    ("internal", "bool"),
)


@dataclass(frozen=True, slots=True)
class NewIncident:
    title: str
    description: str
    type: str
    customer_id: int
    service_id: int | None
    team_id: int | None
    impact: int
    urgency: int
    tags: list[str]
    principal: Principal
    message: str
    requester_id: int | None = None
    service_label: str | None = None
    team_label: str | None = None
    customer_label: str | None = None
    requester_label: str | None = None


def open_incidents(
    uow: UnitOfWork,
    specs: Sequence[NewIncident],
    *,
    now: datetime,
    matrix: Mapping[str, int],
    timeline: list[tuple[Any, ...]] | None = None,
    events: list[DomainEvent] | None = None,
) -> list[tuple[int, str]]:
    """Insert incidents (state new, or assigned when they have a team) with one statement
    per table; answer (id, number) for each, in order. With a `timeline` list, their
    "created" entries are added to it for the caller to insert with its own; with an
    `events` list, their audit events are added to it for the caller to emit."""
    if not specs:
        return []
    raw = uow.raw
    first = counters.take(raw, "incident", len(specs))
    stamp, no = raw.at(now), raw.flag(False)
    rows = [
        (
            format_number(first + offset),
            spec.customer_id,
            spec.type,
            spec.title[:300],
            spec.description,
            spec.service_id,
            spec.requester_id,
            spec.team_id,
            spec.impact,
            spec.urgency,
            derive_priority(matrix, impact=spec.impact, urgency=spec.urgency),
            no,
            json_text(spec.tags),
            no,
            (State.ASSIGNED if spec.team_id is not None else State.NEW).value,
            0,
            0,
            1,
            stamp,
            stamp,
        )
        for offset, spec in enumerate(specs)
    ]
    # RETURNING's order is not promised: the ids are matched by number.
    by_number = {
        str(number): int(incident_id)
        for incident_id, number in raw.insert(
            "incidents", _INCIDENT_COLUMNS, rows, suffix=" RETURNING id, number"
        )
    }
    results: list[tuple[int, str]] = []
    entries: list[tuple[Any, ...]] = []
    for spec, row in zip(specs, rows, strict=True):
        number, title, priority, state = row[0], row[3], row[10], row[14]
        incident_id = by_number[number]
        results.append((incident_id, number))
        changes = {
            key: [None, value]
            for key, value in {
                "title": title,
                "type": spec.type,
                "customer": spec.customer_label,
                "service": spec.service_label,
                "team": spec.team_label,
                "requester": spec.requester_label,
                "impact": spec.impact,
                "urgency": spec.urgency,
                "priority": priority,
                "state": state,
            }.items()
            if value is not None
        }
        actor = spec.principal.actor
        entries.append(
            (
                incident_id,
                stamp,
                actor.user_id,
                actor.describe(),
                "created",
                json_text(changes),
                spec.message,
                raw.flag(False),
            )
        )
        event = uow.event(
            "incident.created",
            "incident",
            incident_id,
            actor=actor,
            customer_id=spec.customer_id,
            at=now,
            number=number,
            changes=changes,
            message=spec.message,
        )
        if events is None:
            uow.emit(event)
        else:
            events.append(event)
    if timeline is None:
        raw.insert("incident_timeline", TIMELINE_COLUMNS, entries)
    else:
        timeline += entries
    return results
