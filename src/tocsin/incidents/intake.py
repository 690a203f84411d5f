"""Opening incidents: the one function every new incident goes through, whether a person
reports it (the API, the portal, the CLI) or an alert opens it. One statement per table
on the driver cursor, in the caller's transaction, so a run of alerts opens its incidents
as cheaply as one; the numbers, timeline entries and audit events are the same either
way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.auth.principal import Principal
from tocsin.core.events import DomainEvent
from tocsin.db import counters
from tocsin.db.raw import Columns, Raw, json_text
from tocsin.db.session import UnitOfWork
from tocsin.incidents.lifecycle import State
from tocsin.incidents.priority import derive_priority

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
# What only a person sets (an alert's incident leaves them empty): written only when one of
# the incidents has one, so a run of alerts binds no column it leaves empty.
_PERSON_COLUMNS: Columns = (
    ("category_id", "bigint"),
    ("subcategory_id", "bigint"),
    ("assignee_id", "bigint"),
    ("priority_reason", "text"),
    ("created_by_id", "bigint"),
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
TITLE_MAX = 300


def format_number(value: int) -> str:
    return f"INC{value:07d}"


@dataclass(frozen=True, slots=True)
class Labels:
    """How the new incident's references read on its "created" entry (slugs, e-mails,
    names), as the incident's answer shows them."""

    customer: str | None = None
    service: str | None = None
    requester: str | None = None
    team: str | None = None
    assignee: str | None = None
    category: str | None = None
    subcategory: str | None = None


@dataclass(frozen=True, slots=True)
class NewIncident:
    """A new incident, its references resolved and checked by the caller."""

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
    labels: Labels
    # the "created" entry's message; None: "Opened INC0001234"
    message: str | None = None
    requester_id: int | None = None
    assignee_id: int | None = None
    category_id: int | None = None
    subcategory_id: int | None = None
    # a priority other than the matrix's, with its reason (None: the matrix decides)
    priority: int | None = None
    priority_reason: str | None = None
    major: bool = False
    opened_at: datetime | None = None  # backdated; None: now
    shares: list[int] = field(default_factory=list)  # requesters who may follow it


def initial_state(spec: NewIncident) -> State:
    """An incident with an owner starts Assigned, any other New."""
    return State.ASSIGNED if spec.team_id is not None or spec.assignee_id is not None else State.NEW


def created_changes(spec: NewIncident, *, title: str, priority: int, state: str) -> dict[str, Any]:
    """The "created" entry's changes: every field the incident starts with, [None, value]."""
    labels = spec.labels
    changes: dict[str, Any] = {"title": [None, title], "type": [None, spec.type]}
    for name, value in (
        ("customer", labels.customer),
        ("service", labels.service),
        ("requester", labels.requester),
        ("team", labels.team),
        ("assignee", labels.assignee),
    ):
        if value is not None:
            changes[name] = [None, value]
    changes["impact"] = [None, spec.impact]
    changes["urgency"] = [None, spec.urgency]
    changes["priority"] = [None, priority]
    if labels.category is not None:
        changes["category"] = [None, labels.category]
    if labels.subcategory is not None:
        changes["subcategory"] = [None, labels.subcategory]
    if spec.tags:
        changes["tags"] = [None, spec.tags]
    if spec.major:
        changes["major"] = [None, True]
    changes["state"] = [None, state]
    if spec.opened_at is not None:
        changes["opened_at"] = [None, spec.opened_at.isoformat()]
    return changes


def timeline_row(
    raw: Raw,
    incident_id: int,
    at: Any,
    principal: Principal,
    kind: str,
    changes: Mapping[str, Any],
    message: str,
) -> tuple[Any, ...]:
    """One timeline entry in `TIMELINE_COLUMNS` order (`at` as `raw.at` gives it)."""
    actor = principal.actor
    return (
        incident_id,
        at,
        actor.user_id,
        actor.describe(),
        kind,
        json_text(changes),
        message,
        raw.flag(False),
    )


