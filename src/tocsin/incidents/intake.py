"""Opening incidents from machine input (alerts) on the hot path: one statement per table
on the driver cursor, in the caller's transaction, with the same numbers, timeline entries
and audit events as the API gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tocsin.auth.principal import Principal
from tocsin.db import counters
from tocsin.db.raw import Raw, json_text, placeholders
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.priority import derive_priority
from tocsin.incidents.service import format_number

# On the driver cursor (tocsin.db.raw): this is the hot path of alert ingestion.
_INCIDENT_COLUMNS = (
    "number, customer_id, type, title, description, service_id, requester_id, team_id, "
    "impact, urgency, priority, priority_overridden, tags, major, state, reopen_count, "
    "reassignment_count, version, opened_at, updated_at"
)
_INCIDENT_VALUES = "(" + placeholders(20) + ")"
_CHUNK = 1000  # rows per INSERT: 20,000 parameters
INSERT_TIMELINE = (
    "INSERT INTO incident_timeline (incident_id, at, actor_id, actor_label, kind, changes, "
    "message, internal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
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
    uow: UnitOfWork, specs: Sequence[NewIncident], *, now: datetime, matrix: Mapping[str, int]
) -> list[tuple[int, str]]:
    """Insert incidents (state new, or assigned when they have a team) with one statement
    per table; answer (id, number) for each, in order."""
    if not specs:
        return []
    session = uow.session
    first = counters.take(session, "incident", len(specs))
    raw = Raw(session)
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
    # Multi-row INSERTs answering the ids (RETURNING's order is not promised: by number),
    # in chunks that stay under both databases' limit on bound parameters.
    by_number: dict[str, int] = {}
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        values = ", ".join([_INCIDENT_VALUES] * len(chunk))
        for incident_id, number in raw.rows(
            f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES {values} RETURNING id, number",
            [value for row in chunk for value in row],
        ):
            by_number[str(number)] = int(incident_id)
    results: list[tuple[int, str]] = []
    timeline = []
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
        timeline.append(
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
        uow.record(
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
    raw.many(INSERT_TIMELINE, timeline)
    return results