def _person_fields(spec: NewIncident) -> tuple[Any, ...]:
    """The `_PERSON_COLUMNS` values."""
    return (
        spec.category_id,
        spec.subcategory_id,
        spec.assignee_id,
        spec.priority_reason if spec.priority is not None else None,
        spec.principal.user_id or None,
    )


def _row(
    raw: Raw, spec: NewIncident, number: str, priority: int, now: datetime, *, person: bool
) -> tuple[Any, ...]:
    """The incident's values in `_INCIDENT_COLUMNS` order, then (`person`) the
    `_PERSON_COLUMNS` values."""
    stamp = raw.at(now)
    row = (
        number,
        spec.customer_id,
        spec.type,
        spec.title[:TITLE_MAX],
        spec.description,
        spec.service_id,
        spec.requester_id,
        spec.team_id,
        spec.impact,
        spec.urgency,
        priority,
        raw.flag(spec.priority is not None),
        json_text(spec.tags),
        raw.flag(spec.major),
        initial_state(spec).value,
        0,
        0,
        1,
        raw.at(spec.opened_at) if spec.opened_at else stamp,
        stamp,
    )
    return row + _person_fields(spec) if person else row


def open_incidents(
    uow: UnitOfWork,
    specs: Sequence[NewIncident],
    *,
    now: datetime,
    matrix: Mapping[str, int],
    timeline: list[tuple[Any, ...]] | None = None,
    events: list[DomainEvent] | None = None,
) -> list[tuple[int, str]]:
    """Insert incidents with one statement per table; answer (id, number) for each, in
    order. With a `timeline` list, their "created" entries are added to it for the caller
    to insert with its own; with an `events` list, their audit events are added to it for
    the caller to emit (an alert run knows only later which incidents it keeps)."""
    if not specs:
        return []
    raw = uow.raw
    first = counters.take(raw, "incident", len(specs))
    person = any(any(v is not None for v in _person_fields(spec)) for spec in specs)
    rows = []
    for offset, spec in enumerate(specs):
        priority = spec.priority
        if priority is None:
            priority = derive_priority(matrix, impact=spec.impact, urgency=spec.urgency)
        number = format_number(first + offset)
        rows.append(_row(raw, spec, number, priority, now, person=person))
    columns = (*_INCIDENT_COLUMNS, *_PERSON_COLUMNS) if person else _INCIDENT_COLUMNS
    # RETURNING's order is not promised: the ids are matched by number.
    by_number = {
        str(number): int(incident_id)
        for incident_id, number in raw.insert(
            "incidents", columns, rows, suffix=" RETURNING id, number"
        )
    }
    opened = [(by_number[row[0]], row[0]) for row in rows]
    _shares(raw, specs, opened)
    entries = []
    for spec, row, (incident_id, number) in zip(specs, rows, opened, strict=True):
        changes = created_changes(spec, title=row[3], priority=row[10], state=row[14])
        message = spec.message or f"Opened {number}"
        entries.append(
            timeline_row(raw, incident_id, raw.at(now), spec.principal, "created", changes, message)
        )
        event = uow.event(
            "incident.created",
            "incident",
            incident_id,
            actor=spec.principal.actor,
            customer_id=spec.customer_id,
            at=now,
            number=number,
            changes=changes,
            message=message,
        )
        if events is None:
            uow.emit(event)
        else:
            events.append(event)
    if timeline is None:
        raw.insert("incident_timeline", TIMELINE_COLUMNS, entries)
    else:
        timeline += entries
    return opened


def _shares(raw: Raw, specs: Sequence[NewIncident], opened: list[tuple[int, str]]) -> None:
    rows = [
        (incident_id, user_id)
        for spec, (incident_id, _) in zip(specs, opened, strict=True)
        for user_id in spec.shares
    ]
    if rows:
        raw.insert("incident_shares", (("incident_id", "bigint"), ("user_id", "bigint")), rows)
